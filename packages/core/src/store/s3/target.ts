import { ErrorCode, MlciError } from '../../errors.js'

/** Where the shared store lives, resolved from `s3://bucket/prefix` and the standard AWS variables. */
export interface S3Target {
  bucket: string
  /** Without leading or trailing `/`; '' for the bucket root. */
  prefix: string
  /** AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (an S3-compatible server); undefined = AWS itself. */
  endpoint?: string
  region: string
  /** Path-style addressing (bucket in the path): on for a custom endpoint, as S3-compatible servers need. */
  forcePathStyle: boolean
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** `s3://bucket/prefix at endpoint`, for messages (never credentials). */
  display: string
}

export function parseS3Url(url: string, source: string, env: NodeJS.ProcessEnv): S3Target {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url.trim())
  if (!match) {
    throw new MlciError(ErrorCode.CONFIG_INVALID, `${source} must look like s3://BUCKET/PREFIX (found ${JSON.stringify(url)}).`, {
      hint: 'Name the bucket (lowercase letters, digits, dots, dashes) and an optional prefix; set AWS_ENDPOINT_URL for an S3-compatible server.',
    })
  }
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '')
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined
  const pathStyleEnv = env.AWS_S3_FORCE_PATH_STYLE ?? env.MLCI_S3_FORCE_PATH_STYLE
  const forcePathStyle = pathStyleEnv !== undefined ? /^(1|true|yes)$/i.test(pathStyleEnv) : Boolean(endpoint)
  const credentials = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined }
    : undefined
  return {
    bucket: match[1], prefix, endpoint, forcePathStyle, credentials,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    display: `s3://${match[1]}${prefix ? `/${prefix}` : ''}${endpoint ? ` at ${endpoint}` : ''}`,
  }
}
