import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { S3Client } from '@aws-sdk/client-s3'
import { ErrorCode, MlciError, errorMessage } from '../../errors.js'
import type { S3Target } from './target.js'

/** Files above this go up in parts (S3 single PUTs top out at 5 GiB; parts retry alone). */
const MULTIPART_THRESHOLD = 64 * 1024 * 1024
const PART_SIZE = 16 * 1024 * 1024

/**
 * Objects under one bucket prefix through the S3 API (`@aws-sdk/client-s3`, imported on first
 * use). Nothing here depends on conditional PUTs (S3-compatible servers such as Swift answer
 * them with 501): keys are content-addressed or signed, so a repeated PUT writes the same thing.
 */
export class S3Objects {
  private client: Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> | undefined

  constructor(readonly target: S3Target) {}

  key(name: string): string {
    return this.target.prefix ? `${this.target.prefix}/${name}` : name
  }

  private connect() {
    // mlci pins an SDK release that supports Node 20 on purpose; its "later releases need Node 22"
    // notice would print on every run that touches the store.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
    this.client ??= import('@aws-sdk/client-s3').then((mod) => cjs(mod)).then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.target.region,
        endpoint: this.target.endpoint,
        forcePathStyle: this.target.forcePathStyle,
        credentials: this.target.credentials,
        // A dead server should fail a request in seconds (the cache breaker then takes over).
        maxAttempts: 2,
        // Default checksums stream bodies as aws-chunked, which S3-compatible servers (Swift) refuse
        // with 501; content is verified by its sha256 name on download instead.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        // The SDK would print its own warnings to the console; failures reach the user as MlciErrors.
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        requestHandler: { connectionTimeout: 3000, requestTimeout: 120_000 },
      }),
    }))
    return this.client
  }

  async exists(name: string): Promise<boolean> {
    const { client, sdk } = await this.connect()
    try {
      await client.send(new sdk.HeadObjectCommand({ Bucket: this.target.bucket, Key: this.key(name) }))
      return true
    } catch (error) {
      if (notFound(error)) return false
      throw this.failure('check', name, error)
    }
  }

  async getText(name: string): Promise<string | undefined> {
    const { client, sdk } = await this.connect()
    try {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.target.bucket, Key: this.key(name) }))
      return await out.Body!.transformToString('utf8')
    } catch (error) {
      if (notFound(error)) return undefined
      throw this.failure('read', name, error)
    }
  }

  async putText(name: string, text: string): Promise<void> {
    const { client, sdk } = await this.connect()
    try {
      await client.send(new sdk.PutObjectCommand({ Bucket: this.target.bucket, Key: this.key(name), Body: text, ContentType: 'application/json' }))
    } catch (error) {
      throw this.failure('write', name, error)
    }
  }

  /** Upload a file: one PUT, or a multipart upload above 64 MiB (lib-storage, 4 parts in flight). */
  async upload(name: string, file: string): Promise<void> {
    const { client, sdk } = await this.connect()
    const { size } = await stat(file)
    try {
      if (size <= MULTIPART_THRESHOLD) {
        await client.send(new sdk.PutObjectCommand({ Bucket: this.target.bucket, Key: this.key(name), Body: createReadStream(file), ContentLength: size }))
        return
      }
      const { Upload } = cjs(await import('@aws-sdk/lib-storage'))
      await new Upload({
        client, partSize: PART_SIZE, queueSize: 4, leavePartsOnError: false,
        params: { Bucket: this.target.bucket, Key: this.key(name), Body: createReadStream(file, { highWaterMark: 1 << 20 }) },
      }).done()
    } catch (error) {
      throw this.failure('upload', name, error)
    }
  }

  /** Stream an object into `dest`; false when it does not exist. The caller verifies the content. */
  async download(name: string, dest: string): Promise<boolean> {
    const { client, sdk } = await this.connect()
    try {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.target.bucket, Key: this.key(name) }))
      await pipeline(out.Body as Readable, createWriteStream(dest))
      return true
    } catch (error) {
      if (notFound(error)) return false
      throw this.failure('download', name, error)
    }
  }

  private failure(what: string, name: string, error: unknown): MlciError {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
    const code = (error as { name?: string; code?: string }).code ?? (error as { name?: string }).name
    return new MlciError(ErrorCode.STATE_UNAVAILABLE, `The shared store ${this.target.display} failed to ${what} ${name}: ${status ? `HTTP ${status} ` : ''}${code && code !== 'Error' ? `${code}: ` : ''}${errorMessage(error)}`, {
      cause: error,
      hint: 'Check that the S3 server is reachable, the bucket exists, and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_ENDPOINT_URL are right.',
    })
  }
}

/** A CommonJS package imported from the ESM bundle arrives as `default` (esbuild's interop); from source, as named exports. */
function cjs<T extends object>(mod: T): T {
  return 'default' in mod && !Object.keys(mod).some((k) => k !== 'default' && k !== '__esModule') ? (mod as unknown as { default: T }).default : mod
}

function notFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } }
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404
}
