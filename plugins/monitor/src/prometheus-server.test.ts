import { execFileSync } from 'node:child_process'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { Mlci, definePlugin, type AnalysisReport, type MlciError } from '@mlci/core'
import { ERROR_RATIO } from '../../../test/helpers/metric-server.js'
import { startModelServer, startTraffic, type ModelServer } from '../../../test/helpers/model-server.js'
import { PROMETHEUS, basicHeader, startPrometheus, waitForProm, type Service } from '../../../test/helpers/prometheus.js'
import { describeWith } from '../../../test/helpers/requirements.js'
import { copyFixture } from '../../../test/helpers/testdir.js'
import monitor, { type MetricOptions, type MonitorOptions } from './index.js'

// The Prometheus-server provider against a real Prometheus 2.42 scraping the fixture's real
// model server (serve.py) every 500 ms, with steady /predict traffic like a real deployment's.
// Each analysis is also written for the embedded local scrape, and both must agree.

const WINDOW = '3s'
let project: string
let python: string
beforeAll(() => {
  project = copyFixture('classifier')
  python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()
  execFileSync(python, ['train.py', '--out', 'good'], { cwd: project, stdio: 'ignore' })
})

const cleanup: (() => Promise<void>)[] = []
const afterAllStops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop()
})
afterAll(async () => {
  for (const stop of afterAllStops.splice(0).reverse()) await stop()
})

/** A model server under traffic, scraped by its own Prometheus; resolves once Prometheus has its series. */
async function stack(env: Record<string, string> = {}, stops = cleanup): Promise<{ server: ModelServer; prometheus: Service }> {
  const server = await startModelServer({ cwd: project, python, model: 'good', version: '1.4.0', env })
  stops.push(server.stop)
  const traffic = startTraffic(server.url)
  stops.push(traffic.stop)
  const prometheus = await startPrometheus([server.address], '500ms')
  stops.push(prometheus.stop)
  // increase() over the window needs two scrapes in it (initialDelay's job in a real release).
  await waitForProm(prometheus.url, `count_over_time(model_requests_total{endpoint="/predict"}[${WINDOW}])`, (n) => n >= 3)
  return { server, prometheus }
}

const serverRatio = (address: string, query?: string): MetricOptions => ({
  name: 'error_ratio', successCondition: 'result < 0.05',
  prometheus: {
    address,
    query: query ?? `sum(increase(model_errors_total{instance="{{address}}"}[${WINDOW}])) / sum(increase(model_requests_total{instance="{{address}}",endpoint="/predict"}[${WINDOW}]))`,
  },
})
/** The same ratio as a range query: its worst point over the last 3 s. */
const rangeRatio = (address: string): MetricOptions => ({
  name: 'worst_ratio', successCondition: 'result < 0.05',
  prometheus: { ...(serverRatio(address).prometheus as object), range: { duration: '3s', step: '500ms', reduce: 'max' } } as MetricOptions['prometheus'],
})
const localRatio: MetricOptions = { name: 'error_ratio', prometheus: ERROR_RATIO, successCondition: 'result < 0.05' }

async function analyse(url: string, options: Partial<MonitorOptions> & Pick<MonitorOptions, 'metrics'>) {
  const deployed = definePlugin(() => ({
    name: 'deployed',
    apply(m) {
      m.hooks.initialize.tapPromise('deployed', async (ctx) => {
        ctx.data.deployment = { version: '1.4.0', url, target: 'test' }
      })
    },
  }))
  const mlci = new Mlci({ config: { root: project, plugins: [
    { plugin: monitor({ interval: '700ms', count: 3, ...options }), source: 'config' },
    { plugin: deployed(), source: 'config' },
  ] } })
  const logs: string[] = []
  mlci.on('log', (e) => logs.push(e.message))
  const result = await mlci.run({ only: ['monitor'] }, undefined, { lock: false })
  const report = (result.record.data.analysis as AnalysisReport[])[0]
  return { error: result.error as MlciError | undefined, report, logs }
}

