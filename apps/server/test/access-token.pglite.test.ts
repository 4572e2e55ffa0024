import { describeAccessTokenFlows } from './access-token-flows'
import { pgliteBackend } from './wechat-fixture'

// PGlite serves one process: the in-process lock and single flight at work.
describeAccessTokenFlows('the embedded database', pgliteBackend, 1)
