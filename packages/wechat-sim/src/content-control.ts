/**
 * The control endpoints of content security and message push (a separate
 * module so server.ts only routes to it):
 *
 * - POST /sim/content-rules `{ text: { risky, review }, images: { risky, review } }` replaces the rules
 * - GET /sim/content-rules returns them
 * - POST /sim/push-config `{ appid, url, token, aesKey?, duplicateRate?, retryDelayMs?, checkDelayMs? }`
 * - GET /sim/pushes: `{ pushes: [...] }`, the deliveries since the start or the last reset
 */
import type { z } from 'zod'
import { type ContentRules, ContentRulesRequest, type ContentSecurity } from './content'
import { PushConfigRequest, type PushRecord } from './push'
import { SimInputError } from './state'

export const CONTENT_CONTROL_PATHS = ['/sim/content-rules', '/sim/push-config', '/sim/pushes']

export const isContentControlPath = (path: string): boolean => CONTENT_CONTROL_PATHS.includes(path)

export class MethodNotAllowed extends Error {}

export type ContentControlResponse = { ok: true } | ContentRules | { pushes: PushRecord[] }

export async function contentControl(
  content: ContentSecurity,
  method: string,
  path: string,
  parse: <T>(schema: z.ZodType<T>) => Promise<T>,
): Promise<ContentControlResponse> {
  switch (`${method} ${path}`) {
    case 'POST /sim/content-rules':
      content.rules.set(await parse(ContentRulesRequest))
      return { ok: true }
    case 'GET /sim/content-rules':
      return content.rules.get()
    case 'POST /sim/push-config': {
      const req = await parse(PushConfigRequest)
      if (!content.knowsApp(req.appid)) {
        throw new SimInputError('appid: not an app this simulator knows')
      }
      content.push.configure(req)
      if (req.checkDelayMs !== undefined) content.setCheckDelay(req.checkDelayMs)
      return { ok: true }
    }
    case 'GET /sim/pushes':
      return { pushes: content.push.list() }
  }
  throw new MethodNotAllowed(`${method} is not allowed on ${path}`)
}
