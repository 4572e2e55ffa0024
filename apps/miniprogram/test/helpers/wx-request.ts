import http from 'node:http'

type Json = Record<string, unknown>

/** The options of wx.request that Taro's request (taro-fetch) passes. */
export interface WxRequestOption {
  url: string
  method?: string
  header?: Record<string, string>
  data?: unknown
  dataType?: string
  timeout?: number
  success?: (result: Json) => void
  fail?: (result: Json) => void
  complete?: (result: Json) => void
}

/**
 * wx.request over node:http, as WeChat answers it: `success` with `{ statusCode, data,
 * header }` for any HTTP status (data parsed for dataType "json", its default), `fail`
 * with `{ errMsg: 'request:fail …' }` when there is no answer or on abort. The request
 * goes to `target` (the test's server) instead of `option.url`, with `extraHeaders`.
 */
export function wxRequestOverHttp(
  option: WxRequestOption,
  target: URL,
  extraHeaders: Record<string, string> = {},
): { abort(): void } {
  const method = option.method ?? 'GET'
  let aborted = false
  const fail = (errMsg: string) => {
    const result = { errMsg }
    option.fail?.(result)
    option.complete?.(result)
  }
  const req = http.request(
    target,
    { method, headers: { ...(option.header ?? {}), ...extraHeaders } },
    (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', (error) => fail(`request:fail ${error.message}`))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let data: unknown = text
        if ((option.dataType ?? 'json') === 'json') {
          try {
            data = JSON.parse(text)
          } catch {
            data = text
          }
        }
        const result = {
          statusCode: res.statusCode,
          data,
          header: res.headers,
          errMsg: 'request:ok',
        }
        option.success?.(result)
        option.complete?.(result)
      })
    },
  )
  req.on('error', (error) => fail(aborted ? 'request:fail abort' : `request:fail ${error.message}`))
  if (option.timeout) req.setTimeout(option.timeout, () => req.destroy(new Error('timeout')))
  // taro-fetch sends bodies as strings (WeChat would turn an object into JSON or a query).
  if (typeof option.data === 'string') req.write(option.data)
  req.end()
  return {
    abort() {
      aborted = true
      req.destroy()
    },
  }
}
