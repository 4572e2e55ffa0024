// Preloaded into the server under profile (NODE_OPTIONS=--import <this>;
// --cpu-prof is not allowed in NODE_OPTIONS). SIGUSR2 starts the V8 CPU
// profiler, the next SIGUSR2 stops it and writes CPU_PROFILE_FILE, so the
// profile covers the measured load only, not start-up or warm-up.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'

const file = process.env.CPU_PROFILE_FILE ?? `server-${process.pid}.cpuprofile`
const session = new Session()
session.connect()
let running = false

process.on('SIGUSR2', () => {
  if (!running) {
    running = true
    session.post('Profiler.enable', () => {
      session.post('Profiler.setSamplingInterval', { interval: 200 }, () => {
        session.post('Profiler.start')
      })
    })
    return
  }
  running = false
  session.post('Profiler.stop', (error, result) => {
    if (error) process.stderr.write(`cpu profile: ${error.message}\n`)
    else writeFileSync(file, JSON.stringify(result.profile))
    session.post('Profiler.disable')
  })
})
