import { authRouter } from './routers/auth'
import { sessionRouter } from './routers/session'
import { systemRouter } from './routers/system'
import { userRouter } from './routers/user'
import { wechatRouter } from './routers/wechat'
import { router } from './trpc'

export const appRouter = router({
  auth: authRouter,
  session: sessionRouter,
  system: systemRouter,
  user: userRouter,
  wechat: wechatRouter,
})

export type AppRouter = typeof appRouter
