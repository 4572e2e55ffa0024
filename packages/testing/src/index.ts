export {
  freePort,
  type LogLine,
  parseLogLines,
  type RunningProcess,
  runNodeToExit,
  startNodeProcess,
  workspaceRoot,
} from './processes'
export { runApiServerToExit, serverEntry, startApiServer } from './server'
