// Upload/download throughput of one large artifact through mlci's S3 tier (SharedContentStore:
// sha256 + copy into the local store + multipart upload; download + sha256 verification) beside
// Debian's AWS CLI (`aws s3 cp --endpoint-url`) against the same S3-compatible server (Swift from
// .ci/services-swift.sh), with the same file. Rounds are interleaved (the order alternates each
// round) and every round uploads to a fresh prefix, so nothing is skipped as already present;
// medians are printed. BENCH_BLOB_MB sets the size (1024), BENCH_TP_ROUNDS the rounds (3).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadServicesEnv, median } from './lib.mjs'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const MB = Number(process.env.BENCH_BLOB_MB ?? 1024)
const ROUNDS = Number(process.env.BENCH_TP_ROUNDS ?? 3)
// Debian's awscli (2.x), not whatever `aws` a Python environment puts first on PATH.
const AWS = '/usr/bin/aws'

/** Debian's awscli: present, or installed now with apt-get (said in the output). */
function ensureAwsCli() {
  if (existsSync(AWS)) return { ok: true, note: '' }
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'awscli'], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  if (r.status === 0 && existsSync(AWS)) return { ok: true, note: 'awscli was not installed: installed Debian\'s awscli with apt-get for this bench' }
  return { ok: false, note: `awscli is not installed and apt-get could not install it (${(r.stderr || String(r.error)).trim().split('\n').pop()}): only mlci measured` }
}

export default async function main() {
  loadServicesEnv()
  const e = process.env
  if (!e.MLCI_TEST_S3_ENDPOINT) {
    console.log('skipped: MLCI_TEST_S3_* not set (run `bash .ci/services.sh` as root: it writes /tmp/mlci-ci/services.env)')
    return
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const { SharedContentStore, S3Objects, parseS3Url } = await import('@mlci/core')
  const cli = ensureAwsCli()
  if (cli.note) console.log(cli.note)
  const env = {
    AWS_ENDPOINT_URL: e.MLCI_TEST_S3_ENDPOINT, AWS_REGION: e.MLCI_TEST_S3_REGION ?? 'us-east-1', AWS_DEFAULT_REGION: e.MLCI_TEST_S3_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: e.MLCI_TEST_S3_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: e.MLCI_TEST_S3_SECRET_ACCESS_KEY,
    // Both clients: no aws-chunked streaming checksums (Swift answers them with 501).
    AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
  }
  const aws = (args) => {
    const r = spawnSync(AWS, ['--endpoint-url', e.MLCI_TEST_S3_ENDPOINT, 's3', ...args, '--only-show-errors'], { env: { ...process.env, ...env }, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`aws ${args.join(' ')}: ${r.stderr || r.error}`)
  }
  const removePrefix = (prefix) => {
    if (cli.ok) spawnSync(AWS, ['--endpoint-url', e.MLCI_TEST_S3_ENDPOINT, 's3', 'rm', '--recursive', '--only-show-errors', `s3://${e.MLCI_TEST_S3_BUCKET}/${prefix}`], { env: { ...process.env, ...env } })
  }
  const base = join(REPO, 'bench', '.tmp', `throughput-${process.pid}`)
  mkdirSync(base, { recursive: true })
  const prefixes = []
  try {
    const file = join(base, 'artifact.bin')
    const fd = openSync(file, 'w')
    const chunk = randomBytes(1 << 20)
    for (let i = 0; i < MB; i++) { chunk[0] = i & 255; writeSync(fd, chunk) }
    closeSync(fd)
    const time = async (fn) => { const t0 = performance.now(); await fn(); return (performance.now() - t0) / 1000 }
    const s = { mlciUp: [], mlciDown: [], awsUp: [], awsDown: [] }
    for (let round = 0; round < ROUNDS; round++) {
      const prefix = `bench-tp-${randomBytes(4).toString('hex')}`
      prefixes.push(prefix)
      const target = parseS3Url(`s3://${e.MLCI_TEST_S3_BUCKET}/${prefix}`, 'bench', { ...e, ...env })
      const key = `s3://${e.MLCI_TEST_S3_BUCKET}/${prefix}/aws-cli.bin`
      let digest
      const mlciUp = async () => {
        const writer = new SharedContentStore(join(base, `up-${round}/objects`), new S3Objects(target), false)
        s.mlciUp.push(await time(async () => { digest = (await writer.put(file)).digest }))
        rmSync(join(base, `up-${round}`), { recursive: true, force: true })
      }
      const mlciDown = async () => {
        const reader = new SharedContentStore(join(base, `down-${round}/objects`), new S3Objects(target), false)
        s.mlciDown.push(await time(async () => { if (!(await reader.fetch(digest))) throw new Error('mlci fetch found no blob') }))
        rmSync(join(base, `down-${round}`), { recursive: true, force: true })
      }
      const awsUp = async () => { s.awsUp.push(await time(() => aws(['cp', file, key]))) }
      const awsDown = async () => {
        s.awsDown.push(await time(() => aws(['cp', key, join(base, 'aws-download.bin')])))
        rmSync(join(base, 'aws-download.bin'), { force: true })
      }
      // Alternate who goes first, so neither always meets a warmer (or busier) server.
      const order = !cli.ok ? [mlciUp, mlciDown] : round % 2 === 0 ? [mlciUp, awsUp, mlciDown, awsDown] : [awsUp, mlciUp, awsDown, mlciDown]
      for (const step of order) await step()
      removePrefix(prefix) // 2 GiB per round: never leave it on the shared server
    }
    const version = cli.ok ? spawnSync(AWS, ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[0] : 'no aws CLI'
    console.log(`${MB} MiB artifact, Swift s3api on 127.0.0.1, same file, ${ROUNDS} interleaved rounds, medians (${version}; load average ${loadavg()[0].toFixed(1)}: numbers from a busy machine are not a ceiling):`)
    const row = (label, xs, vs) => {
      const m = median(xs)
      const ratio = vs && vs.length ? `   ${(median(vs) / m).toFixed(2)}× the AWS CLI's throughput` : ''
      console.log(`${label.padEnd(64)} ${Number.isFinite(m) ? m.toFixed(1).padStart(6) : '     -'} s ${Number.isFinite(m) ? (MB / m).toFixed(0).padStart(5) : '    -'} MB/s${ratio}`)
    }
    row('mlci put (sha256 + copy into .mlci/objects + multipart upload)', s.mlciUp, s.awsUp)
    row('aws s3 cp upload', s.awsUp)
    row('mlci fetch (download + sha256 verify + rename into the store)', s.mlciDown, s.awsDown)
    row('aws s3 cp download', s.awsDown)
    console.log(`rounds (s): mlci up ${s.mlciUp.map((x) => x.toFixed(1)).join('/')}, aws up ${s.awsUp.map((x) => x.toFixed(1)).join('/')}, mlci down ${s.mlciDown.map((x) => x.toFixed(1)).join('/')}, aws down ${s.awsDown.map((x) => x.toFixed(1)).join('/')}`)
  } finally {
    prefixes.forEach(removePrefix)
    rmSync(base, { recursive: true, force: true })
  }
}
