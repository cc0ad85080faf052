import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Mlci, type AnalysisReport, type MlciError } from '@mlci/core'
import { ERROR_RATIO } from '../../../test/helpers/metric-server.js'
import { startModelServer, type ModelServer } from '../../../test/helpers/model-server.js'
import { copyFixture } from '../../../test/helpers/testdir.js'
import monitor, { type MetricOptions, type MonitorOptions } from './index.js'

// The monitor against the fixture's real model server (serve.py) with real trained models and
// its fault injection. Probe traffic drives the server's counters, so error ratios have data.

let project: string
// The real interpreter, not the pyenv shim: signals reach serve.py itself, and starts are faster.
let python: string
beforeAll(() => {
  project = copyFixture('classifier')
  python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()
  execFileSync(python, ['train.py', '--out', 'good'], { cwd: project, stdio: 'ignore' })
  execFileSync(python, ['train.py', '--epochs', '1', '--learning_rate', '0.001', '--out', 'bad'], { cwd: project, stdio: 'ignore' })
})

const servers: ModelServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop()
})

/** Start serve.py on a free port; resolves with its URL once it listens. */
async function serve(model: 'good' | 'bad', env: Record<string, string> = {}): Promise<string> {
  const server = await startModelServer({ cwd: project, python, model, env })
  servers.push(server)
  return server.url
}

const accuracy: MetricOptions = { name: 'accuracy', probe: { csv: 'probe.csv', value: 'accuracy' }, successCondition: 'result >= 0.85' }
const probeP95: MetricOptions = { name: 'probe_p95', probe: { csv: 'probe.csv', value: 'p95' }, successCondition: 'result < 1' }
const errorRatio: MetricOptions = { name: 'error_ratio', prometheus: ERROR_RATIO, successCondition: 'result < 0.05' }
const latencyP95: MetricOptions = { name: 'latency_p95', prometheus: 'histogram_quantile(0.95, model_request_duration_seconds_bucket)', successCondition: 'result < 0.5' }

async function analyse(url: string, options: Partial<MonitorOptions> & Pick<MonitorOptions, 'metrics'>) {
  const mlci = new Mlci({ config: { root: project, plugins: [{ plugin: monitor({ url, interval: 100, count: 3, ...options }), source: 'config' }] } })
  const logs: string[] = []
  mlci.on('log', (e) => logs.push(e.message))
  const result = await mlci.run({ only: ['monitor'] }, undefined, { lock: false })
  const report = (result.record.data.analysis as AnalysisReport[])[0]
  return { error: result.error as MlciError | undefined, report, logs }
}

describe('monitor against the fixture model server', () => {
  it('a good model: live accuracy, error ratio, p95 latency and the version gauge all pass', async () => {
    const url = await serve('good')
    const run = await analyse(url, { metrics: [accuracy, probeP95, errorRatio, latencyP95, { name: 'version', prometheus: 'model_info{version="good"}', successCondition: 'result == 1' }] })
    expect(run.error, run.logs.join('\n')).toBeUndefined()
    expect(run.report.verdict).toBe('success')
    for (const sample of run.report.samples) {
      expect(sample.values.accuracy).toBeGreaterThanOrEqual(0.9)
      expect(sample.values.error_ratio).toBe(0)
      expect(sample.values.latency_p95).toBeGreaterThan(0)
    }
  })

  it('a bad model fails on live accuracy after failureLimit + 1 samples', async () => {
    const url = await serve('bad')
    const run = await analyse(url, { count: 4, failureLimit: 1, metrics: [accuracy, errorRatio] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_FAILED')
    expect(run.error?.message).toMatch(/accuracy: failed 2 sample\(s\) \(failureLimit 1\)/)
    expect(run.report.samples).toHaveLength(2)
    expect(run.report.samples[0].values.accuracy).toBeLessThan(0.7)
    // the server itself is healthy: only the model is wrong
    expect(run.report.samples[0].values.error_ratio).toBe(0)
  })

  it('MLCI_FAULT_ERROR_RATE=0.5 breaks the error ratio on every sample: rollback after failureLimit + 1', async () => {
    const url = await serve('good', { MLCI_FAULT_ERROR_RATE: '0.5' })
    const run = await analyse(url, { count: 5, failureLimit: 2, metrics: [{ ...errorRatio }, { name: 'probe_errors', probe: { csv: 'probe.csv', value: 'error_rate', batchSize: 1, rowsPerSample: 20 }, successCondition: 'result < 0.05' }] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_FAILED')
    expect(run.report.samples).toHaveLength(3)
    for (const sample of run.report.samples) {
      // 20 requests per sample, each failing with probability 0.5 (seeded)
      expect(sample.values.error_ratio).toBeGreaterThan(0.2)
      expect(sample.values.error_ratio).toBeLessThan(0.8)
      // the probe sees the same requests the server counted
      expect(sample.values.probe_errors).toBeCloseTo(sample.values.error_ratio!, 5)
    }
  })

  it('MLCI_FAULT_EMPTY_METRICS=1: no data, so not promoted, even though predictions are fine', async () => {
    const url = await serve('good', { MLCI_FAULT_EMPTY_METRICS: '1' })
    const run = await analyse(url, { metrics: [accuracy, errorRatio] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_NO_DATA')
    expect(run.error?.message).toMatch(/got no data, so it is not promoted: error_ratio: no data .*returned no samples \(empty body\)/)
    expect(run.report.samples[0].values.accuracy).toBeGreaterThanOrEqual(0.9)
  })

  it('a probe whose rows no longer fit the model (HTTP 400) is a measurement error, not a failed model', async () => {
    // e.g. after an input-signature change: the server refuses the rows, so the probe measures nothing
    writeFileSync(join(project, 'old-probe.csv'), 'length,width,label\n1.0,2.0,red\n3.0,1.0,blue\n')
    const url = await serve('good')
    const run = await analyse(url, { count: 2, metrics: [{ name: 'accuracy', probe: { csv: 'old-probe.csv', value: 'accuracy' }, successCondition: 'result >= 0.85' }] })
    expect(run.error?.code).toBe('MLCI_ANALYSIS_ERROR')
    expect(run.report).toMatchObject({ outcome: 'Error', rollback: false })
    expect(run.error?.message).toMatch(/the server rejected the probe rows \(HTTP 400: /)
  })

  it('MLCI_FAULT_UNHEALTHY=1 does not fool the analysis: it measures predictions, not /health', async () => {
    const url = await serve('good', { MLCI_FAULT_UNHEALTHY: '1' })
    const health = await fetch(`${url}/health`)
    expect(health.status).toBe(503)
    const run = await analyse(url, { count: 2, metrics: [accuracy, errorRatio] })
    expect(run.error, run.logs.join('\n')).toBeUndefined()
  })
})
