export { type AppUnderTest, type Counters, launchApp } from './app-under-test'
export { deployServerArtifact, type ServerArtifact } from './artifact'
export { type Cluster, type ClusterInstance, startCluster } from './cluster'
export {
  type Balancer,
  type BalancerBackend,
  haproxyBinary,
  startHaproxy,
} from './haproxy'
export { type LoadOptions, type LoadResult, loginThrough, runLoad } from './load'
export {
  compareThirds,
  type MemoryProbe,
  type MemorySample,
  memoryProbe,
  residentBytes,
} from './memory'
export { type PrivatePostgres, startPrivatePostgres } from './postgres'
export {
  freePort,
  type LogLine,
  parseLogLines,
  type RunningProcess,
  runNodeToExit,
  startNodeProcess,
  workspaceRoot,
} from './processes'
export { type S3Server, startS3Server } from './s3'
export { runApiServerToExit, serverEntry, startApiServer, TEST_DATA_KEY } from './server'
export {
  runSimulatorToExit,
  SIM_DEV_APPID,
  SIM_DEV_SECRET,
  simulatorEntry,
  startSimulator,
} from './simulator'
export { type StaticServer, startStaticServer } from './static'
export { sealUserData } from './wechat-data'
