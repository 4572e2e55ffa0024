import { createTestPostgres } from '@wxapp/db/testing'
import pg from 'pg'
import { describeLoginFlows } from './login-flows'

describeLoginFlows('PostgreSQL', async () => {
  const db = await createTestPostgres()
  return {
    url: db.url,
    cleanup: db.drop,
    sealedSessionKey: async (userId) => {
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      try {
        const { rows } = await client.query<{ encrypted: string }>(
          'SELECT encrypted FROM wechat_session_keys WHERE user_id = $1',
          [userId],
        )
        return rows[0]?.encrypted ?? null
      } finally {
        await client.end()
      }
    },
  }
})
