import { describeSoak } from './soak-run'

// A shorter run (SOAK_PGLITE_SECONDS, default 10): the same traffic on the
// embedded database. Too short after warm-up to judge memory: printed only.
const seconds = Number(process.env.SOAK_PGLITE_SECONDS || 10)
describeSoak({
  name: 'the embedded database',
  seconds,
  users: Number(process.env.SOAK_USERS || 100),
  judgeMemory: seconds >= 40,
  prepare: async () => ({ url: 'pglite:memory:', cleanup: async () => {} }),
})
