/// <reference path="./s3rver.d.ts" />
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver from 's3rver'

export interface S3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string
  port: number
  bucket: string
  region: string
  /** s3rver's built-in key pair: it checks request signatures against it. */
  credentials: { accessKeyId: string; secretAccessKey: string }
  /** The API server's variables for this store (UPLOAD_STORAGE=s3 and the S3_* ones). */
  serverEnv: Record<string, string>
  /** Stops answering (connections are refused) until start(); what it holds stays. */
  stop(): Promise<void>
  /** Starts again on the same port with the same objects. */
  start(): Promise<void>
  /** Stops it and deletes its folder. */
  remove(): Promise<void>
}

/**
 * An S3-compatible server of the test's own (s3rver, pure JavaScript) on a
 * free loopback port, keeping its objects in a temporary folder, with one
 * bucket. Path-style addressing only: no DNS names for buckets on 127.0.0.1.
 */
export async function startS3Server(opts: { bucket?: string } = {}): Promise<S3Server> {
  const bucket = opts.bucket ?? 'wxapp-test'
  const directory = await mkdtemp(join(tmpdir(), 'wxapp-s3rver-'))
  let port = 0
  let running: S3rver | null = null

  const start = async () => {
    if (running) return
    const server = new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      vhostBuckets: false,
      configureBuckets: [{ name: bucket }],
    })
    const address = await server.run()
    port = address.port
    running = server
  }
  const stop = async () => {
    const server = running
    running = null
    await server?.close()
  }
  await start()

  const endpoint = `http://127.0.0.1:${port}`
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
  return {
    endpoint,
    port,
    bucket,
    region: 'us-east-1',
    credentials,
    serverEnv: {
      UPLOAD_STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    },
    stop,
    start,
    async remove() {
      await stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
