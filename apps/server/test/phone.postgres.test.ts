import { describePhoneFlows } from './phone-flows'
import { postgresBackend } from './wechat-fixture'

describePhoneFlows('PostgreSQL', postgresBackend)
