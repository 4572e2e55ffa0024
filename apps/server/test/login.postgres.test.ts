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
        const { rows } = await client.query<{ encrypted: string; openid: string }>(
          `SELECT k.encrypted, u.openid FROM wechat_session_keys k JOIN users u ON u.id = k.user_id
            WHERE k.user_id = $1`,
          [userId],
        )
        return rows[0] ?? null
      } finally {
        await client.end()
      }
    },
  }
})
