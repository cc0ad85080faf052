// The services integration tests use: whatever `.ci/services.sh` starts and records in its env
// file (Docker engine, registry, base images, Chromium — and any service a later script adds
// there). Before the tests we check they answer; when one does not and we are root we run
// `.ci/services.sh` (idempotent: it reuses what runs), then load its env file into
// process.env, which the test workers inherit.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'

export const STATE_DIR = process.env.MLCI_CI_STATE_DIR ?? '/tmp/mlci-ci'
export const ENV_FILE = join(STATE_DIR, 'services.env')
export const CHROMIUM = process.env.MLCI_CHROMIUM ?? '/usr/bin/chromium'

/** The variables a bash env file sets, read by bash itself (values are %q-quoted). */
export function readEnvFile(file: string): Record<string, string> {
  const r = spawnSync('bash', ['-c', 'set -a; . "$1" >/dev/null; env -0', 'env', file], { encoding: 'utf8', env: {} })
  if (r.status !== 0) throw new Error(`Could not read ${file}: ${r.stderr.trim()}`)
  const vars: Record<string, string> = {}
  for (const pair of r.stdout.split('\0')) {
    const eq = pair.indexOf('=')
    const key = pair.slice(0, eq)
    if (eq > 0 && /^MLCI_/.test(key)) vars[key] = pair.slice(eq + 1)
  }
  return vars
}

/** host:port of a value that names a TCP endpoint (`127.0.0.1:5000`, `http://…:9090/x`, `postgres://u@h:5432/db`). */
export function endpointOf(value: string): { host: string; port: number } | undefined {
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?)?(\[[^\]]+\]|[A-Za-z0-9.-]+):(\d{1,5})(?:[/?#]|$)/.exec(value)
  if (!m) return undefined
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) }
}

function tcpAnswers(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 })
    socket.once('connect', () => { socket.destroy(); resolve(undefined) })
    socket.once('timeout', () => { socket.destroy(); resolve('no answer within 2 s') })
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
  })
}

/** GET /_ping on the engine's unix socket: ~1 ms, where `docker version` costs ~100 ms. */
function dockerAnswers(): Promise<string | undefined> {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'
  if (!host.startsWith('unix://')) {
    const ep = endpointOf(host)
    return ep ? tcpAnswers(ep.host, ep.port) : Promise.resolve(`cannot check DOCKER_HOST=${host}`)
  }
  const socketPath = host.slice('unix://'.length)
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 5000 }, (res) => {
      res.resume()
      resolve(res.statusCode === 200 ? undefined : `/_ping answered ${res.statusCode}`)
    })
    req.once('timeout', () => req.destroy(new Error('no answer within 5 s')))
    req.once('error', (e: NodeJS.ErrnoException) => resolve(`${socketPath}: ${e.code ?? e.message}`))
    req.end()
  })
}

/** What is missing, one line each (empty when everything answers). */
export async function missingServices(): Promise<string[]> {
  if (!existsSync(ENV_FILE)) return [`${ENV_FILE} does not exist (no services were started)`]
  const vars = readEnvFile(ENV_FILE)
  const checks: Promise<string | undefined>[] = []
  if (vars.MLCI_TEST_DOCKER) checks.push(dockerAnswers().then((why) => why && `Docker engine: ${why}`))
  for (const [key, value] of Object.entries(vars)) {
    const ep = key.startsWith('MLCI_TEST_') && endpointOf(value)
    if (ep) checks.push(tcpAnswers(ep.host, ep.port).then((why) => why && `${key} (${ep.host}:${ep.port}): ${why}`))
  }
  checks.push(Promise.resolve(existsSync(CHROMIUM) ? undefined : `Chromium: ${CHROMIUM} does not exist`))
  return (await Promise.all(checks)).filter((m): m is string => Boolean(m))
}

/** Run `.ci/services.sh` with its progress (timed steps) shown on stderr. */
export function provision(repo: string): void {
  const r = spawnSync('bash', [join(repo, '.ci/services.sh')], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] })
  if (r.status !== 0) throw new Error(`\`bash .ci/services.sh\` failed (exit ${r.status ?? r.signal}); its log above names the step.`)
}

/**
 * Load the env file into process.env. Variables the caller set win, except right after we
 * provisioned: then the file is the truth (a restarted registry has a new password).
 */
export function loadEnv(overwrite: boolean): string[] {
  const loaded: string[] = []
  for (const [key, value] of Object.entries(readEnvFile(ENV_FILE))) {
    if (!overwrite && process.env[key] !== undefined) continue
    process.env[key] = value
    loaded.push(key)
  }
  return loaded
}
