// Shared by the docker plugin's tests and bench: is a real engine here, what are the registry
// credentials, free ports, a trained copy of the classifier fixture.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { describeWith, type Requirement } from '../../../test/helpers/requirements.js'
export { freePort } from '../../../test/helpers/net.mjs'

const SERVICES_ENV = '/tmp/mlci-ci/services.env'

/** MLCI_TEST_* from the environment, else from the file `.ci/services.sh` writes. */
export function servicesEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env }
  if (!env.MLCI_TEST_REGISTRY && existsSync(SERVICES_ENV)) {
    for (const line of readFileSync(SERVICES_ENV, 'utf8').split('\n')) {
      const m = /^export (MLCI_TEST_\w+)=(.*)$/.exec(line)
      if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1')
    }
  }
  return env
}

export function dockerReachable(): { ok: boolean; why: string } {
  const r = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 15_000 })
  if (r.error) return { ok: false, why: `docker CLI not runnable: ${r.error.message}` }
  return r.status === 0 ? { ok: true, why: '' } : { ok: false, why: (r.stderr || r.stdout).trim() }
}

/** The real Docker engine (`.ci/services.sh` starts one). */
export const DOCKER: Requirement = {
  name: 'a Docker engine',
  missing: () => {
    const engine = dockerReachable()
    return engine.ok ? undefined : engine.why
  },
  howTo: 'Run `bash .ci/services.sh` (as root) to install and start it, then rerun.',
}

/** `describe` for tests that need the real engine: without one they fail, saying how to get it. */
export function describeDocker(name: string, body: () => void): void {
  describeWith(DOCKER, name, body)
}

/** Train the fixture in `dir` (creates out/model.json). */
export function train(dir: string): void {
  execFileSync('python3', ['train.py'], { cwd: dir, stdio: 'ignore' })
}

export function docker(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') }
}

/** Remove every container and image a test deployment named `name` created. */
export function cleanupDeployment(name: string, container = `mlci-${name}`): void {
  docker(['rm', '-f', container, `${container}-previous`, `${container}-next`])
  const images = docker(['image', 'ls', '--no-trunc', '--filter', `label=io.mlci.name=${name}`, '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']).out
  const refs = images.split('\n').filter(Boolean).map((l) => (l.includes('<none>') ? l.split(' ')[1] : l.split(' ')[0]))
  if (refs.length) docker(['image', 'rm', '-f', ...new Set(refs)])
}

export async function predict(port: number): Promise<{ status: number; version?: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [[3.4879, 1.5626, 6.6055, 1.116, -1.5406]] }),
      signal: AbortSignal.timeout(2000),
    })
    const body = (await res.json()) as { version?: string; classes?: string[] }
    return { status: res.status, version: body.version }
  } catch {
    return { status: 0 }
  }
}
