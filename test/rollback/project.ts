import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
export { freePort } from '../helpers/net.mjs'
import { copyFixture } from '../helpers/testdir.js'
import { RELEASE_PLUGIN, config } from './fixture.mjs'

/** A copy of the classifier fixture with a trained model and the release project of fixture.mjs. */
export function trainedProject(port: number): string {
  const dir = copyFixture('classifier', { 'release.mjs': RELEASE_PLUGIN, 'mlci.config.ts': config(port) })
  execFileSync('python3', ['train.py', '--out', 'out'], { cwd: dir, stdio: 'ignore' })
  return dir
}

/** Pids of live server processes started from this project's deploy folder. */
export function serverPids(dir: string): number[] {
  const needle = join(dir, '.mlci', 'deploy', 'local')
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8')
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      if (cmd.includes(needle) && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') out.push(Number(name))
    } catch {
      // exited meanwhile
    }
  }
  return out
}

/** Kill every server process group a test project started (afterAll: no orphans). */
export function killServers(dir: string): void {
  const base = join(dir, '.mlci', 'deploy', 'local')
  const files = existsSync(base) ? [join(base, 'state.json'), ...readdirSync(base).map((n) => join(base, n, 'process.json'))] : []
  for (const file of files) {
    try {
      const data = JSON.parse(readFileSync(file, 'utf8'))
      const proc = data.current ?? data
      if (proc?.pgid) process.kill(-proc.pgid, 'SIGKILL')
    } catch {
      // gone, or no such file
    }
  }
  for (const pid of serverPids(dir)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
}

export async function predict(port: number): Promise<{ status: number; version?: string }> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [[5.1, 3.5, 1.4, 0.2, 0.1]] }),
      signal: AbortSignal.timeout(3000),
    })
    const body = await response.json() as { version?: string }
    return { status: response.status, version: body.version }
  } catch {
    return { status: 0 }
  }
}

export function registryState(dir: string): { versions: Record<string, { status: string; reason?: string; digest?: string }>; aliases: Record<string, string>; ledger: { alias: string; from?: string; to?: string; reason: string; by: string }[] } {
  return JSON.parse(execFileSync(process.execPath, ['-e', `
    import('@mlci/core').then(async ({ createEmbeddedRegistry }) => {
      const r = createEmbeddedRegistry(${JSON.stringify(join(dir, '.mlci'))})
      const versions = Object.fromEntries((await r.list()).map((v) => [v.version, { status: v.status, reason: v.reason, digest: v.artifacts?.[0]?.digest }]))
      console.log(JSON.stringify({ versions, aliases: await r.aliases(), ledger: await r.ledger() }))
    })`], { cwd: dir, encoding: 'utf8' }))
}
