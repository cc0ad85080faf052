import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, type CliResult } from './helpers/cli.js'
import { testdir } from './helpers/testdir.js'

/**
 * A small but complete release pipeline written as a user would write inline plugins, on the
 * real embedded registry: tests → train (metrics from metrics.json) → gate (vs live) → version
 * (registry create + ready) → deploy (move `live`) → monitor (samples; fails when
 * monitor.json says so) → rollback (move `live` back, mark the candidate failed).
 * Builds of it produce realistic run records, registry history and ledger for the report tests.
 */
export const PIPELINE = `
import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { definePlugin, MlciError } from '@mlci/core'

const read = (ctx, file, fallback) => existsSync(join(ctx.cwd, file)) ? JSON.parse(readFileSync(join(ctx.cwd, file), 'utf8')) : fallback

export const pipeline = definePlugin(() => ({ name: 'pipeline', version: '0.0.1', apply(mlci) {
  mlci.declare({ phase: 'train', inputs: ['metrics.json'] })
  mlci.hooks.test.tapPromise('pipeline', async (ctx) => {
    const failures = read(ctx, 'failing-tests.json', [])
    ctx.data.tests = { passed: 12, failed: failures.length, skipped: 1, errors: 0, total: 13 + failures.length, durationMs: 420, failures }
    ctx.log.info('ran 13 tests')
    if (ctx.env.DEPLOY_TOKEN) ctx.log.info('using deploy token ' + ctx.env.DEPLOY_TOKEN)
    if (failures.length) throw new MlciError('MLCI_TESTS_FAILED', failures.length + ' tests failed', { hint: 'Fix the tests.' })
  })
  mlci.hooks.train.tapPromise('pipeline', async (ctx) => {
    ctx.data.params = { epochs: 10 }
    ctx.data.metrics = read(ctx, 'metrics.json', {})
    ctx.log.info('trained: ' + JSON.stringify(ctx.data.metrics))
  })
  mlci.hooks.gate.tapPromise('pipeline', async (ctx) => {
    const live = await ctx.registry.resolve('live')
    const verdicts = Object.entries(ctx.data.metrics ?? {}).map(([metric, candidate]) => {
      const prev = live?.metrics?.[metric]
      const pass = prev === undefined || metric === 'latency_ms' ? true : candidate >= prev - 0.02
      return { metric, candidate, live: prev, threshold: metric === 'latency_ms' ? 'not gated' : '≥ live − 0.02', pass, reason: pass ? undefined : 'dropped more than 0.02' }
    })
    ctx.data.gate = { passed: verdicts.every((v) => v.pass), liveVersion: live?.version, verdicts }
    if (!ctx.data.gate.passed) return { reason: 'accuracy dropped below live − 0.02', details: 'see the metrics table' }
  })
  mlci.hooks.version.tapPromise('pipeline', async (proposal, ctx) => {
    const versions = await ctx.registry.list()
    const fingerprint = JSON.stringify(ctx.data.metrics)
    const same = versions.find((v) => v.fingerprint === fingerprint && v.status === 'ready')
    const live = await ctx.registry.resolve('live')
    if (same) return { version: same.version, bump: 'none', reason: 'same inputs as ' + same.version, previous: live?.version, reused: true, fingerprint }
    const last = versions[versions.length - 1]
    const [major, minor] = last ? last.version.split('.').map(Number) : [1, -1]
    const version = major + '.' + (minor + 1) + '.0'
    // Recorded pending: core's release state makes it ready and live once deploy and monitor passed.
    await ctx.registry.create({ version, runId: ctx.runId, fingerprint, metrics: ctx.data.metrics, params: ctx.data.params })
    return { version, bump: last ? 'minor' : 'major', reason: 'metrics changed', previous: live?.version, fingerprint }
  })
  mlci.hooks.deploy.tapPromise('pipeline', async (request, ctx) => {
    // A deployer reports what runs; it never moves an alias.
    const unchanged = (await ctx.registry.aliases()).live === request.version
    ctx.data.deployment = { version: request.version, target: 'local', url: 'http://127.0.0.1:9/', unchanged }
  })
  mlci.hooks.monitor.tapPromise('pipeline', async (ctx) => {
    const plan = read(ctx, 'monitor.json', { errorRates: [0.01, 0.02, 0.01] })
    const start = Date.parse('2026-11-29T12:00:00Z')
    const samples = plan.errorRates.map((rate, index) => ({
      index, time: new Date(start + index * 10_000).toISOString(),
      values: { error_rate: rate, latency_ms: 40 + index * 3 },
      verdict: rate > 0.1 ? 'failure' : 'success',
    }))
    const failed = samples.some((s) => s.verdict === 'failure')
    ctx.data.analysis = [{ name: 'http-probe', version: ctx.data.candidate.version, verdict: failed ? 'failure' : 'success', samples, message: failed ? 'error_rate above 0.1' : undefined }]
    if (failed) throw new MlciError('MLCI_UNHEALTHY', 'http-probe: error_rate above 0.1 on ' + ctx.data.candidate.version)
  })
  mlci.hooks.rollback.tapPromise('pipeline', async (request, ctx) => {
    // Core has marked the candidate failed; live never left the last good version: keep it live.
    const from = request.candidate
    const to = (await ctx.registry.aliases()).live
    if (to) await ctx.release.goLive(to, 'rollback: ' + request.failedPhase + ' failed on ' + from)
    ctx.data.rollback = { from, to, ok: Boolean(to), reason: request.failedPhase + ' failed' }
  })
} }))
`

export function pipelineProject(options: { alerts?: unknown; report?: unknown; runs?: unknown } = {}): string {
  const extra = Object.entries(options).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${JSON.stringify(v)},`).join('\n  ')
  return testdir({
    'pipeline.mjs': PIPELINE,
    'mlci.config.mjs': `import { pipeline } from './pipeline.mjs'\nexport default {\n  plugins: [pipeline()],\n  ${extra}\n}\n`,
  })
}

/** Run `mlci build` after setting the candidate's metrics (and optionally a failing monitor). */
export async function build(dir: string, metrics: Record<string, number>, extra: { errorRates?: number[]; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify(metrics))
  writeFileSync(join(dir, 'monitor.json'), JSON.stringify({ errorRates: extra.errorRates ?? [0.01, 0.02, 0.015, 0.01] }))
  return runCli(['build'], { cwd: dir, env: extra.env })
}

export function runFiles(dir: string): string[] {
  return readdirSync(join(dir, '.mlci', 'runs')).sort()
}

export function lastRecord(dir: string): Record<string, any> {
  const file = runFiles(dir).filter((f) => f.endsWith('.json')).pop()!
  return JSON.parse(readFileSync(join(dir, '.mlci', 'runs', file), 'utf8'))
}
