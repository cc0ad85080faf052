import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ListObjectsV2Command, PutObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, type CliResult } from './helpers/cli.js'
import { freePort } from './helpers/net.mjs'
import { freshDatabase, sharedServices, storeEnv } from './helpers/shared-services.js'
import { CLI, copyFixture, testdir } from './helpers/testdir.js'

// Several checkouts of the classifier fixture (separate folders, separate .mlci/) stand in for
// CI runners sharing one PostgreSQL registry and one S3 store (Swift), all through the real CLI.

const PLUGINS = `
    trainer({ command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file',
      inputs: ['train.py', 'params.json', 'data/train.csv'], outputs: ['out/model.json'], metrics: 'out/metrics.json', signature: 'out/signature.json' }),
    semver({ gate: { accuracy: { min: 0.5 } } }),`
const config = (extra = '') => `import { defineConfig } from '@mlci/core'
import pytest from '@mlci/plugin-pytest'
import trainer from '@mlci/plugin-trainer'
import semver from '@mlci/plugin-semver'
${extra.includes('hang') ? "import hang from './hang-deploy.mjs'\n" : ''}
export default defineConfig({
  registry: { model: 'classifier' },
  plugins: [${extra.includes('pytest') ? "\n    pytest({ inputs: ['**/*.py', 'pytest.ini', 'params.json', '**/*.csv', '!.mlci/**', '!out/**'] })," : ''}${PLUGINS}${extra.includes('hang') ? '\n    hang(),' : ''}
  ],
})
`
// A deployer that announces itself and then hangs until killed: a runner dying mid-deploy.
const HANG_DEPLOY = `import { definePlugin } from '@mlci/core'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
export default definePlugin(() => ({ name: 'hang-deploy', apply(mlci) {
  mlci.hooks.deploy.tapPromise('hang-deploy', async (request, ctx) => {
    if (!process.env.HANG_DEPLOY) return
    writeFileSync(join(ctx.cwd, 'deploying'), String(process.pid))
    await new Promise(() => {})
  })
} }))
`

const REAL_PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()

