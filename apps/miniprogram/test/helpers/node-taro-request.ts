import http from 'node:http'

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
 * Taro.request (weapp flavour) implemented over node:http, for tests: resolves with
 * `{ statusCode, data, header }` for any HTTP status, rejects with `{ errMsg }` on a
 * network failure or abort, returns a promise with `abort()` as Taro does.
 */
export function nodeTaroRequest(option: RequestOption): RequestTask {
  let req: http.ClientRequest | undefined
  let aborted = false
  const promise = new Promise<RequestResult>((resolve, reject) => {
    req = http.request(
      option.url,
      { method: option.method ?? 'GET', headers: option.header ?? {} },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', (error) => reject({ errMsg: `request:fail ${error.message}` }))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let data: unknown = text
          // wx.request parses JSON only for dataType "json" (its default).
          if ((option.dataType ?? 'json') === 'json') {
            try {
              data = JSON.parse(text)
            } catch {
              data = text
            }
          }
          resolve({
            statusCode: res.statusCode ?? 0,
            data,
            header: { ...res.headers },
            errMsg: 'request:ok',
          })
        })
      },
    )
    req.on('error', (error) =>
      reject({ errMsg: aborted ? 'request:fail abort' : `request:fail ${error.message}` }),
    )
    if (option.timeout) {
      req.setTimeout(option.timeout, () => req?.destroy(new Error('timeout')))
    }
    if (typeof option.data === 'string') req.write(option.data)
    req.end()
  })
  return Object.assign(promise, {
    abort() {
      aborted = true
      req?.destroy()
    },
  })
}
