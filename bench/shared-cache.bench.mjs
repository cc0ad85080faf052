// The shared phase cache (S3 on Swift, registry on PostgreSQL) on fixtures/classifier with
// pytest + trainer + semver: a cold build, a fresh checkout ("second runner") restoring every
// cacheable phase from the bucket, and a local hit, as medians of whole `mlci build` processes.
// Needs the services of .ci/services.sh (MLCI_TEST_PG_URL, MLCI_TEST_S3_*; read from its env file when unset).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadServicesEnv, median } from './lib.mjs'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(REPO, 'packages/cli/bin/mlci.js')
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const CONFIG = `import { defineConfig } from '@mlci/core'
import pytest from '@mlci/plugin-pytest'
import trainer from '@mlci/plugin-trainer'
import semver from '@mlci/plugin-semver'
export default defineConfig({
  registry: { model: 'classifier' },
  plugins: [
    pytest({ inputs: ['**/*.py', 'pytest.ini', 'params.json', '**/*.csv', '!.mlci/**', '!out/**'] }),
    trainer({ command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file',
      inputs: ['train.py', 'params.json', 'data/train.csv'], outputs: ['out/model.json'], metrics: 'out/metrics.json', signature: 'out/signature.json' }),
    semver({ gate: { accuracy: { min: 0.5 } } }),
  ],
})
`

function checkout(base, name) {
  const dir = join(base, name)
  cpSync(join(REPO, 'fixtures/classifier'), dir, { recursive: true, filter: (s) => !/[\\/](out|\.mlci|__pycache__|\.pytest_cache)$/.test(s) })
  writeFileSync(join(dir, 'mlci.config.ts'), CONFIG)
  return dir
}

function build(dir, env) {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [CLI, 'build'], { cwd: dir, env: { ...process.env, CI: '1', NO_COLOR: '1', PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1', ...env }, encoding: 'utf8' })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`mlci build in ${dir} exited ${r.status}: ${r.stdout}${r.stderr}`)
  return { ms, out: r.stdout }
}

export default async function main() {
  loadServicesEnv()
  const e = process.env
  if (!e.MLCI_TEST_PG_URL || !e.MLCI_TEST_S3_ENDPOINT) {
    console.log('skipped: MLCI_TEST_PG_URL / MLCI_TEST_S3_* not set (run `bash .ci/services.sh` as root: it writes /tmp/mlci-ci/services.env)')
    return
  }
  const db = `mlci_bench_${randomBytes(4).toString('hex')}`
  const psql = (sql) => spawnSync('psql', [e.MLCI_TEST_PG_URL, '-qc', sql], { encoding: 'utf8' })
  psql(`CREATE DATABASE ${db}`)
  const pgUrl = new URL(e.MLCI_TEST_PG_URL)
  pgUrl.pathname = `/${db}`
  const shared = {
    MLCI_REGISTRY_URL: pgUrl.toString(), MLCI_STORE_URL: `s3://${e.MLCI_TEST_S3_BUCKET}/bench-${randomBytes(4).toString('hex')}`,
    AWS_ENDPOINT_URL: e.MLCI_TEST_S3_ENDPOINT, AWS_REGION: e.MLCI_TEST_S3_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: e.MLCI_TEST_S3_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: e.MLCI_TEST_S3_SECRET_ACCESS_KEY, MLCI_CACHE_KEY: 'bench-signing-key',
  }
  const base = join(REPO, 'bench', '.tmp', `shared-cache-${process.pid}`)
  mkdirSync(base, { recursive: true })
  try {
    const coldLocal = [], coldShared = [], remoteHit = [], localHit = []
    for (let i = 0; i < RUNS; i++) coldLocal.push(build(checkout(base, `local-${i}`), {}).ms)
    // The first shared build trains, records 0.1.0 and uploads; later cold ones need new params to be cold.
    for (let i = 0; i < RUNS; i++) coldShared.push(build(checkout(base, `cold-${i}`), { ...shared, MLCI_PARAM_SEED: String(1000 + i) }).ms)
    for (let i = 0; i < RUNS; i++) {
      const dir = checkout(base, `runner-${i}`)
      const hit = build(dir, { ...shared, MLCI_PARAM_SEED: '1000' })
      if (!hit.out.includes('train: restored from the shared cache')) throw new Error(`expected a shared-cache hit:\n${hit.out}`)
      remoteHit.push(hit.ms)
      localHit.push(build(dir, { ...shared, MLCI_PARAM_SEED: '1000' }).ms)
    }
    const rows = [
      ['cold build, embedded state (trains, local cache only)', median(coldLocal)],
      ['cold build, shared state (trains, uploads, records in PG)', median(coldShared)],
      ['fresh checkout, shared-cache hit (downloads, no training)', median(remoteHit)],
      ['same checkout again, local-cache hit', median(localHit)],
    ]
    const base0 = rows[0][1]
    console.log(`medians of ${RUNS} whole \`mlci build\` processes each (pytest + trainer + semver on fixtures/classifier; load average ${loadavg()[0].toFixed(1)}):`)
    for (const [label, ms] of rows) console.log(`${label.padEnd(62)} ${ms.toFixed(0).padStart(7)} ms   ${(ms / base0).toFixed(2)}×`)
    // The number #14 asks for: a hit from the shared store against a hit from .mlci/, same fixture, interleaved.
    console.log(`remote-cache hit / local-cache hit: ${median(remoteHit).toFixed(0)} ms / ${median(localHit).toFixed(0)} ms = ${(median(remoteHit) / median(localHit)).toFixed(2)}× (rounds: ${remoteHit.map((x) => x.toFixed(0)).join('/')} vs ${localHit.map((x) => x.toFixed(0)).join('/')} ms)`)
  } finally {
    rmSync(base, { recursive: true, force: true })
    psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
  }
}
