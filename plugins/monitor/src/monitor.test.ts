import { afterEach, describe, expect, it } from 'vitest'
import { Mlci, MlciError, definePlugin, type AnalysisReport, type RollbackRequest } from '@mlci/core'
import { ERROR_RATIO, errorRatioMetrics, startServer, type TestServer } from '../../../test/helpers/metric-server.js'
import { testdir } from '../../../test/helpers/testdir.js'
import monitor, { type MonitorOptions } from './index.js'

// The monitor plugin inside the real core (run loop, rollback wiring, embedded registry) against
// real HTTP servers on 127.0.0.1 whose answers are scripted per request.

const servers: TestServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})
async function serve(routes: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const server = await startServer(routes)
  servers.push(server)
  return server
}

interface Setup {
  /** Register this version as live in the embedded registry before the run. */
  live?: string
  /** What a deployer would have published. */
  deployment?: { version: string; url: string }
  files?: Record<string, string>
}

async function analyse(options: Partial<MonitorOptions> & Pick<MonitorOptions, 'metrics'>, setup: Setup = {}) {
  const dir = testdir(setup.files)
  const rollbacks: RollbackRequest[] = []
  const harness = definePlugin(() => ({
    name: 'harness',
    apply(m) {
      m.hooks.initialize.tapPromise('harness', async (ctx) => {
        if (setup.deployment) ctx.data.deployment = { ...setup.deployment, target: 'test' }
      })
      m.hooks.rollback.tapPromise('harness', async (request) => {
        rollbacks.push(request)
      })
    },
  }))
  const mlci = new Mlci({ config: { root: dir, plugins: [{ plugin: monitor({ interval: 50, count: 4, ...options }), source: 'config' }, { plugin: harness(), source: 'config' }] } })
  if (setup.live) {
    await mlci.registry.create({ version: setup.live, fingerprint: 'f', runId: 'r' })
    await mlci.registry.setStatus(setup.live, 'ready', { reason: 'test', by: 'test' })
    await mlci.registry.moveAlias('live', setup.live, { expected: undefined, reason: 'test', by: 'test' })
  }
  const logs: string[] = []
  mlci.on('log', (e) => logs.push(`${e.level} ${e.message}`))
  const result = await mlci.run({ only: ['monitor'], command: 'mlci monitor' })
  const analysis = (result.record.data.analysis ?? []) as AnalysisReport[]
  return { result, rollbacks, analysis, report: analysis[0], logs, mlci, error: result.error as MlciError | undefined }
}

const errorRatio = (extra: Record<string, unknown> = {}) => ({ name: 'error_ratio', prometheus: ERROR_RATIO, successCondition: 'result < 0.05', ...extra })

describe('analysis against a healthy server', () => {
  it('succeeds, shows every sample and records the report in the run and the registry', async () => {
    const server = await serve({ '/metrics': errorRatioMetrics([0.01]) })
    const run = await analyse({ metrics: [errorRatio(), { name: 'info', prometheus: 'model_info{version="v1"}', successCondition: 'result == 1' }] }, { live: '1.0.0', deployment: { version: '1.0.0', url: server.url } })
    expect(run.error, run.logs.join('\n')).toBeUndefined()
    expect(run.report).toMatchObject({ name: 'analysis', version: '1.0.0', verdict: 'success', url: server.url })
    expect(run.report.samples.map((s) => s.values.error_ratio)).toEqual([0.01, 0.01, 0.01, 0.01])
    expect(run.report.metrics?.map((m) => [m.name, m.verdict, m.successes])).toEqual([['error_ratio', 'success', 4], ['info', 'success', 4]])
    expect(run.logs).toContain('info sample 3/4 error_ratio=0.01 ✔ info=1 ✔')
    // a baseline scrape plus one per sample, shared by both metrics
    expect(server.hits['/metrics']).toBe(5)
    const entry = await run.mlci.registry.get('1.0.0')
    expect(entry?.analysis?.map((a) => a.verdict)).toEqual(['success'])
    expect(run.rollbacks).toEqual([])
  })
})

