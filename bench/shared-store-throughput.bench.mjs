// Upload/download throughput of one large artifact through mlci's S3 tier (SharedContentStore:
// multipart upload; download + sha256 verification) beside the AWS CLI against the same
// S3-compatible server (Swift from .ci/services-swift.sh). BENCH_BLOB_MB sets the size (1024).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const MB = Number(process.env.BENCH_BLOB_MB ?? 1024)

export default async function main() {
  const e = process.env
  if (!e.MLCI_TEST_S3_ENDPOINT) {
    console.log('skipped: MLCI_TEST_S3_* not set (source .ci/services.sh)')
    return
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const { SharedContentStore, S3Objects, parseS3Url } = await import('@mlci/core')
  const prefix = `bench-tp-${randomBytes(4).toString('hex')}`
  const env = {
    AWS_ENDPOINT_URL: e.MLCI_TEST_S3_ENDPOINT, AWS_REGION: e.MLCI_TEST_S3_REGION ?? 'us-east-1', AWS_DEFAULT_REGION: e.MLCI_TEST_S3_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: e.MLCI_TEST_S3_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: e.MLCI_TEST_S3_SECRET_ACCESS_KEY,
    // Both clients: no aws-chunked streaming checksums (Swift answers them with 501).
    AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
  }
  const base = join(REPO, 'bench', '.tmp', `throughput-${process.pid}`)
  mkdirSync(base, { recursive: true })
  try {
    const file = join(base, 'artifact.bin')
    const fd = openSync(file, 'w')
    const chunk = randomBytes(1 << 20)
    for (let i = 0; i < MB; i++) { chunk[0] = i & 255; writeSync(fd, chunk) }
    closeSync(fd)
    const target = parseS3Url(`s3://${e.MLCI_TEST_S3_BUCKET}/${prefix}`, 'bench', { ...e, ...env })
    const time = async (fn) => { const t0 = performance.now(); await fn(); return (performance.now() - t0) / 1000 }
    const writer = new SharedContentStore(join(base, 'a/objects'), new S3Objects(target), false)
    let digest
    const mlciUp = await time(async () => { digest = (await writer.put(file)).digest })
    const reader = new SharedContentStore(join(base, 'b/objects'), new S3Objects(target), false)
    const mlciDown = await time(() => reader.fetch(digest))
    const aws = (args) => {
      const r = spawnSync('aws', ['--endpoint-url', e.MLCI_TEST_S3_ENDPOINT, 's3', ...args, '--only-show-errors'], { env: { ...process.env, ...env }, encoding: 'utf8' })
      if (r.status !== 0) throw new Error(`aws ${args.join(' ')}: ${r.stderr || r.error}`)
    }
    const version = spawnSync('aws', ['--version'], { encoding: 'utf8' })
    if (version.status !== 0) {
      console.log('aws CLI not found: only mlci measured')
    }
    const key = `s3://${e.MLCI_TEST_S3_BUCKET}/${prefix}/aws-cli.bin`
    const awsUp = version.status === 0 ? await time(() => aws(['cp', file, key])) : NaN
    const awsDown = version.status === 0 ? await time(() => aws(['cp', key, join(base, 'aws-download.bin')])) : NaN
    const row = (label, s) => console.log(`${label.padEnd(66)} ${s.toFixed(1).padStart(6)} s ${(MB / s).toFixed(0).padStart(6)} MB/s`)
    console.log(`${MB} MiB artifact, Swift s3api on 127.0.0.1 (${(version.stdout || version.stderr || '').trim().split(' ')[0] || 'no aws CLI'}):`)
    row('mlci put (sha256 + copy into .mlci/objects + multipart upload)', mlciUp)
    row('aws s3 cp upload', awsUp)
    row('mlci fetch (download + sha256 verify + rename into the store)', mlciDown)
    row('aws s3 cp download', awsDown)
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
}
