import { randomBytes } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { runCli, type CliResult } from './helpers/cli.js'
import { startTraffic } from './helpers/model-server.js'
import { ALERTMANAGER, PROMETHEUS, startAlertmanager, startPrometheus, type Service } from './helpers/prometheus.js'
import { describeWith } from './helpers/requirements.js'
import { freePort, killServers, registryState, serverPids } from './rollback/project.js'
import { copyFixture } from './helpers/testdir.js'
import { DOCKER, cleanupDeployment } from '../plugins/docker/test/docker-env.js'

// Releases of the classifier fixture through the real CLI (trainer, semver, the local deployer,
// monitor, rollback), analysed by a real Prometheus 2.42 that scrapes the deployed model server
// every 500 ms while steady /predict traffic runs, as it would in production. Steps build on
// the registry state the previous ones left, so they run in order.

const SCRAPE = '500ms'
const WINDOW = '2s'
// The same analysis, written for a Prometheus server and for the embedded local scrape.
const CONFIG = `
import trainer from '@mlci/plugin-trainer'
import semver from '@mlci/plugin-semver'
import local from '@mlci/plugin-local'
import monitor from '@mlci/plugin-monitor'
import rollback from '@mlci/plugin-rollback'
const e = process.env
const ratio = e.TEST_PROVIDER === 'local'
  ? 'increase(model_errors_total) / increase(model_requests_total{endpoint="/predict"})'
  : { address: e.TEST_PROMETHEUS_URL, query: e.TEST_QUERY ?? 'sum(increase(model_errors_total{instance="{{address}}"}[${WINDOW}])) / sum(increase(model_requests_total{instance="{{address}}",endpoint="/predict"}[${WINDOW}]))' }
export default {
  plugins: [
    trainer({ command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file',
      inputs: ['train.py', 'params.json', 'data/train.csv'], outputs: ['out/model.json'], metrics: 'out/metrics.json', signature: 'out/signature.json' }),
    semver(),
    local({ port: Number(e.TEST_PORT), env: { MLCI_FAULT_ERROR_RATE: e.TEST_ERROR_RATE ?? '0' }, health: { intervalMs: 50, timeoutMs: 20000, successes: 1 }, stopTimeoutMs: 2000 }),
    monitor({
      // Prometheus needs a few scrapes of the new server before a [${WINDOW}] increase has data.
      url: 'http://127.0.0.1:' + e.TEST_PORT, initialDelay: e.TEST_PROVIDER === 'local' ? 0 : '1500ms', interval: '1s', count: 3,
      metrics: [{ name: 'error_ratio', prometheus: ratio, successCondition: 'result < 0.05' }],
    }),
    rollback(),
  ],
  alerts: { alertmanagers: [{ url: e.TEST_ALERTMANAGER_URL, labels: { team: 'ml' } }], retries: 0 },
}
`

let dir: string
let port: number
let prometheus: Service
let alertmanager: Service
let traffic: ReturnType<typeof startTraffic>

const mlci = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, { cwd: dir, timeoutMs: 120_000, env: { TEST_PORT: String(port), TEST_PROMETHEUS_URL: prometheus.url, TEST_ALERTMANAGER_URL: alertmanager.url, ...env } })

interface Alert { labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }
/** This project's alerts as Alertmanager reports them (active ones, unless `all`). */
async function alerts(): Promise<Alert[]> {
  const query = new URLSearchParams([['filter', 'source="mlci"'], ['filter', `model="${dir.split('/').pop()}"`]])
  return await (await fetch(`${alertmanager.url}/api/v2/alerts?${query}`)).json() as Alert[]
}

/** The full version (with build metadata) of a release. */
const v = (release: string) => Object.keys(registryState(dir).versions).find((k) => k.split('+')[0] === release)!

function lastRecord(): { data: { analysis?: { outcome: string; verdict: string; rollback?: boolean; endedAt: string; startedAt: string }[] }; phases: { name: string; status: string; durationMs: number }[] } {
  const runs = join(dir, '.mlci', 'runs')
  const file = readdirSync(runs).filter((f) => f.endsWith('.json')).sort().pop()!
  return JSON.parse(readFileSync(join(runs, file), 'utf8'))
}

/** From the moment the faulty version served (end of deploy) to the end of the rollback. */
function faultToRollbackMs(): number {
  const phases = lastRecord().phases
  const ms = (name: string) => phases.find((p) => p.name === name)?.durationMs ?? Number.NaN
  return ms('monitor') + ms('rollback')
}

