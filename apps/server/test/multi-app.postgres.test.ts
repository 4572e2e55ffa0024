import { describeMultiAppFlows } from './multi-app-flows'
import { postgresBackend } from './wechat-fixture'

describeMultiAppFlows('PostgreSQL', postgresBackend)
