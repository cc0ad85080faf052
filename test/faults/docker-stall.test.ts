// Every docker command that waits on a registry has its own time bound (#12): through the real
// CLI and engine, against registries on 127.0.0.1 that accept connections and never answer.
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { cleanupDeployment, describeDocker, docker, freePort, servicesEnv } from '../../plugins/docker/test/docker-env.js'
import { runCli } from '../helpers/cli.js'
import { processesWith, stalledServer, stallingProxy, type Stalled } from '../helpers/stalled-registry.js'
import { testdir } from '../helpers/testdir.js'
import { waitUntil } from '../helpers/wait.js'
import { lastRecord, lockExists } from './records.js'

const env = servicesEnv()
const names: string[] = []
const servers: Stalled[] = []
afterAll(async () => {
  names.forEach((n) => cleanupDeployment(n))
  await Promise.all(servers.map((s) => s.close()))
})

// Records the version named by TEST_VERSION (pending: core makes it ready once deployed).
const VERSION_PLUGIN = `
import { definePlugin } from '@mlci/core'
import { join } from 'node:path'
export default definePlugin(() => ({ name: 'test-version', apply(mlci) {
  mlci.hooks.version.tapPromise('test-version', async (proposal, ctx) => {
    const version = process.env.TEST_VERSION ?? '1.0.0'
    if (!(await ctx.registry.get(version))) {
      const { digest, size } = await ctx.store.put(join(ctx.cwd, 'www', 'health'))
      await ctx.registry.create({ version, runId: ctx.runId, fingerprint: 'fp-' + version, artifacts: [{ path: 'www/health', digest, size }] })
    }
    return { version, bump: 'minor', reason: 'test' }
  })
} }))
`

/** A busybox httpd image pushed to `registry` (a tiny image: the bound, not the upload, is tested). */
async function project(registry: string, timeouts: Record<string, string>): Promise<{ dir: string; name: string; port: number }> {
  const name = `s${randomBytes(4).toString('hex')}`
  names.push(name)
  const port = await freePort()
  const dir = testdir({ 'version.mjs': VERSION_PLUGIN, 'www/health': 'ok\n' })
  mkdirSync(join(dir, 'www'), { recursive: true })
  const options = {
    image: `mlci-test/${name}`, name, port, timeouts, stopTimeout: 1,
    registry: { url: registry, usernameEnv: 'MLCI_TEST_REGISTRY_USER', passwordEnv: 'MLCI_TEST_REGISTRY_PASSWORD' },
    generate: { base: env.MLCI_TEST_BUSYBOX_IMAGE ?? 'mlci-busybox:latest', copy: ['www'], cmd: ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', '/app/www'] },
    health: { intervalMs: 100, timeoutMs: 20000, successes: 1 },
  }
  writeFileSync(join(dir, 'mlci.config.mjs'), `import docker from '@mlci/plugin-docker'
import rollback from '@mlci/plugin-rollback'
import version from './version.mjs'
export default { plugins: [version(), docker(${JSON.stringify(options)}), rollback()] }
`)
  return { dir, name, port }
}

const cli = (dir: string, args: string[], extra: Record<string, string> = {}) =>
  runCli(args, { cwd: dir, env: { ...env, ...extra }, timeoutMs: 180_000 })

/** No docker CLI talking to this registry is left running (the bound killed its process group). */
async function noDockerChild(host: string): Promise<void> {
  await waitUntil(async () => (await processesWith(host)).length === 0, `no process with ${host} in its command line`, 5000)
}

describeDocker('docker commands against a stalled registry end within their bound (CLI)', () => {
  it('a registry that never answers: the login at verify fails after timeouts.login, naming the registry and the option; no docker child, no lock', async () => {
    const stalled = await stalledServer()
    servers.push(stalled)
    const { dir } = await project(stalled.host, { login: '2s' })
    const r = await cli(dir, ['build'])
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain(`\`docker login\` did not finish within 2s (docker option timeouts.login): it was waiting for the registry ${stalled.host} to answer the login. The command was stopped.`)
    expect(r.stderr).toContain("timeouts: { login: '4s' } (now 2s)")
    expect(r.stderr).toContain('[MLCI_TIMEOUT]')
    expect(r.output).not.toContain(env.MLCI_TEST_REGISTRY_PASSWORD)
    expect(stalled.connections()).toBeGreaterThan(0)
    // Well under the 1m default: the configured bound ended it (the rest is startup under load).
    expect(r.durationMs).toBeLessThan(30_000)
    await noDockerChild(stalled.host)
    expect(lockExists(dir)).toBe(false)
    expect(lastRecord(dir).status).toBe('failed')
  }, 120_000)

  it('a registry that stalls on uploads: the push fails after timeouts.push naming registry and image; nothing deployed, no docker child, no lock', async () => {
    const proxy = await stallingProxy(env.MLCI_TEST_REGISTRY ?? '127.0.0.1:5000')
    servers.push(proxy)
    proxy.mode = 'stall'
    const { dir, name } = await project(proxy.host, { push: '3s' })
    const r = await cli(dir, ['build'])
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain(`\`docker push\` did not finish within 3s (docker option timeouts.push): it was waiting for the registry ${proxy.host} to accept ${proxy.host}/mlci-test/${name}:1.0.0.`)
    expect(r.stderr).toContain("timeouts: { push: '6s' } (now 3s)")
    expect(proxy.stalled()).toBeGreaterThan(0)
    expect(r.durationMs).toBeLessThan(60_000)
    await noDockerChild(proxy.host)
    expect(lockExists(dir)).toBe(false)
    expect(docker(['container', 'inspect', `mlci-${name}`]).code).not.toBe(0) // never started
  }, 180_000)

  it('a rollback whose pull stalls fails after timeouts.pull naming the image; the live version keeps serving; no docker child, no lock', async () => {
    const proxy = await stallingProxy(env.MLCI_TEST_REGISTRY ?? '127.0.0.1:5000')
    servers.push(proxy)
    const { dir, name, port } = await project(proxy.host, { pull: '3s' })
    for (const version of ['1.0.0', '1.1.0']) {
      const r = await cli(dir, ['build'], { TEST_VERSION: version })
      expect(r.code, r.output).toBe(0)
    }
    // 1.0.0's image is gone from the engine (only the registry has it): a rollback must pull it.
    docker(['rm', '-f', `mlci-${name}-previous`])
    expect(docker(['image', 'rm', '-f', `${proxy.host}/mlci-test/${name}:1.0.0`]).code).toBe(0)
    proxy.mode = 'stall'
    const r = await cli(dir, ['rollback', '--to', '1.0.0'])
    expect(r.code, r.output).not.toBe(0)
    expect(r.stderr).toMatch(new RegExp(`\`docker pull\` did not finish within 3s \\(docker option timeouts\\.pull\\): it was waiting for the registry ${proxy.host.replace(/\./g, '\\.')} to send ${proxy.host.replace(/\./g, '\\.')}/mlci-test/${name}@sha256:[0-9a-f]{64}\\.`))
    // The rollback policy reports each skipped candidate with its error (the option named in it).
    expect(proxy.stalled()).toBeGreaterThan(0)
    await noDockerChild(proxy.host)
    expect(lockExists(dir)).toBe(false)
    expect(docker(['container', 'inspect', '--format', '{{index .Config.Labels "io.mlci.version"}}', `mlci-${name}`]).out.trim()).toBe('1.1.0')
    expect(await fetch(`http://127.0.0.1:${port}/health`).then((x) => x.status, () => 0)).toBe(200)
  }, 240_000)
})
