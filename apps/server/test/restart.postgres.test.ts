import { createTestPostgres } from '@wxapp/db/testing'
import { describeRestart } from './restart-flows'

describeRestart('PostgreSQL', async () => {
  const db = await createTestPostgres()
  return { url: db.url, cleanup: db.drop }
})