// This test's own S3 client is the pinned, Node-20-capable SDK too: no upgrade notice.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const s3 = () => {
  const { s3: c } = sharedServices()
  return new S3Client({ endpoint: c.endpoint, region: c.region, forcePathStyle: true, credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' })
}
const clients: S3Client[] = []
afterAll(() => clients.forEach((c) => c.destroy()))

async function listKeys(prefix: string): Promise<string[]> {
  const client = s3()
  clients.push(client)
  const { s3: c } = sharedServices()
  const out = await client.send(new ListObjectsV2Command({ Bucket: c.bucket, Prefix: `${prefix}/` }))
  return (out.Contents ?? []).map((o) => o.Key!.slice(prefix.length + 1)).sort()
}

interface VersionsJson { versions: { version: string; status: string; metrics: Record<string, number> }[]; aliases: Record<string, string> }

async function shared() {
  const prefix = `t-${Math.random().toString(16).slice(2, 12)}`
  return { prefix, env: { MLCI_REGISTRY_URL: await freshDatabase(), ...storeEnv(prefix) } }
}

function expectOk(r: CliResult): CliResult {
  expect(r.code, r.output).toBe(0)
  return r
}

// Several whole builds per test on a 2-core machine shared with other work: generous timeouts.
describe('shared state across runners (PostgreSQL + Swift S3, built CLI)', { timeout: 300_000 }, () => {
  it('a second checkout sees the first one\'s versions, restores test and train from the shared cache, and gates against its live model', async () => {
    const { env, prefix } = await shared()
    const a = copyFixture('classifier', { 'mlci.config.ts': config('pytest') })
    const b = copyFixture('classifier', { 'mlci.config.ts': config('pytest') })

    const first = expectOk(await runCli(['build'], { cwd: a, env }))
    expect(first.stdout).toMatch(/live → 0\.1\.0\+data\.[0-9a-f]+/)
    const keys = await listKeys(prefix)
    expect(keys.filter((k) => k.startsWith('cache/')).map((k) => k.split('/')[1]).sort()).toEqual(['evaluate', 'test', 'train'])
    expect(keys.some((k) => k.startsWith('blobs/sha256/'))).toBe(true)

    // A dry run in a fresh checkout finds test and train in the shared cache and writes nothing.
    // (evaluate reads train's output files, which a dry run does not restore: it stays "stale".)
    const check = await runCli(['build', '--dry-run', '--check'], { cwd: b, env })
    expect(check.stdout, check.output).toMatch(/\[test\] ↺ cached \(up to date\)/)
    expect(check.stdout).toMatch(/\[train\] ↺ cached \(up to date\)/)
    for (const path of ['.mlci/cache', '.mlci/objects', '.mlci/runs', 'out']) expect(existsSync(join(b, path)), path).toBe(false)

    // A python3 first on PATH that logs every start: a hit from the shared cache starts none
    // (no pytest, no training, no interpreter probe in verify).
    const bin = testdir()
    const launches = join(bin, 'launches.log')
    writeFileSync(join(bin, 'python3'), `#!/bin/sh\necho "launch $*" >> '${launches}'\nexec '${REAL_PYTHON}' "$@"\n`)
    chmodSync(join(bin, 'python3'), 0o755)
    const second = expectOk(await runCli(['build', '--verbose'], { cwd: b, env: { ...env, PATH: `${bin}:${process.env.PATH}` } }))
    expect(existsSync(launches) ? readFileSync(launches, 'utf8') : '', 'Python starts in a shared-cache hit').toBe('')
    for (const phase of ['test', 'train', 'evaluate']) {
      expect(second.stdout).toContain(`[${phase}] ↺ cached (inputs unchanged)`)
      expect(second.stdout).toContain(`${phase}: restored from the shared cache`)
    }
    // No training and no pytest run happened in B: the restored log is a replay.
    expect(second.stdout).toContain('(replay)')
    expect(second.stdout).toMatch(/accuracy 0\.96 \(live 0\.96\)/)
    expect(second.stdout).toMatch(/Same inputs as 0\.1\.0\+data\.[0-9a-f]+ \(ready\): no new version recorded/)
    expect(readFileSync(join(b, 'out/model.json'), 'utf8')).toBe(readFileSync(join(a, 'out/model.json'), 'utf8'))

    const versions = JSON.parse(expectOk(await runCli(['versions', '--json'], { cwd: b, env })).stdout) as VersionsJson
    expect(versions.versions.map((v) => [v.version.split('+')[0], v.status])).toEqual([['0.1.0', 'ready']])
    expect(versions.aliases.live).toBe(versions.versions[0].version)
    const models = expectOk(await runCli(['registry', 'models'], { cwd: b, env })).stdout
    expect(models).toMatch(/classifier\s+1\s+1\s+0\.1\.0/)
    // The registry password never appears in anything printed.
    const password = new URL(env.MLCI_REGISTRY_URL).password
    for (const r of [first, second]) expect(r.output).not.toContain(password)
    const log = readdirSync(join(b, '.mlci/runs')).find((f) => f.endsWith('.log'))!
    expect(readFileSync(join(b, '.mlci/runs', log), 'utf8')).not.toContain(password)
  })

  it('8 builds from 4 checkouts at once: unique versions and one unbroken chain of live moves', async () => {
    const { env } = await shared()
    const checkouts = Array.from({ length: 4 }, () => copyFixture('classifier', { 'mlci.config.ts': config() }))
    // Two builds per checkout (the repo lock serialises those), different params everywhere.
    const builds = checkouts.flatMap((dir, i) => [0, 1].map((j) =>
      runCli(['build', '--wait-for-lock'], { cwd: dir, env: { ...env, MLCI_PARAM_SEED: String(100 + i * 2 + j) }, timeoutMs: 300_000 })))
    const results = await Promise.all(builds)
    for (const r of results) expectOk(r)
    const versions = JSON.parse(expectOk(await runCli(['versions', '--json'], { cwd: checkouts[0], env })).stdout) as VersionsJson
    const names = versions.versions.map((v) => v.version.split('+')[0])
    expect(new Set(names).size).toBe(8)
    expect(versions.versions.every((v) => v.status === 'ready')).toBe(true)
    const history = JSON.parse(expectOk(await runCli(['history', '--json'], { cwd: checkouts[0], env })).stdout) as { alias: string; from?: string; to?: string }[] | { ledger: { alias: string; from?: string; to?: string }[] }
    const ledger = Array.isArray(history) ? history : history.ledger
    const live = ledger.filter((m) => m.alias === 'live')
    expect(live).toHaveLength(8)
    // Each move starts where the previous one ended: no two moves interleaved.
    live.forEach((m, i) => expect(m.from).toBe(i === 0 ? undefined : live[i - 1].to))
    expect(versions.aliases.live).toBe(live[7].to)
  }, 400_000)

  it('a runner killed with -9 mid-deploy frees the model\'s release lock; meanwhile another runner is told who holds it', async () => {
    const { env } = await shared()
    const a = copyFixture('classifier', { 'mlci.config.ts': config('hang'), 'hang-deploy.mjs': HANG_DEPLOY })
    const b = copyFixture('classifier', { 'mlci.config.ts': config('hang'), 'hang-deploy.mjs': HANG_DEPLOY })
    const child = spawn(process.execPath, [CLI, 'build'], { cwd: a, env: { ...process.env, ...env, HANG_DEPLOY: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let outA = ''
    child.stdout.on('data', (d: Buffer) => { outA += d })
    child.stderr.on('data', (d: Buffer) => { outA += d })
    const exited = new Promise((resolve) => child.on('close', resolve))
    // Wait for the event (the deploy tap has started), never a fixed sleep.
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (existsSync(join(a, 'deploying'))) { clearInterval(poll); resolve() }
        if (child.exitCode !== null) { clearInterval(poll); reject(new Error(`runner A ended early: ${outA}`)) }
      }, 50)
    })
    const blocked = await runCli(['build'], { cwd: b, env })
    expect(blocked.code, blocked.output).toBe(1)
    expect(blocked.output).toContain('Model classifier is being released by another runner')
    expect(blocked.output).toContain(`PID ${child.pid} on `)
    expect(blocked.output).toContain('--wait-for-lock')

    child.kill('SIGKILL')
    await exited
    const after = expectOk(await runCli(['build'], { cwd: b, env }))
    expect(after.output).not.toContain('being released by another runner')
  })

  it('a version left pending by a runner on another host is recovered by the next run holding the release lock', async () => {
    const { env } = await shared()
    const a = copyFixture('classifier', { 'mlci.config.ts': config() })
    expectOk(await runCli(['registry', 'migrate'], { cwd: a, env }))
    // What a runner on another machine leaves when it dies between recording and releasing:
    // its PID means nothing here, only the release lock does.
    const db = new pg.Client({ connectionString: env.MLCI_REGISTRY_URL })
    await db.connect()
    try {
      await db.query(`INSERT INTO mlci_models (name) VALUES ('classifier')`)
      const doc = { schema: 1, kind: 'mlci.model-version', version: '0.1.0', status: 'pending', runId: 'run-on-b7', fingerprint: 'other inputs', createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z', createdBy: { pid: 4242, host: 'ci-runner-b7' } }
      await db.query(`INSERT INTO mlci_versions (model, key, doc, status) VALUES ('classifier', '0.1.0', $1, 'pending')`, [JSON.stringify(doc)])
    } finally {
      await db.end()
    }
    const r = expectOk(await runCli(['build'], { cwd: a, env }))
    expect(r.stdout).toContain('0.1.0 marked failed — abandoned: run run-on-b7 stopped before releasing it (process 4242 on ci-runner-b7 is gone)')
    const versions = JSON.parse(expectOk(await runCli(['versions', '--json'], { cwd: a, env })).stdout) as VersionsJson
    expect(versions.versions.map((v) => [v.version.split('+')[0], v.status])).toEqual([['0.1.0', 'failed'], ['0.1.1', 'ready']])
  })

  it('an entry with a bad signature is a miss with a warning; a read-only run writes nothing to the store', async () => {
    const { env, prefix } = await shared()
    const storeOnly = { ...storeEnv(prefix) }
    const a = copyFixture('classifier', { 'mlci.config.ts': config() })
    expectOk(await runCli(['build', '--only', 'train,evaluate'], { cwd: a, env: storeOnly }))
    const { s3: c } = sharedServices()
    const client = s3()
    clients.push(client)
    const trainKey = (await listKeys(prefix)).find((k) => k.startsWith('cache/train/'))!
    const signed = JSON.parse(await (await client.send(new GetObjectCommand({ Bucket: c.bucket, Key: `${prefix}/${trainKey}` }))).Body!.transformToString()) as { payload: string; signature: string }
    // Someone rewrites the cached entry and cannot re-sign it.
    const payload = JSON.parse(signed.payload) as { entry: { data: Record<string, unknown> } }
    payload.entry.data.injected = 'by someone without the key'
    signed.payload = JSON.stringify(payload)
    await client.send(new PutObjectCommand({ Bucket: c.bucket, Key: `${prefix}/${trainKey}`, Body: JSON.stringify(signed) }))

    const b = copyFixture('classifier', { 'mlci.config.ts': config() })
    const tampered = expectOk(await runCli(['build', '--only', 'train,evaluate'], { cwd: b, env: storeOnly }))
    expect(tampered.output).toContain('shared cache entry for train')
    expect(tampered.output).toContain('missing or bad signature: ignored (a miss)')
    expect(tampered.stdout).not.toContain('[train] ↺ cached')
    expect(tampered.stdout).toContain('[train] ✓ @mlci/plugin-trainer') // trained here

    // Signed with another key: also a miss.
    const c2 = copyFixture('classifier', { 'mlci.config.ts': config() })
    const wrongKey = expectOk(await runCli(['build', '--only', 'train,evaluate'], { cwd: c2, env: { ...storeOnly, MLCI_CACHE_KEY: 'another-key-entirely' } }))
    expect(wrongKey.stdout).not.toContain('restored from the shared cache')

    // A read-only run (a fork's pull request) with new params: reads, builds, uploads nothing.
    const before = await listKeys(prefix)
    const d = copyFixture('classifier', { 'mlci.config.ts': config() })
    const readOnly = expectOk(await runCli(['build', '--only', 'train,evaluate'], { cwd: d, env: { ...storeOnly, MLCI_STORE_READONLY: '1', MLCI_PARAM_SEED: '7' } }))
    expect(readOnly.stdout).not.toContain('↺ cached')
    expect(readOnly.stdout).toContain('Shared cache is read-only in this run')
    expect(await listKeys(prefix)).toEqual(before)
  })

  it('S3 down: the cache degrades to a local build and says so, and publishing a version fails closed', async () => {
    const { env } = await shared()
    const dead = `http://127.0.0.1:${await freePort()}`
    const a = copyFixture('classifier', { 'mlci.config.ts': config() })
    const r = await runCli(['build'], { cwd: a, env: { ...env, AWS_ENDPOINT_URL: dead } })
    expect(r.code, r.output).toBe(1)
    expect(r.output).toContain('Shared cache:')
    expect(r.output).toContain('Shared cache off for the rest of this run after 3 failures: phases build locally.')
    expect(r.output).toMatch(/\[train\] ✓/) // built locally despite the outage
    expect(r.output).toContain('[MLCI_STATE_UNAVAILABLE]')
    expect(r.output).toContain(`The shared store s3://`)
    // Nothing was recorded: the version was refused before it reached the registry.
    const versions = JSON.parse(expectOk(await runCli(['versions', '--json'], { cwd: a, env })).stdout) as VersionsJson
    expect(versions.versions).toEqual([])
  })

  it('mlci registry migrate upgrades a registry created with the first schema; an older schema is refused until then', async () => {
    const { env } = await shared()
    const a = copyFixture('classifier', { 'mlci.config.ts': config() })
    const v1 = expectOk(await runCli(['registry', 'migrate', '--to', '1'], { cwd: a, env }))
    expect(v1.stdout).toMatch(/schema 0 → 1\n\s+applied 1: models, versions, aliases/)
    const refused = await runCli(['versions'], { cwd: a, env })
    expect(refused.code, refused.output).toBe(1)
    expect(refused.output).toContain('has schema 1; this mlci needs 3')
    expect(refused.output).toContain('Run `mlci registry migrate` once')
    expect(expectOk(await runCli(['registry', 'status'], { cwd: a, env })).stdout).toContain('schema 1 of 3 (run `mlci registry migrate`); this project\'s model: classifier')
    const up = expectOk(await runCli(['registry', 'migrate'], { cwd: a, env }))
    expect(up.stdout).toMatch(/schema 1 → 3\n\s+applied 2: alias revision.*\n\s+applied 3: release journal/)
    expect(expectOk(await runCli(['registry', 'migrate'], { cwd: a, env })).stdout).toContain('schema 3, already up to date')
    expectOk(await runCli(['build'], { cwd: a, env }))
    const versions = JSON.parse(expectOk(await runCli(['versions', '--json'], { cwd: a, env })).stdout) as VersionsJson
    expect(versions.versions.map((v) => v.status)).toEqual(['ready'])
  })

  it('mlci registry push copies an embedded registry (versions, blobs, aliases, ledger) into the shared one, idempotently', async () => {
    const { env, prefix } = await shared()
    const a = copyFixture('classifier', { 'mlci.config.ts': config() })
    // Two releases recorded in the checkout's own .mlci/registry (no shared settings).
    expectOk(await runCli(['build'], { cwd: a }))
    expectOk(await runCli(['build'], { cwd: a, env: { MLCI_PARAM_SEED: '5' } }))
    const local = JSON.parse(expectOk(await runCli(['versions', '--json'], { cwd: a })).stdout) as VersionsJson
    expect(local.versions).toHaveLength(2)

    const push = expectOk(await runCli(['registry', 'push'], { cwd: a, env }))
    expect(push.stdout).toContain('versions: 2 copied, 0 already there')
    expect(push.stdout).toMatch(/\d+ alias move\(s\) appended/)
    const again = expectOk(await runCli(['registry', 'push'], { cwd: a, env }))
    expect(again.stdout).toContain('versions: 0 copied, 2 already there')
    expect(again.stdout).toContain('aliases already up to date')
    expect((await listKeys(prefix)).filter((k) => k.startsWith('blobs/'))).not.toHaveLength(0)

    // Another runner sees exactly what the checkout had, and reuses the pushed version.
    const b = copyFixture('classifier', { 'mlci.config.ts': config() })
    const remote = JSON.parse(expectOk(await runCli(['versions', '--json'], { cwd: b, env })).stdout) as VersionsJson
    expect(remote.versions.map((v) => [v.version, v.status])).toEqual(local.versions.map((v) => [v.version, v.status]))
    expect(remote.aliases).toEqual(local.aliases)
    const history = (dir: string, e?: Record<string, string>) => runCli(['history', '--json'], { cwd: dir, env: e }).then((r) => JSON.parse(r.stdout) as unknown)
    expect(await history(b, env)).toEqual(await history(a))
    // (Default params: a checkout without the shared cache key hashes env params with its own key.)
    const reuse = expectOk(await runCli(['build'], { cwd: b, env }))
    expect(reuse.stdout).toContain(`Same inputs as ${local.versions[0].version} (ready): no new version recorded`)
  })

  it('bad shared-state settings fail before anything runs, naming the key or variable', async () => {
    const a = copyFixture('classifier', { 'mlci.config.ts': config().replace("registry: { model: 'classifier' }", "registry: { model: 'classifier', url: 'mysql://db/x' }") })
    const fromConfig = await runCli(['build'], { cwd: a })
    expect(fromConfig.code, fromConfig.output).toBe(2)
    expect(fromConfig.output).toMatch(/registry\.url in \S*mlci\.config\.ts must start with postgres:\/\/ \(found mysql:\/\/\)/)
    const fromEnv = await runCli(['versions'], { cwd: a, env: { MLCI_REGISTRY_URL: 'postgres://u:p@127.0.0.1:1/db', MLCI_STORE_URL: 's3://Bad_Bucket' } })
    expect(fromEnv.code, fromEnv.output).toBe(2)
    expect(fromEnv.output).toContain('MLCI_STORE_URL must look like s3://BUCKET/PREFIX (found "s3://Bad_Bucket")')
    const typo = copyFixture('classifier', { 'mlci.config.ts': config().replace("registry: { model: 'classifier' }", "registry: { modle: 'classifier' }") })
    const typoRun = await runCli(['build'], { cwd: typo })
    expect(typoRun.code, typoRun.output).toBe(2)
    expect(typoRun.output).toContain('config.registry.modle is not a known option (did you mean "model"? known: url, model)')
  })

  it('PostgreSQL unreachable: a clear error naming the server, never its password', async () => {
    const port = await freePort()
    const url = `postgres://mlci:sup3r-secret-pw@127.0.0.1:${port}/nothing`
    const a = copyFixture('classifier', { 'mlci.config.ts': config() })
    const r = await runCli(['versions'], { cwd: a, env: { MLCI_REGISTRY_URL: url } })
    expect(r.code, r.output).toBe(1)
    expect(r.output).toContain(`The shared registry at postgres://mlci@127.0.0.1:${port}/nothing is unavailable`)
    expect(r.output).toContain('[MLCI_STATE_UNAVAILABLE]')
    expect(r.output).not.toContain('sup3r-secret-pw')
  })
})
