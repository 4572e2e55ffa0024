import { createTestPostgres } from '@wxapp/db/testing'
import { describeSoak } from './soak-run'

// SOAK_SECONDS sets the length (default 60); SOAK_USERS the number of users.
describeSoak({
  name: 'PostgreSQL',
  seconds: Number(process.env.SOAK_SECONDS || 60),
  users: Number(process.env.SOAK_USERS || 100),
  judgeMemory: true,
  prepare: async () => {
    const db = await createTestPostgres()
    return { url: db.url, cleanup: db.drop }
  },
})
