import { describeLoginFlows } from './login-flows'

describeLoginFlows('the embedded database', async () => ({
  url: 'pglite:memory:',
  cleanup: async () => {},
}))
