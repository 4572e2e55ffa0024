import { wxRequestOverHttp } from './wx-request'

/** The options of Taro.request / wx.request that taro-fetch uses. */
export interface RequestOption {
  url: string
  method?: string
  header?: Record<string, string>
  data?: unknown
  dataType?: string
  responseType?: string
  timeout?: number
}

export interface RequestResult {
  statusCode: number
  data: unknown
  header: Record<string, unknown>
  errMsg: string
}

export type RequestTask = Promise<RequestResult> & { abort(): void }

/**
 * Taro.request (weapp flavour) for tests, on wx.request over node:http: resolves with
 * `{ statusCode, data, header }` for any HTTP status, rejects with `{ errMsg }` on a
 * network failure or abort, returns a promise with `abort()` as Taro does.
 */
export function nodeTaroRequest(option: RequestOption): RequestTask {
  let task: { abort(): void } | undefined
  const promise = new Promise<RequestResult>((resolve, reject) => {
    task = wxRequestOverHttp(
      { ...option, success: (result) => resolve(result as unknown as RequestResult), fail: reject },
      new URL(option.url),
    )
  })
  return Object.assign(promise, { abort: () => task?.abort() })
}
