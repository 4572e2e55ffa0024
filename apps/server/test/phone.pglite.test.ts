import { describePhoneFlows } from './phone-flows'
import { pgliteBackend } from './wechat-fixture'

describePhoneFlows('the embedded database', pgliteBackend)
