// Shared by the rollback tests (project.ts) and bench/rollback.bench.mjs: a project that
// releases a version per run through the real local deployer and rollback plugin.

/**
 * Stands in for trainer + semver so the tests exercise deploy, monitor and rollback only:
 * records version $TEST_VERSION from the trained model (tagged with the version, so every
 * version has its own artifact digest; $TEST_SIGNATURE records a signature with that input),
 * and taps monitor with a check that can fail ($TEST_MONITOR_FAIL) or hang ($TEST_MONITOR_SLOW);
 * $TEST_DONE_SLOW hangs the run after every phase passed (core has released it by then).
 * Core's release state marks versions ready or failed; this plugin never does.
 */
export const RELEASE_PLUGIN = `
import { definePlugin } from '@mlci/core'
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
const NAME = 'test-release'
export const release = definePlugin(() => ({ name: NAME, apply(mlci) {
  mlci.hooks.version.tapPromise(NAME, async (proposal, ctx) => {
    const version = ctx.env.TEST_VERSION
    const file = join(ctx.cwd, 'out', 'model.json')
    const model = JSON.parse(readFileSync(file, 'utf8'))
    writeFileSync(file, JSON.stringify({ ...model, test_version: version }))
    const { digest, size } = await ctx.store.put(file)
    const artifacts = [{ path: 'out/model.json', digest, size }]
    ctx.data.artifacts = artifacts
    const signature = ctx.env.TEST_SIGNATURE ? { inputs: [{ name: ctx.env.TEST_SIGNATURE, type: 'float' }], outputs: 'label' } : undefined
    await ctx.registry.create({ version, runId: ctx.runId, fingerprint: 'fp-' + version, artifacts, signature })
    return { version, bump: 'patch', reason: 'test' }
  })
  mlci.hooks.monitor.tapPromise(NAME, async (ctx) => {
    if (ctx.env.TEST_MONITOR_SLOW) {
      writeFileSync(join(ctx.cwd, 'monitoring.pid'), String(process.pid))
      await sleep(120000, undefined, { signal: ctx.signal })
    }
    // \`mlci monitor\` judges the live version (as the monitor plugin does).
    if (!ctx.data.candidate) {
      const live = await ctx.registry.resolve('live')
      if (live) ctx.data.candidate = { version: live.version, bump: 'none', reason: 'analysing the live version', reused: true }
    }
    // The server code breaks (a bad edit, and the kept per-version copies are gone): no version
    // that is not running already can start any more.
    if (ctx.env.TEST_MONITOR_BREAK_SERVER) {
      writeFileSync(join(ctx.cwd, 'serve.py'), 'raise SystemExit("serve.py is broken")\\n')
      for (const name of readdirSync(join(ctx.stateDir, 'deploy', 'local'))) rmSync(join(ctx.stateDir, 'deploy', 'local', name, 'server'), { recursive: true, force: true })
    }
    if (ctx.env.TEST_MONITOR_FAIL) throw new Error('error rate 0.5 is above the 0.1 limit (3 of 3 samples)')
  })
  // Status changes are core's (the release state): this plugin only records the version.
  mlci.hooks.done.tapPromise(NAME, async (record, ctx) => {
    if (ctx.env.TEST_DONE_SLOW) {
      writeFileSync(join(ctx.cwd, 'finishing.pid'), String(process.pid))
      await sleep(120000)
    }
  })
} }))
`

/**
 * The project config. A release with TEST_SERVER_FAULT set serves with a health endpoint that
 * always answers 503 and gets `faultTimeoutMs` to prove otherwise (healthy releases get 20 s:
 * Python starts slowly on a busy CI box).
 */
export function config(port, { faultTimeoutMs = 2000 } = {}) {
  return `
import local from '@mlci/plugin-local'
import rollback from '@mlci/plugin-rollback'
import { release } from './release.mjs'
const fault = Boolean(process.env.TEST_SERVER_FAULT)
const env = fault ? { MLCI_FAULT_UNHEALTHY: '1' } : {}
export default {
  plugins: [
    release(),
    local({ port: ${port}, env, health: { intervalMs: 50, timeoutMs: fault ? ${faultTimeoutMs} : 20000, successes: 2 }, stopTimeoutMs: 2000 }),
    rollback(),
  ],
}
`
}