describeWith(PROMETHEUS, 'releases analysed by a real Prometheus server', () => describeWith(ALERTMANAGER, 'alerts in a real Alertmanager', () => {
  beforeAll(async () => {
    port = await freePort()
    alertmanager = await startAlertmanager()
    dir = copyFixture('classifier', { 'mlci.config.ts': CONFIG })
    prometheus = await startPrometheus([`127.0.0.1:${port}`], SCRAPE)
    traffic = startTraffic(`http://127.0.0.1:${port}`)
  })
  afterAll(async () => {
    await traffic?.stop()
    await prometheus?.stop()
    await alertmanager?.stop()
    if (dir) killServers(dir)
    expect(dir ? serverPids(dir) : []).toEqual([])
  })

  it('a healthy release passes the Prometheus analysis and becomes ready and live', async () => {
    const r = await mlci(['build'])
    expect(r.code, r.output).toBe(0)
    expect(r.stdout).toMatch(/sample 3\/3 error_ratio=0 ✔/)
    const reg = registryState(dir)
    expect(reg.aliases.live).toBe(v('0.1.0'))
    expect(reg.versions[v('0.1.0')].status).toBe('ready')
    expect(lastRecord().data.analysis?.[0]).toMatchObject({ outcome: 'Successful', verdict: 'success' })
  })

  it('an injected 50 % error rate fails the analysis (Failed): rolled back, the version marked failed', async () => {
    const r = await mlci(['build'], { TEST_ERROR_RATE: '0.5', MLCI_PARAM_EPOCHS: '201' })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toMatch(/Analysis "analysis" of 0\.1\.1\+data\.\w+ failed: error_ratio: failed 1 sample\(s\) \(failureLimit 0\); last 0\.\d+.*\[MLCI_ANALYSIS_FAILED\]/)
    const reg = registryState(dir)
    expect(reg.aliases.live).toBe(v('0.1.0'))
    expect(reg.versions[v('0.1.1')].status).toBe('failed')
    expect(lastRecord().data.analysis?.[0]).toMatchObject({ outcome: 'Failed', rollback: true })
    // The failed release fires an alert in Alertmanager with its facts as labels.
    const firing = await alerts()
    expect(firing).toHaveLength(1)
    expect(firing[0].labels).toEqual({
      alertname: 'MlciRunFailed', source: 'mlci', model: dir.split('/').pop(), version: v('0.1.1'), phase: 'monitor',
      outcome: 'rolledback', analysis: 'Failed', team: 'ml',
    })
    expect(firing[0].status.state).toBe('active')
    expect(firing[0].annotations.summary).toMatch(/0\.1\.1/)
    console.log(`[measure] fault → rollback with the Prometheus provider (scrape ${SCRAPE}, initialDelay 1.5 s, interval 1 s): ${faultToRollbackMs()} ms`)
  })

  it('the same fault with the local-scrape provider gives the same verdict', async () => {
    const r = await mlci(['build'], { TEST_PROVIDER: 'local', TEST_ERROR_RATE: '0.5', MLCI_PARAM_EPOCHS: '202' })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain('[MLCI_ANALYSIS_FAILED]')
    expect(registryState(dir).aliases.live).toBe(v('0.1.0'))
    expect(lastRecord().data.analysis?.[0]).toMatchObject({ outcome: 'Failed', rollback: true })
    console.log(`[measure] fault → rollback with the local-scrape provider (interval 1 s, a baseline scrape first): ${faultToRollbackMs()} ms`)
    // a good release resolves both firing alerts
    expect((await alerts()).map((a) => a.labels.version).sort()).toEqual([v('0.1.1'), v('0.1.2')])
    const good = await mlci(['build'], { MLCI_PARAM_EPOCHS: '210' })
    expect(good.code, good.output).toBe(0)
    expect(good.output).toContain('Resolved 2 firing alerts in Alertmanager 127.0.0.1:')
    expect(await alerts()).toEqual([])
  })

  it('a PromQL syntax error is a measurement error: exit 1, the new version is neither failed nor rolled back', async () => {
    const r = await mlci(['build'], { MLCI_PARAM_EPOCHS: '203', TEST_QUERY: 'sum(rate(model_errors_total[1m])' })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toMatch(/could not measure, so it is not promoted; the version is not marked failed and not rolled back: .*bad_data: .*parse error.*\[MLCI_ANALYSIS_ERROR\]/)
    const reg = registryState(dir)
    const version = Object.keys(reg.versions).at(-1)!
    // Unproven, not failed: it stays pending, and live keeps naming the last proven version
    // (the release state never points live at a version that is not ready).
    expect(reg.versions[version].status).toBe('pending')
    expect(reg.aliases.live).not.toBe(version)
    expect(reg.versions[reg.aliases.live].status).toBe('ready')
    expect(lastRecord().data.analysis?.[0]).toMatchObject({ outcome: 'Error', rollback: false })
    // the alert says the analysis could not measure, which is not a verdict on the model
    expect((await alerts()).map((a) => [a.labels.version, a.labels.outcome, a.labels.analysis])).toEqual([[version, 'failed', 'Error']])
  })

  it('a stopped Prometheus is a measurement error too: `mlci monitor` exits 1 and leaves the live version alone', async () => {
    const live = registryState(dir).aliases.live
    await prometheus.stop()
    const r = await mlci(['monitor'])
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toMatch(/could not measure.*ECONNREFUSED.*\[MLCI_ANALYSIS_ERROR\]/)
    const reg = registryState(dir)
    expect(reg.aliases.live).toBe(live)
    expect(reg.versions[live].status).not.toBe('failed')
  })
}))

