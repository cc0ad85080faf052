// Time from a failed health check to the previous version answering again: the docker deployer
// (stop → rename → restart of the kept container) beside the local deployer (restart of the kept
// command). Also prints the docker image build time and container start → healthy.
// Needs a Docker engine (bash .ci/services.sh) and built packages (npx tsc -b).
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/helpers/net.mjs'
import { median } from './lib.mjs'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const TARGET_MS = 3000

export default async function main() {
  const core = await import('@mlci/core')
  const engine = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' })
  if (engine.status !== 0) {
    console.log('docker engine not reachable: skipped (run `bash .ci/services.sh`, then `npx tsc -b`)')
    return
  }
  const dirs = []
  const project = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlci-bench-rollback-'))
    dirs.push(dir)
    cpSync(join(REPO, 'fixtures/classifier'), dir, { recursive: true, filter: (s) => !/[\\/](out|\.mlci|__pycache__)$/.test(s) })
    spawnSync('python3', ['train.py'], { cwd: dir, stdio: 'ignore' })
    return dir
  }
  const rows = []
  try {
    const docker = (await import('@mlci/plugin-docker')).default
    const name = `bench${process.pid}`
    const port = await freePort()
    const base = {
      image: `mlci-bench/${name}`, name, port, stopTimeout: 2, keepImages: 2,
      buildArgs: { BASE: process.env.MLCI_TEST_BASE_IMAGE ?? 'mlci-python:bookworm' },
      health: { intervalMs: 100, timeoutMs: 1000, successes: 1 },
    }
    try {
      const r = await measure(core, project(), port, (fault) => docker(fault ? { ...base, env: { MLCI_FAULT_UNHEALTHY: '1' } } : base))
      rows.push(['docker', r])
    } finally {
      spawnSync('docker', ['rm', '-f', `mlci-${name}`, `mlci-${name}-previous`, `mlci-${name}-next`], { stdio: 'ignore' })
      const ids = spawnSync('docker', ['image', 'ls', '-q', '--filter', `label=io.mlci.name=${name}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
      if (ids.length) spawnSync('docker', ['image', 'rm', '-f', ...new Set(ids)], { stdio: 'ignore' })
    }
    try {
      const local = (await import('@mlci/plugin-local')).default
      const port2 = await freePort()
      const opts = { port: port2, health: { intervalMs: 100, timeoutMs: 1000, successes: 1 }, stopTimeoutMs: 2000 }
      const dir = project()
      try {
        const r = await measure(core, dir, port2, (fault) => local(fault ? { ...opts, env: { MLCI_FAULT_UNHEALTHY: '1' } } : opts))
        rows.push(['local', r])
      } finally {
        stopLocalServer(dir)
      }
    } catch (error) {
      console.log(`local deployer: not measured (${error.message.split('\n')[0]})`)
    }
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
  console.log(`failed health check → previous version answers again (median of ${RUNS}, target ≤ ${TARGET_MS} ms):`)
  const docker = rows.find(([n]) => n === 'docker')?.[1]
  for (const [label, r] of rows) {
    const ratio = docker ? `   ${(r.rollback / docker.rollback).toFixed(2)}× docker` : ''
    console.log(`  ${label.padEnd(8)} rollback ${r.rollback.toFixed(0).padStart(6)} ms${ratio}   ${r.rollback <= TARGET_MS ? 'ok' : 'OVER TARGET'}`)
  }
  if (docker) {
    console.log(`  docker   image build ${docker.build.toFixed(0)} ms (median), container start → healthy ${docker.healthy.toFixed(0)} ms (median)`)
  }
}

/**
 * Release 1.0.0 healthy once, then RUNS times a release whose /health is 503: time from the
 * deployer's "failed" warning to the first POST /predict answered by 1.0.0 (polled every 10 ms).
 */
async function measure(core, dir, port, plugin) {
  const versionPlugin = core.definePlugin(() => ({
    name: 'bench-version',
    apply(mlci) {
      mlci.hooks.version.tapPromise('bench-version', async (_p, ctx) => {
        const version = ctx.options.version
        if (!(await ctx.registry.get(version))) {
          const { digest, size } = await ctx.store.put(join(ctx.cwd, 'out/model.json'))
          // Recorded pending: core's release state makes it ready once deployed.
          await ctx.registry.create({ version, runId: ctx.runId, fingerprint: `fp-${version}`, artifacts: [{ path: 'out/model.json', digest, size }] })
        }
        return { version, bump: 'minor', reason: 'bench' }
      })
    },
  }))
  const open = async (fault) => {
    const config = await core.resolveConfig({ plugins: [versionPlugin(), plugin(fault)] }, undefined, dir)
    return new core.Mlci({ config, env: process.env })
  }
  const build = []
  const healthy = []
  const collect = (mlci) => mlci.on('log', (e) => {
    const b = /^Built .* in (\d+) ms/.exec(e.message)
    if (b) build.push(Number(b[1]))
    const h = /healthy after (\d+) ms/.exec(e.message)
    if (h) healthy.push(Number(h[1]))
  })
  const good = await open(false)
  collect(good)
  const first = await good.run({ only: ['version', 'deploy'], version: '1.0.0' })
  if (first.error) throw first.error
  const times = []
  for (let i = 0; i < RUNS; i++) {
    const bad = await open(true)
    collect(bad)
    let answered
    bad.on('log', (e) => {
      if (answered || e.level !== 'warn' || !/failed/.test(e.message)) return
      const t0 = performance.now()
      answered = (async () => {
        for (;;) {
          if ((await predictVersion(port)) === '1.0.0') return performance.now() - t0
          await sleep(10)
        }
      })()
    })
    const result = await bad.run({ only: ['version', 'deploy'], version: `1.1.${i}` })
    if (!result.error) throw new Error('the faulty release unexpectedly succeeded')
    if (!answered) throw new Error(`no "failed" warning was logged: ${result.error.message}`)
    times.push(await Promise.race([answered, sleep(15_000).then(() => Infinity)]))
  }
  // One more healthy release, to time a build and a start → healthy without the fault.
  const again = await open(false)
  collect(again)
  await again.run({ only: ['version', 'deploy'], version: '1.2.0' })
  return { rollback: median(times), build: build.length ? median(build) : NaN, healthy: healthy.length ? median(healthy) : NaN }
}

async function predictVersion(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [[3.4879, 1.5626, 6.6055, 1.116, -1.5406]] }), signal: AbortSignal.timeout(500),
    })
    return res.ok ? (await res.json()).version : undefined
  } catch {
    return undefined
  }
}

/** The local deployer's server outlives the run by design: stop it (its pid file) when done. */
function stopLocalServer(dir) {
  try {
    const pid = Number(readFileSync(join(dir, '.mlci/deploy/local/server.pid'), 'utf8'))
    if (pid > 1) process.kill(pid, 'SIGTERM')
  } catch {
    // not running
  }
}
