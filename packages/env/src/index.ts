/**
 * `@wxapp/env`: how the processes of this repository read their environment
 * (one validator per kind of setting, one loader), and the development app
 * that the WeChat simulator knows and `pnpm dev` logs in with.
 */
import devApp from '../dev-app.json'

export { ConfigError, configOrExit, type LoadEnvOptions, loadEnv } from './load'
export {
  type AppCredentials,
  appid,
  appSecretList,
  booleanFlag,
  count,
  duration,
  host,
  httpUrl,
  LOG_LEVELS,
  type LogLevel,
  list,
  logLevel,
  port,
  secret,
} from './validators'

/**
 * The simulator's development app (`dev-app.json`, also read by `pnpm dev`
 * and the mini-program's H5 build): it exists only in the simulator, so it
 * opens nothing on WeChat.
 */
export const DEV_APP: Readonly<{ appid: string; secret: string }> = Object.freeze({ ...devApp })