describe('failureLimit: a blip is tolerated, a sustained error rate is not', () => {
  it('fails after failureLimit+1 failing samples, then the core runs rollback', async () => {
    const server = await serve({ '/metrics': errorRatioMetrics([0.4]) })
    const run = await analyse({ url: server.url, count: 6, failureLimit: 2, metrics: [errorRatio()] }, { live: '2.0.0' })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_FAILED')
    expect(run.error?.message).toMatch(/Analysis "analysis" of 2\.0\.0 failed: error_ratio: failed 3 sample\(s\) \(failureLimit 2\); last 0\.4/)
    // stopped early: exactly failureLimit + 1 samples, not all 6
    expect(run.report.samples).toHaveLength(3)
    expect(run.report.samples.every((s) => s.verdict === 'failure')).toBe(true)
    expect(run.rollbacks).toHaveLength(1)
    expect(run.rollbacks[0].failedPhase).toBe('monitor')
    expect(run.rollbacks[0].error).toBe(run.error)
    expect(run.result.record.phases.map((p) => [p.name, p.status])).toEqual([['monitor', 'failed'], ['rollback', 'ok']])
    expect((await run.mlci.registry.get('2.0.0'))?.analysis?.[0].verdict).toBe('failure')
    expect(run.logs.some((l) => l.startsWith('warn sample 1/6 error_ratio=0.4 ✖'))).toBe(true)
  })

  it('a server that fails exactly one sample and recovers passes with failureLimit 1', async () => {
    const server = await serve({ '/metrics': errorRatioMetrics([0, 0.5, 0, 0, 0]) })
    const run = await analyse({ url: server.url, count: 5, failureLimit: 1, metrics: [errorRatio()] })
    expect(run.error, run.logs.join('\n')).toBeUndefined()
    expect(run.report.samples.map((s) => s.verdict)).toEqual(['success', 'failure', 'success', 'success', 'success'])
    expect(run.report.metrics?.[0]).toMatchObject({ verdict: 'success', successes: 4, failures: 1 })
    expect(run.rollbacks).toEqual([])
  })

  it('the same blip fails with the default failureLimit 0', async () => {
    const server = await serve({ '/metrics': errorRatioMetrics([0, 0.5, 0]) })
    const run = await analyse({ url: server.url, count: 3, metrics: [errorRatio()] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_FAILED')
    expect(run.report.samples).toHaveLength(2)
  })
})

describe('no data never promotes', () => {
  it('an empty /metrics body fails the phase with the no-data message (default policy: fail)', async () => {
    const server = await serve({ '/metrics': () => ({ body: '' }) })
    const run = await analyse({ url: server.url, metrics: [errorRatio()] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_NO_DATA')
    expect(run.error?.message).toMatch(/got no data, so it is not promoted: error_ratio: no data in 1 sample\(s\)/)
    expect(run.error?.message).toContain('returned no samples (empty body)')
    expect(run.rollbacks).toHaveLength(1)
  })

  it('no traffic between scrapes (0/0) is no data, not a 0 % error ratio', async () => {
    const server = await serve({ '/metrics': errorRatioMetrics([0], { per: 0 }) })
    const run = await analyse({ url: server.url, metrics: [errorRatio()] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_NO_DATA')
    expect(run.error?.message).toContain('denominator is 0')
  })

  it('a missing series is no data; noData: "inconclusive" fails with a distinct message', async () => {
    const server = await serve({ '/metrics': errorRatioMetrics([0], { version: 'v2' }) })
    const run = await analyse({ url: server.url, noData: 'inconclusive', metrics: [{ name: 'info', prometheus: 'model_info{version="v1"}', successCondition: 'result == 1' }] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_INCONCLUSIVE')
    expect(run.error?.message).toMatch(/was inconclusive, so it is not promoted: info: inconclusive in 1 sample\(s\).*no series matches model_info\{version="v1"\}/)
    expect(run.rollbacks).toHaveLength(1)
  })

  it('a success condition cannot promote NaN; a failure condition may test isNaN itself', async () => {
    const server = await serve({ '/nan': () => ({ body: '{"p95": null}' }) })
    const promote = await analyse({ url: server.url, count: 2, metrics: [{ name: 'p95', json: { url: '/nan', path: 'p95' }, successCondition: 'isNaN(result) || result < 1' }] })
    expect(promote.error?.code).toBe('MLCI_ANALYSIS_NO_DATA')
    const explicit = await analyse({ url: server.url, count: 2, metrics: [{ name: 'p95', json: { url: '/nan', path: 'p95' }, failureCondition: 'isNaN(result) || result > 1' }] })
    expect(explicit.error?.code).toBe('MLCI_ANALYSIS_FAILED')
    expect(explicit.error?.message).toContain('failure condition: isNaN(result) || result > 1')
  })
})

describe('inconclusive policy', () => {
  const metrics = [{ name: 'ratio', prometheus: ERROR_RATIO, successCondition: 'result < 0.05', failureCondition: 'result > 0.2' }]
  it('by default an inconclusive sample counts as a failure', async () => {
    const server = await serve({ '/metrics': errorRatioMetrics([0.1]) })
    const run = await analyse({ url: server.url, metrics }, {})
    expect(run.error?.code).toBe('MLCI_ANALYSIS_FAILED')
    expect(run.error?.message).toContain('inconclusive: neither "result < 0.05" nor "result > 0.2" held')
  })
  it('with inconclusive: "inconclusive" it stays inconclusive up to inconclusiveLimit, then fails the phase distinctly', async () => {
    const server = await serve({ '/metrics': errorRatioMetrics([0.1, 0.0, 0.1, 0.1]) })
    const run = await analyse({ url: server.url, inconclusive: 'inconclusive', inconclusiveLimit: 1, metrics })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_INCONCLUSIVE')
    expect(run.report.samples.map((s) => s.verdict)).toEqual(['inconclusive', 'success', 'inconclusive'])
    expect(run.report.verdict).toBe('inconclusive')
  })
})

describe('measurement errors', () => {
  it('tolerates consecutiveErrorLimit scrape errors in a row', async () => {
    const server = await serve({ '/metrics': errorRatioMetrics([0], { fail: [3, 4] }) })
    const run = await analyse({ url: server.url, count: 5, consecutiveErrorLimit: 2, metrics: [errorRatio()] })
    expect(run.error, run.logs.join('\n')).toBeUndefined()
    expect(run.report.samples.map((s) => s.verdict)).toEqual(['success', 'error', 'error', 'success', 'success'])
  })

  it('fails once errors in a row exceed consecutiveErrorLimit, naming the cause', async () => {
    const server = await serve({ '/other': () => ({}) })
    const url = server.url
    await server.close()
    servers.length = 0
    const run = await analyse({ url, count: 5, consecutiveErrorLimit: 1, metrics: [errorRatio()] })
    // Could not measure: outcome Error (never Failed), and no rollback unless rollbackOn says so.
    expect(run.error?.code).toBe('MLCI_ANALYSIS_ERROR')
    expect(run.report).toMatchObject({ outcome: 'Error', verdict: 'error', rollback: false })
    expect(run.error?.message).toMatch(/could not measure, so it is not promoted; the version is not marked failed and not rolled back/)
    expect(run.error?.message).toMatch(/2 consecutive measurement errors \(consecutiveErrorLimit 1\); last error: .*ECONNREFUSED/)
    expect(run.report.samples).toHaveLength(2)
  })

  it('never passes on errors alone, even under the limit', async () => {
    const server = await serve({ '/metrics': () => ({ status: 503, body: 'down' }) })
    const run = await analyse({ url: server.url, count: 2, metrics: [errorRatio()] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_ERROR')
    expect(run.error?.message).toMatch(/no sample succeeded in 2 \(2 errors\)/)
    expect(run.report.outcome).toBe('Error')
  })

  it('rollbackOn: ["Error"] asks for a rollback on measurement errors, still without a Failed verdict', async () => {
    const server = await serve({ '/metrics': () => ({ status: 503, body: 'down' }) })
    const run = await analyse({ url: server.url, count: 2, rollbackOn: ['Failed', 'Error'], metrics: [errorRatio()] })
    expect(run.report).toMatchObject({ outcome: 'Error', rollback: true })
    expect(run.error?.message).toContain('rolled back (rollbackOn includes "Error")')
  })

  it('a failing metric beside an erroring one is Failed: an error never hides a verdict', async () => {
    const server = await serve({ '/metrics': errorRatioMetrics([0.5]) })
    const run = await analyse({ url: server.url, count: 2, metrics: [errorRatio(), { name: 'stats', json: { url: '/stats', path: 'p95' }, successCondition: 'result < 1' }] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_FAILED')
    expect(run.report.outcome).toBe('Failed')
  })

  it('a probe the server rejects with HTTP 400 is a measurement error, not a failed model', async () => {
    const server = await serve({ '/predict': () => ({ status: 400, body: { error: 'expected 4 features, got 2' } }) })
    const run = await analyse({ url: server.url, count: 2, metrics: [{ name: 'acc', probe: { csv: 'p.csv', value: 'accuracy' }, successCondition: 'result > 0.9' }] }, { files: { 'p.csv': 'x,y,label\n1,2,a\n' } })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_ERROR')
    expect(run.error?.message).toMatch(/the server rejected the probe rows \(HTTP 400: .*expected 4 features/)
    expect(run.report.outcome).toBe('Error')
  })

  it('a body that is not Prometheus text is a measurement error with the line', async () => {
    const server = await serve({ '/metrics': () => ({ body: 'model_errors_total one\n' }) })
    const run = await analyse({ url: server.url, count: 1, consecutiveErrorLimit: 0, metrics: [errorRatio()] })
    expect(run.error?.message).toMatch(/is not Prometheus text: line 1: bad value "one"/)
  })
})

describe('json and histogram sources', () => {
  it('reads a value by path from a JSON endpoint', async () => {
    const server = await serve({ '/stats': (hit) => ({ body: { latency: { p95: [0.1 + hit / 100] }, ok: true } }) })
    const run = await analyse({ url: server.url, count: 3, metrics: [
      { name: 'p95', json: { url: '/stats', path: 'latency.p95[0]' }, successCondition: 'result < 0.2' },
      { name: 'ok', json: { url: '/stats', path: 'ok' }, successCondition: 'result == 1' },
    ] })
    expect(run.error, run.logs.join('\n')).toBeUndefined()
    // Both metrics read one fetch per sample: the server's hit count steps by 1, not 2.
    expect(run.report.samples.map((s) => Number(s.values.p95?.toFixed(6)))).toEqual([0.11, 0.12, 0.13])
  })

  it('p95 latency from histogram bucket increases between scrapes', async () => {
    // each interval adds 100 observations: 80 ≤ 0.1 s, 15 in (0.1, 0.5], 5 slow ones in (0.5, 1] (then 60 slow ones)
    const server = await serve({
      '/metrics': (hit) => {
        const n = hit - 1
        const slow = hit >= 4 ? 60 : 5
        const b = (le: string, v: number) => `lat_bucket{le="${le}"} ${v}`
        return { body: [b('0.1', 80 * n), b('0.5', 95 * n), b('1', 100 * n + (slow - 5) * Math.max(0, hit - 3)), b('+Inf', 100 * n + (slow - 5) * Math.max(0, hit - 3))].join('\n') }
      },
    })
    const run = await analyse({ url: server.url, count: 3, metrics: [{ name: 'p95', prometheus: 'histogram_quantile(0.95, lat_bucket)', successCondition: 'result <= 0.5' }] })
    expect(run.report.samples[0].values.p95).toBeCloseTo(0.5)
    expect(run.report.samples[2].values.p95).toBeGreaterThan(0.9)
    expect(run.error?.code).toBe('MLCI_ANALYSIS_FAILED')
  })
})

describe('probe source', () => {
  const csv = 'x,y,label\n1,2,red\n3,4,blue\n5,6,red\n7,8,red\n'
  it('POSTs labelled rows in batches and scores the answers; bad answers count as failed requests', async () => {
    const bodies: unknown[] = []
    const server = await serve({
      '/predict': (hit, { body }) => {
        const rows = (JSON.parse(body) as { rows: unknown[] }).rows
        bodies.push(rows)
        // request 2 of each sample answers the wrong shape
        return hit % 2 === 0 ? { body: { classes: ['red'] } } : { body: { classes: rows.map(() => 'red') } }
      },
    })
    const run = await analyse({ url: server.url, count: 1, metrics: [
      { name: 'acc', probe: { csv: 'probe.csv', value: 'accuracy', batchSize: 2 }, successCondition: 'result >= 0.5' },
      { name: 'errors', probe: { csv: 'probe.csv', value: 'error_rate', batchSize: 2 }, successCondition: 'result < 0.6' },
    ] }, { files: { 'probe.csv': csv } })
    expect(run.error, run.logs.join('\n')).toBeUndefined()
    // one probe run shared by both metrics: 4 rows in 2 requests, as objects
    expect(bodies).toEqual([[{ x: 1, y: 2 }, { x: 3, y: 4 }], [{ x: 5, y: 6 }, { x: 7, y: 8 }]])
    expect(run.report.samples[0].values).toEqual({ acc: 0.5, errors: 0.5 })
  })

  it('a missing probe CSV fails verify, before anything is deployed', async () => {
    const dir = testdir()
    const mlci = new Mlci({ config: { root: dir, plugins: [{ plugin: monitor({ url: 'http://127.0.0.1:9', metrics: [{ name: 'acc', probe: { csv: 'nope.csv', value: 'accuracy' }, successCondition: 'result > 0.9' }] }), source: 'config' }] } })
    const result = await mlci.run({ only: ['verify', 'monitor'] })
    expect(result.record.phases.map((p) => [p.name, p.status])).toEqual([['verify', 'failed']])
    expect((result.error as MlciError).message).toMatch(/Cannot load the probe dataset: .*nope\.csv/)
  })

  it('a CSV without the label column is refused with its header', async () => {
    const server = await serve({ '/predict': () => ({ body: { classes: [] } }) })
    const run = await analyse({ url: server.url, metrics: [{ name: 'acc', probe: { csv: 'p.csv', value: 'accuracy', label: 'target' }, successCondition: 'result > 0.9' }] }, { files: { 'p.csv': csv } })
    expect(run.error?.message).toMatch(/p\.csv has no "target" column \(header: x, y, label\)/)
  })
})

describe('configuration and lifecycle', () => {
  it('rejects bad options before anything runs (exit code 2)', () => {
    const bad = (o: unknown) => () => monitor(o as MonitorOptions)
    expect(bad({ metrics: [{ name: 'x', prometheus: 'x', successCondition: 'result = 1' }] })).toThrow(/metrics\[0\]\.successCondition: invalid condition "result = 1": "=" at column 8 \(use "==" to compare\)/)
    expect(bad({ metrics: [{ name: 'x', prometheus: 'x' }] })).toThrow(/needs a successCondition and\/or a failureCondition/)
    expect(bad({ metrics: [{ name: 'x', prometheus: 'x', json: { path: 'a' }, successCondition: 'result > 0' }] })).toThrow(/exactly one source.*got prometheus and json/)
    expect(bad({ metrics: [{ name: 'x', prometheus: 'rate(x[5m])', successCondition: 'result > 0' }] })).toThrow(/remove "\[…\]"/)
    expect(bad({ interval: 'soon', metrics: [] })).toThrow(/metrics is empty[\s\S]*interval "soon" is not a duration; write e\.g\. 500ms/)
    expect(bad({ metrics: [{ name: 'x', probe: { csv: 'p.csv', value: 'f1' }, successCondition: 'result > 0' }] })).toThrow(/probe\.value must be one of "accuracy"/)
    expect(bad({})).toThrow(/metrics is required/)
    // a Prometheus server metric: nested problems are named, not swallowed by the string|object union
    const server = (prometheus: unknown) => bad({ metrics: [{ name: 'x', prometheus, successCondition: 'result > 0' }] })
    expect(server({ query: 'q' })).toThrow(/metrics\[0\]\.prometheus\.address is required \(a string\)/)
    expect(server({ address: 'http://p:9090', query: 'q', range: { duration: '5m' } })).toThrow(/prometheus\.range\.reduce is required \(one of "last", "avg", "min", "max"\)/)
    expect(server({ address: 'p:9090', query: 'q' })).toThrow(/prometheus\.address must be the http\(s\) URL of a Prometheus server, got "p:9090"/)
    expect(server({ address: 'http://p', query: 'q', range: { duration: '5m', step: '10m', reduce: 'max' } })).toThrow(/range\.step must be more than 0 and at most the duration \(5m\)/)
    expect(server(42)).toThrow(/prometheus must be a string or an object, got a number/)
    // A condition is parsed, never evaluated as JavaScript: this must be refused, not run.
    expect(bad({ metrics: [{ name: 'x', prometheus: 'x', successCondition: 'process.exit(1)' }] }))
      .toThrow(expect.objectContaining({ code: 'MLCI_PLUGIN_OPTIONS', message: expect.stringMatching(/metrics\[0\]\.successCondition: invalid condition "process\.exit\(1\)"/) }))
  })

  it('without a URL it says how to configure one', async () => {
    const run = await analyse({ metrics: [errorRatio()] })
    // A configuration error (exit 2), not a verdict: core rolls nothing back for it.
    expect(run.error?.code).toBe('MLCI_PLUGIN_OPTIONS')
    expect(run.error?.message).toMatch(/`url` of @mlci\/plugin-monitor is not set in your mlci config/)
    expect(run.error?.hint).toMatch(/monitor\(\{ url: 'http:\/\/127\.0\.0\.1:8731'/)
  })

  it('Ctrl-C during the analysis interrupts it without a rollback', async () => {
    const controller = new AbortController()
    const metrics = errorRatioMetrics([0])
    // Ctrl-C right after the baseline scrape, while the analysis waits 10 s for sample 1.
    const server = await serve({ '/metrics': (hit, request) => { setImmediate(() => controller.abort()); return metrics(hit, request) } })
    const dir = testdir()
    const mlci = new Mlci({ config: { root: dir, plugins: [{ plugin: monitor({ url: server.url, interval: 10_000, count: 3, metrics: [errorRatio()] }), source: 'config' }] } })
    let rolledBack = false
    mlci.hooks.rollback.tapPromise('t', async () => { rolledBack = true })
    const started = Date.now()
    const result = await mlci.run({ only: ['monitor'] }, controller.signal)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect((result.error as MlciError).code).toBe('MLCI_INTERRUPTED')
    expect(rolledBack).toBe(false)
  })
})
