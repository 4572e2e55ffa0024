import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { reasonOfCode, type ServerReason } from '@wxapp/session/shared'

/**
 * Answers the server gives before tRPC sees a request (no such route, a body
 * too large, a header too long, a content type it cannot read) in tRPC's
 * error shape, so every error a client gets carries `error.data.reason`.
 */

/** tRPC's names for the statuses; the reason is the one the reasons table gives the code. */
const CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  406: 'BAD_REQUEST',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  499: 'CLIENT_CLOSED_REQUEST',
  501: 'NOT_IMPLEMENTED',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
}

/** Fixed texts: a framework message may quote the request (a path, a header). */
const MESSAGES: Record<number, string> = {
  404: 'No such route',
  413: 'The request body is too large',
  414: 'The URL is too long',
  415: 'Send the input as JSON (content-type: application/json)',
  431: 'The request headers are too large',
}

export interface ErrorBody {
  error: { message: string; data: { code: string; httpStatus: number; reason: ServerReason } }
}

/** The body of an error answer; `reason` defaults to the one of the status's code. */
export function errorBody(status: number, message?: string, reason?: ServerReason): ErrorBody {
  const code = CODES[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST')
  reason ??= reasonOfCode(code) ?? 'INTERNAL_ERROR'
  return {
    error: {
      message: message ?? MESSAGES[status] ?? STATUS_CODES[status] ?? 'Error',
      data: { code, httpStatus: status, reason },
    },
  }
}

/** The HTTP status of a framework error: its own when it is one, else 500. */
export function statusOf(error: { statusCode?: number }): number {
  const status = error.statusCode
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500
}

/** How long, and for how many bytes, a refused request's remaining input is read and dropped. */
const LINGER_MS = 2000
const LINGER_BYTES = 32 * 1024 * 1024
const answered = new WeakSet<Socket>()

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refused
 * (headers too large, malformed) gets one last answer in the error shape.
 * Unlike Node's and Fastify's own handler, the socket is not destroyed at
 * once: closing it with the client's input still arriving would reset the
 * connection and lose the answer (a URL of a few MB does that). The answer
 * is sent, then what still comes is dropped, for at most LINGER_MS and
 * LINGER_BYTES ("lingering close").
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // The peer reset the connection: there is nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  // Input after the error can fail the parser again: one answer is enough.
  if (answered.has(socket)) return
  answered.add(socket)
  const status =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 431
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 408
        : 400
  const body = JSON.stringify(errorBody(status))
  if (!socket.writable) {
    socket.destroy()
    return
  }
  // The HTTP server's own reader is done with this socket: drop the rest.
  socket.removeAllListeners('data')
  let dropped = 0
  socket.on('data', (chunk: Buffer) => {
    dropped += chunk.length
    if (dropped > LINGER_BYTES) socket.destroy()
  })
  socket.resume()
  const timer = setTimeout(() => socket.destroy(), LINGER_MS)
  timer.unref()
  socket.once('close', () => clearTimeout(timer))
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
  )
}
