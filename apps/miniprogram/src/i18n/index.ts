/*
 * All user-facing text lives here, one module per language. To add a language, add a
 * module that satisfies `Messages` and choose it below (e.g. from Taro.getSystemInfoSync().language).
 */
import { type Messages, zhCN } from './zh-CN'

export type { Messages }

export const messages: Messages = zhCN

/** Shorthand used by components: `t.home.retry`. */
export const t = messages
