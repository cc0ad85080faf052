// Time from a failed health check to the previous version answering again, with the local
// deployer (the embedded default): a release whose server never gets healthy, the deployer
// stops it and restarts the previous version from its kept command. Measured from the log
// line the deployer writes when the health check gives up to the first /predict answer of the
// previous version seen by an outside poller (every 5 ms). Baseline: a cold start of the same
// model server to its first answer — the floor for any rollback that restarts a process.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/helpers/net.mjs'
import { RELEASE_PLUGIN, config } from '../test/rollback/fixture.mjs'
import { median, table } from './lib.mjs'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(REPO, 'packages/cli/bin/mlci.js')
const RUNS = Number(process.env.BENCH_ROLLBACK_RUNS ?? 5)

export default async function bench() {
  mkdirSync(join(REPO, '.tmp'), { recursive: true })
  const dir = mkdtempSync(join(REPO, '.tmp', 'bench-rollback-'))
  const port = await freePort()
  try {
    cpSync(join(REPO, 'fixtures/classifier'), dir, { recursive: true, filter: (s) => !/[\\/](out|\.mlci|__pycache__|\.pytest_cache)$/.test(s) })
    writeFileSync(join(dir, 'release.mjs'), RELEASE_PLUGIN)
    writeFileSync(join(dir, 'mlci.config.ts'), config(port, { faultTimeoutMs: 1000 }))
    execFileSync('python3', ['train.py', '--out', 'out'], { cwd: dir, stdio: 'ignore' })
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()
    await mlci(dir, { TEST_VERSION: '1.0.0' }, 0)

    // Interleaved, so both see the same machine load.
    const floor = []
    const samples = []
    for (let i = 0; i < RUNS; i++) {
      floor.push(await coldStart(python, dir))
      const answers = []
      let polling = true
      const poller = (async () => {
        while (polling) {
          answers.push({ t: Date.now(), version: await version(port) })
          await sleep(5)
        }
      })()
      await mlci(dir, { TEST_VERSION: `2.0.${i}`, TEST_SERVER_FAULT: '1' }, 1)
      polling = false
      await poller
      const failedAt = healthFailedAt(dir)
      const back = answers.find((a) => a.t >= failedAt && a.version === '1.0.0')
      if (!back) throw new Error(`run ${i}: 1.0.0 never answered after the failed health check`)
      samples.push(back.t - failedAt)
    }
    table([
      ['model server cold start → first /predict answer (floor)', median(floor)],
      ['local: failed health check → previous version answers', median(samples)],
    ], median(floor))
    console.log(`  runs: ${samples.map((s) => `${s} ms`).join(', ')} (target ≤ 3000 ms)`)
  } finally {
    killServers(dir)
    rmSync(dir, { recursive: true, force: true })
  }
}

function mlci(cwd, env, expected) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'build'], { cwd, env: { ...process.env, CI: '1', NO_COLOR: '1', ...env }, stdio: 'ignore' })
    child.on('error', reject)
    child.on('exit', (code) => (code === expected ? resolve() : reject(new Error(`mlci build (${JSON.stringify(env)}) exited ${code}, expected ${expected}`))))
  })
}

/** When the deployer's health check gave up, from the latest run log. */
function healthFailedAt(dir) {
  const runs = join(dir, '.mlci', 'runs')
  const log = readdirSync(runs).filter((f) => f.endsWith('.log')).sort().pop()
  const line = readFileSync(join(runs, log), 'utf8').split('\n').find((l) => l.includes('stopping it and restarting'))
  if (!line) throw new Error(`no health-failure line in ${log}`)
  return Date.parse(line.split(' ')[0])
}

async function version(port) {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST', body: JSON.stringify({ rows: [[5.1, 3.5, 1.4, 0.2, 0.1]] }), signal: AbortSignal.timeout(250),
    })
    return (await r.json()).version
  } catch {
    return undefined
  }
}

async function coldStart(python, dir) {
  const port = await freePort()
  const started = Date.now()
  const child = spawn(python, ['serve.py', '--model', 'out/model.json', '--port', String(port), '--quiet', '--model-version', 'floor'], { cwd: dir, stdio: 'ignore' })
  try {
    while ((await version(port)) !== 'floor') await sleep(5)
    return Date.now() - started
  } finally {
    child.kill('SIGKILL')
  }
}

function killServers(dir) {
  const base = join(dir, '.mlci', 'deploy', 'local')
  if (!existsSync(base)) return
  for (const file of [join(base, 'state.json'), ...readdirSync(base).map((n) => join(base, n, 'process.json'))]) {
    try {
      const data = JSON.parse(readFileSync(file, 'utf8'))
      const proc = data.current ?? data
      if (proc?.pgid) process.kill(-proc.pgid, 'SIGKILL')
    } catch {
      // gone, or no such file
    }
  }
}
