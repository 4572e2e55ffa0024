import { describeAccessTokenFlows } from './access-token-flows'
import { postgresBackend } from './wechat-fixture'

// Two server processes on one PostgreSQL database: the advisory lock at work.
describeAccessTokenFlows('PostgreSQL', postgresBackend, 2)
