import { describeUserDataFlows } from './user-data-flows'
import { pgliteBackend } from './wechat-fixture'

describeUserDataFlows('the embedded database', pgliteBackend)