describeWith(PROMETHEUS, 'monitor with a real Prometheus server', () => {
  // One healthy stack for the tests that only read from it (a Prometheus start costs seconds).
  let healthy: Promise<Awaited<ReturnType<typeof stack>>> | undefined
  const shared = () => (healthy ??= stack({}, afterAllStops))

  it('a healthy server passes, and the local-scrape analysis of the same ratio agrees', async () => {
    const { server, prometheus } = await shared()
    const viaServer = await analyse(server.url, { metrics: [serverRatio(prometheus.url), rangeRatio(prometheus.url), { name: 'version', prometheus: { address: prometheus.url, query: 'model_info{version="{{version}}",instance="{{address}}"}' }, successCondition: 'result == 1' }] })
    expect(viaServer.error, viaServer.logs.join('\n')).toBeUndefined()
    expect(viaServer.report).toMatchObject({ outcome: 'Successful', verdict: 'success' })
    expect(viaServer.report.samples.map((s) => s.values)).toEqual([0, 1, 2].map(() => ({ error_ratio: 0, worst_ratio: 0, version: 1 })))
    const local = await analyse(server.url, { metrics: [localRatio] })
    expect(local.report.outcome).toBe(viaServer.report.outcome)
  })

  it('an injected 50 % error rate fails the analysis (Failed), as the local scrape does', async () => {
    const { server, prometheus } = await stack({ MLCI_FAULT_ERROR_RATE: '0.5' })
    const viaServer = await analyse(server.url, { metrics: [serverRatio(prometheus.url), rangeRatio(prometheus.url)] })
    expect(viaServer.error?.code, viaServer.logs.join('\n')).toBe('MLCI_ANALYSIS_FAILED')
    expect(viaServer.report.samples[0].values.worst_ratio, viaServer.logs.join('\n')).toBeGreaterThan(0.2)
    expect(viaServer.report).toMatchObject({ outcome: 'Failed', rollback: true })
    expect(viaServer.report.samples[0].values.error_ratio).toBeGreaterThan(0.2)
    const local = await analyse(server.url, { metrics: [localRatio] })
    expect(local.report.outcome, local.logs.join('\n')).toBe('Failed')
  })

  it('a PromQL syntax error is a measurement error (Error, no rollback) naming the parser message', async () => {
    const { server, prometheus } = await shared()
    const run = await analyse(server.url, { count: 2, metrics: [serverRatio(prometheus.url, 'sum(rate(model_errors_total[1m])')] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_ERROR')
    expect(run.report).toMatchObject({ outcome: 'Error', verdict: 'error', rollback: false })
    expect(run.error?.message).toMatch(/Prometheus http:\/\/127\.0\.0\.1:\d+: HTTP 400 for "sum\(rate\(model_errors_total\[1m\]\)": bad_data: .*parse error/)
  })

  it('a stopped Prometheus is a measurement error: consecutiveErrorLimit applies, then Error', async () => {
    const { server, prometheus } = await stack()
    await prometheus.stop()
    const run = await analyse(server.url, { count: 5, interval: '50ms', consecutiveErrorLimit: 2, metrics: [serverRatio(prometheus.url)] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_ERROR')
    expect(run.report.samples).toHaveLength(3)
    expect(run.error?.message).toMatch(/3 consecutive measurement errors \(consecutiveErrorLimit 2\); last error: Prometheus http:\/\/127\.0\.0\.1:\d+: fetch failed: ECONNREFUSED/)
  })

  it('a Prometheus behind basic auth: credentials from the env pass; without them HTTP 401 is an Error', async () => {
    const credentials = { user: 'mlci', password: 'pr0m-s3cret-pw' }
    const server = await startModelServer({ cwd: project, python, model: 'good', version: '1.4.0' })
    cleanup.push(server.stop)
    const prometheus = await startPrometheus([server.address], '500ms', credentials)
    cleanup.push(prometheus.stop)
    await waitForProm(prometheus.url, 'up', (v) => v === 1, 20_000, basicHeader(credentials))
    const metric = (auth?: object): MetricOptions => ({ name: 'up', successCondition: 'result == 1', prometheus: { address: prometheus.url, query: 'up{instance="{{address}}"}', ...(auth ? { auth } : {}) } })
    process.env.TEST_PROM_USER = credentials.user
    process.env.TEST_PROM_PASSWORD = credentials.password
    try {
      const ok = await analyse(server.url, { count: 1, metrics: [metric({ usernameEnv: 'TEST_PROM_USER', passwordEnv: 'TEST_PROM_PASSWORD' })] })
      expect(ok.error, ok.logs.join('\n')).toBeUndefined()
      expect(ok.report.samples[0].values.up).toBe(1)
      const denied = await analyse(server.url, { count: 1, consecutiveErrorLimit: 0, metrics: [metric()] })
      expect(denied.error?.code).toBe('MLCI_ANALYSIS_ERROR')
      expect(denied.error?.message).toMatch(/Prometheus http:\/\/127\.0\.0\.1:\d+: HTTP 401 for "up\{instance=\\"127\.0\.0\.1:\d+\\"\}": Unauthorized/)
      expect(JSON.stringify([ok, denied])).not.toContain(credentials.password)
    } finally {
      delete process.env.TEST_PROM_USER
      delete process.env.TEST_PROM_PASSWORD
    }
  })

  it('a query matching several series is an error asking for an aggregation; no series is no data', async () => {
    const { server, prometheus } = await shared()
    const several = await analyse(server.url, { count: 1, consecutiveErrorLimit: 0, metrics: [{ name: 'requests', prometheus: { address: prometheus.url, query: 'model_request_duration_seconds_bucket' }, successCondition: 'result > 0' }] })
    expect(several.error?.message).toMatch(/returned \d+ series \(model_request_duration_seconds_bucket\{.*\}.*\); aggregate to one value, e\.g\. sum\(…\) or max\(…\)/)
    expect(several.report.outcome).toBe('Error')
    const none = await analyse(server.url, { count: 1, metrics: [{ name: 'info', prometheus: { address: prometheus.url, query: 'model_info{version="9.9.9"}' }, successCondition: 'result == 1' }] })
    expect(none.error?.code).toBe('MLCI_ANALYSIS_NO_DATA')
    expect(none.error?.message).toContain('"model_info{version=\\"9.9.9\\"}" returned no series')
  })
})