// The same Prometheus analysis of a release the Docker deployer put live (host network: the
// container serves on 127.0.0.1:<port>, which Prometheus scrapes like any target).
const DOCKER_NAME = `prom${randomBytes(3).toString('hex')}`
const DOCKER_CONFIG = `
import trainer from '@mlci/plugin-trainer'
import semver from '@mlci/plugin-semver'
import docker from '@mlci/plugin-docker'
import monitor from '@mlci/plugin-monitor'
import rollback from '@mlci/plugin-rollback'
const e = process.env
export default {
  plugins: [
    trainer({ command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file',
      inputs: ['train.py', 'params.json', 'data/train.csv'], outputs: ['out/model.json'], metrics: 'out/metrics.json', signature: 'out/signature.json' }),
    semver(),
    docker({ image: 'mlci-test/${DOCKER_NAME}', name: '${DOCKER_NAME}', port: Number(e.TEST_PORT), buildArgs: { BASE: e.MLCI_TEST_BASE_IMAGE ?? 'mlci-python:bookworm' },
      health: { intervalMs: 100, timeoutMs: 20000, successes: 1 }, stopTimeout: 2 }),
    monitor({ initialDelay: '1500ms', interval: '1s', count: 2, metrics: [
      { name: 'error_ratio', successCondition: 'result < 0.05', prometheus: { address: e.TEST_PROMETHEUS_URL,
        query: 'sum(increase(model_errors_total{instance="{{address}}"}[${WINDOW}])) / sum(increase(model_requests_total{instance="{{address}}",endpoint="/predict"}[${WINDOW}]))' } },
      { name: 'serving', successCondition: 'result == 1', prometheus: { address: e.TEST_PROMETHEUS_URL, query: 'max(model_info{version="{{version}}",instance="{{address}}"})' } },
    ] }),
    rollback(),
  ],
}
`

describeWith(PROMETHEUS, 'a Docker release analysed by a real Prometheus server', () => describeWith(DOCKER, 'on the real engine', () => {
  let project: string
  let dockerPort: number
  let prom: Service
  let load: ReturnType<typeof startTraffic>
  beforeAll(async () => {
    dockerPort = await freePort()
    project = copyFixture('classifier', { 'mlci.config.ts': DOCKER_CONFIG })
    prom = await startPrometheus([`127.0.0.1:${dockerPort}`], SCRAPE)
    load = startTraffic(`http://127.0.0.1:${dockerPort}`)
  })
  afterAll(async () => {
    await load?.stop()
    await prom?.stop()
    cleanupDeployment(DOCKER_NAME)
  })

  it('the container release passes: Prometheus scraped the version the container serves', async () => {
    const r = await runCli(['build'], { cwd: project, timeoutMs: 180_000, env: { TEST_PORT: String(dockerPort), TEST_PROMETHEUS_URL: prom.url } })
    expect(r.code, r.output).toBe(0)
    expect(r.stdout).toMatch(/sample 2\/2 error_ratio=0 ✔ serving=1 ✔/)
    const reg = registryState(project)
    expect(reg.versions[reg.aliases.live].status).toBe('ready')
  })
}))
