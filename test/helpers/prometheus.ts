import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from './net.mjs'
import type { Requirement } from './requirements.js'
import { testdir } from './testdir.js'
import { waitUntil } from './wait.js'

// A real Prometheus server (and Alertmanager) per test, from the binaries .ci/services.sh
// installs: each test gets its own ports, config and data folder, so tests never share series
// or alerts. Stopped with SIGTERM (SIGKILL after 5 s) by stop().

const HOW_TO = 'Run `bash .ci/services.sh` as root (it installs Debian\'s prometheus and prometheus-alertmanager) and `source /tmp/mlci-ci/services.env`.'

function executable(env: string): Requirement['missing'] {
  return () => {
    const bin = process.env[env]
    if (!bin) return `${env} is not set`
    try {
      accessSync(bin, constants.X_OK)
    } catch {
      return `${env}=${bin} is not an executable`
    }
    return undefined
  }
}

export const PROMETHEUS: Requirement = { name: 'a Prometheus server binary', missing: executable('MLCI_TEST_PROMETHEUS_BIN'), howTo: HOW_TO }
export const ALERTMANAGER: Requirement = { name: 'an Alertmanager binary', missing: executable('MLCI_TEST_ALERTMANAGER_BIN'), howTo: HOW_TO }

export interface Service {
  url: string
  port: number
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

function bcrypt(user: string, password: string): string {
  return execFileSync('htpasswd', ['-nbB', '-C', '4', user, password], { encoding: 'utf8' }).trim().slice(user.length + 1)
}

async function start(bin: string, args: (port: number, dir: string) => string[], files: (dir: string) => Record<string, string>, readyHeaders: Record<string, string> = {}): Promise<Service> {
  const dir = testdir()
  for (const [name, text] of Object.entries(files(dir))) writeFileSync(join(dir, name), text)
  const port = await freePort()
  const child = spawn(bin, args(port, dir), { stdio: ['ignore', 'ignore', 'pipe'] })
  running.add(child)
  let log = ''
  child.stderr!.on('data', (d: Buffer) => (log = (log + d).slice(-4000)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    running.delete(child)
    resolve()
  }))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(killer)
  }
  const ready = async () => {
    if (child.exitCode !== null) throw new Error(`${bin} exited with ${child.exitCode}:\n${log}`)
    return fetch(`${url}/-/ready`, { headers: readyHeaders, signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)
  }
  try {
    await waitUntil(ready, `${bin} is ready on ${url}`, 30_000, 100)
  } catch (error) {
    await stop()
    throw new Error(`${(error as Error).message}\n${log}`)
  }
  return { url, port, stop }
}

/**
 * A Prometheus scraping `targets` (host:port) every `scrapeInterval` as job `model`. With
 * `basicAuth`, its API demands that user and password (a bcrypt hash in its web config, made
 * with `htpasswd -B`); readiness is then probed with the same credentials.
 */
export async function startPrometheus(targets: string[], scrapeInterval = '1s', basicAuth?: { user: string; password: string }): Promise<Service> {
  const webConfig = basicAuth ? [`--web.config.file=WEBCONFIG`] : []
  const service = await start(process.env.MLCI_TEST_PROMETHEUS_BIN!, (port, dir) => [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', ...webConfig.map((a) => a.replace('WEBCONFIG', join(dir, 'web.yml'))),
  ], () => ({
    ...(basicAuth ? { 'web.yml': `basic_auth_users:\n  ${basicAuth.user}: '${bcrypt(basicAuth.user, basicAuth.password)}'\n` } : {}),
    'prometheus.yml': [
      'global:',
      `  scrape_interval: ${scrapeInterval}`,
      `  scrape_timeout: ${scrapeInterval}`,
      'scrape_configs:',
      '  - job_name: model',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  }), basicAuth ? basicHeader(basicAuth) : {})
  // Ready is not scraping: Prometheus hands static targets to its scrape loop through the
  // discovery manager, which batches updates (~5 s after start). Until then every query is
  // empty, so a test whose build is quick would analyse before the first scrape.
  await waitForTargets(service.url, targets.length, basicAuth ? basicHeader(basicAuth) : {})
  return service
}

async function waitForTargets(url: string, count: number, headers: Record<string, string>, timeoutMs = 30_000): Promise<void> {
  await waitUntil(async () => {
    const body = await fetch(`${url}/api/v1/targets`, { headers }).then((r) => r.json() as Promise<{ data?: { activeTargets?: unknown[] } }>, () => undefined)
    return (body?.data?.activeTargets?.length ?? 0) >= count
  }, `Prometheus at ${url} picks up its ${count} scrape target(s)`, timeoutMs, 100)
}

export function basicHeader(auth: { user: string; password: string }): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` }
}

/** An Alertmanager with one receiver that goes nowhere: tests read alerts back from its API. */
export function startAlertmanager(): Promise<Service> {
  return start(process.env.MLCI_TEST_ALERTMANAGER_BIN!, (port, dir) => [
    `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn',
  ], () => ({ 'alertmanager.yml': 'route:\n  receiver: none\n  group_wait: 1s\nreceivers:\n  - name: none\n' }))
}

/** Instant query against a test Prometheus; the first series' value, or undefined. */
export async function promValue(url: string, query: string, headers: Record<string, string> = {}): Promise<number | undefined> {
  const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`, { headers })
  const body = await response.json() as { data?: { result?: { value: [number, string] }[] } }
  const first = body.data?.result?.[0]
  return first ? Number(first.value[1]) : undefined
}

/** Wait until `query` has a value for which `ok` holds (e.g. the target was scraped). */
export async function waitForProm(url: string, query: string, ok: (v: number) => boolean = () => true, timeoutMs = 20_000, headers: Record<string, string> = {}): Promise<number> {
  let last: number | undefined
  const satisfied = async () => {
    last = await promValue(url, query, headers).catch(() => undefined)
    return last !== undefined && ok(last)
  }
  try {
    await waitUntil(satisfied, `${query} at ${url} has a satisfying value`, timeoutMs, 100)
  } catch (error) {
    throw new Error(`${(error as Error).message} (last ${last})`)
  }
  return last!
}
