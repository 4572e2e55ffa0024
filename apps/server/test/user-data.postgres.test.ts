import { describeUserDataFlows } from './user-data-flows'
import { postgresBackend } from './wechat-fixture'

describeUserDataFlows('PostgreSQL', postgresBackend)
