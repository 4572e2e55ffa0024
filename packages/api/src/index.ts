import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server'
import type { AppRouter } from './root'

export type { Context } from './context'
export { GENERIC_REASONS, type GenericReason, ReasonedError } from './errors'
export { type AppRouter, appRouter } from './root'
export { createCallerFactory } from './trpc'

export type RouterInputs = inferRouterInputs<AppRouter>
export type RouterOutputs = inferRouterOutputs<AppRouter>
