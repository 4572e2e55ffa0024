import { Readable } from 'node:stream'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import {
  checkKey,
  type ObjectStore,
  StorageError,
  type StorageOperation,
  StorageUnavailableError,
  type StoredObject,
} from './store'

export interface S3StoreOptions {
  /** The service's address, such as `https://cos.ap-shanghai.myqcloud.com`; AWS's own when left out. */
  endpoint?: string | undefined
  region: string
  bucket: string
  credentials: { accessKeyId: string; secretAccessKey: string }
  /** `<endpoint>/<bucket>/<key>` instead of `<bucket>.<endpoint>/<key>` (MinIO, s3rver, some gateways). */
  forcePathStyle?: boolean | undefined
  /** How long to wait for a connection (default 3 s). */
  connectTimeoutMs?: number | undefined
  /** How long one attempt may take once connected (default 10 s). */
  requestTimeoutMs?: number | undefined
  /** Attempts per operation, the first included (default 3), with the SDK's standard backoff. */
  maxAttempts?: number | undefined
}

// Errors below the HTTP layer: the store is down, unreachable or too slow.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'AbortError'])

/** The HTTP status the store answered with, when it answered at all. */
const statusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode

function translate(operation: StorageOperation, key: string, error: unknown): Error {
  const status = statusOf(error)
  const name = (error as { name?: unknown }).name
  const code = (error as { code?: unknown }).code
  if (
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    (typeof name === 'string' && TIMEOUT_NAMES.has(name)) ||
    status === undefined ||
    status >= 500 ||
    status === 429
  ) {
    return new StorageUnavailableError(operation, key, { cause: error })
  }
  return new StorageError(operation, key, {
    status,
    code: error instanceof S3ServiceException ? error.name : undefined,
    cause: error,
  })
}

/**
 * The S3 driver, for any S3-compatible store (AWS S3, Tencent COS, Aliyun
 * OSS, Cloudflare R2, MinIO) through AWS's own SDK client. A PutObject is
 * atomic on every one of them: an object exists whole or not at all.
 */
export function createS3Store(opts: S3StoreOptions): ObjectStore {
  const client = new S3Client({
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    region: opts.region,
    credentials: {
      accessKeyId: opts.credentials.accessKeyId,
      secretAccessKey: opts.credentials.secretAccessKey,
    },
    forcePathStyle: opts.forcePathStyle ?? false,
    // The SDK's own retries (standard mode: backoff with jitter, only
    // retryable failures), so a short hiccup of the store goes unnoticed.
    maxAttempts: opts.maxAttempts ?? 3,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: opts.connectTimeoutMs ?? 3000,
      requestTimeout: opts.requestTimeoutMs ?? 10_000,
      // Without it a request past requestTimeout only logs a warning and
      // waits on: the caller would hang on a store that accepts and stalls.
      throwOnRequestTimeout: true,
    },
    // Checksums only where S3 requires them: the SDK's newer default (CRC32
    // on every call) is refused by several S3-compatible stores.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  const bucket = opts.bucket

  return {
    kind: 's3',

    async put(key, bytes, contentType) {
      checkKey(key)
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            // Bytes with a known length: one plain PUT (never aws-chunked
            // streaming, which not every compatible store understands).
            Body: bytes,
            ContentLength: bytes.byteLength,
            ContentType: contentType,
          }),
        )
      } catch (error) {
        throw translate('put', key, error)
      }
    },

    async get(key): Promise<StoredObject | null> {
      checkKey(key)
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
        if (!(out.Body instanceof Readable)) {
          throw new StorageError('get', key, {
            code: 'NoBody',
            status: out.$metadata.httpStatusCode,
          })
        }
        return {
          body: out.Body,
          contentType: out.ContentType ?? 'application/octet-stream',
          size: out.ContentLength ?? 0,
        }
      } catch (error) {
        if (error instanceof StorageError) throw error
        if (statusOf(error) === 404 && (error as { name?: string }).name === 'NoSuchKey') {
          return null
        }
        throw translate('get', key, error)
      }
    },

    async delete(key) {
      checkKey(key)
      try {
        // S3 answers 204 for a key that is not there too.
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
      } catch (error) {
        throw translate('delete', key, error)
      }
    },
  }
}
