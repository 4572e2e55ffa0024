import { describeMultiAppFlows } from './multi-app-flows'
import { pgliteBackend } from './wechat-fixture'

describeMultiAppFlows('the embedded database', pgliteBackend)
