import { TRPCError } from '@trpc/server'
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc'

/**
 * Stable machine reasons sent in `error.data.reason`. Clients branch on these,
 * never on messages, so a reason once published is never renamed.
 */
export const GENERIC_REASONS = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'INTERNAL_ERROR',
  'DATABASE_UNAVAILABLE',
] as const
export type GenericReason = (typeof GENERIC_REASONS)[number]

/** A TRPCError that carries a stable reason for clients. */
export class ReasonedError<TReason extends string = string> extends TRPCError {
  readonly reason: TReason

  constructor(opts: {
    code: TRPC_ERROR_CODE_KEY
    reason: TReason
    message: string
    cause?: unknown
  }) {
    super({ code: opts.code, message: opts.message, cause: opts.cause })
    this.reason = opts.reason
  }
}

export function reasonOf(error: TRPCError): string {
  if (error instanceof ReasonedError) return error.reason
  if (error.code === 'BAD_REQUEST' || error.code === 'PARSE_ERROR') return 'INVALID_INPUT'
  if (error.code === 'NOT_FOUND') return 'NOT_FOUND'
  return error.code
}
