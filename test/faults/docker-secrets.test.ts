import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { cleanupDeployment, describeDocker, docker, freePort, servicesEnv, train } from '../../plugins/docker/test/docker-env.js'
import { runCli } from '../helpers/cli.js'
import { copyFixture } from '../helpers/testdir.js'
import { gone } from './records.js'

const env = servicesEnv()
const SECRET = `s3cr3t-${randomBytes(6).toString('hex')}`
const names: string[] = []
afterAll(() => names.forEach((n) => cleanupDeployment(n)))

// Records the next version (pending until core releases it) with the trained model's digest (the version phase).
const VERSION_PLUGIN = `
import { definePlugin } from '@mlci/core'
import { join } from 'node:path'
export default definePlugin(() => ({ name: 'test-version', apply(mlci) {
  mlci.hooks.version.tapPromise('test-version', async (proposal, ctx) => {
    const { digest, size } = await ctx.store.put(join(ctx.cwd, 'out', 'model.json'))
    await ctx.registry.create({ version: '1.0.0', runId: ctx.runId, fingerprint: 'fp', artifacts: [{ path: 'out/model.json', digest, size }] })
    return { version: '1.0.0', bump: 'major', reason: 'test' }
  })
  mlci.hooks.test.tapPromise('test-version', async (ctx) => { (await import('node:fs')).writeFileSync(join(ctx.cwd, 'tests-ran'), '1') })
} }))
`

async function dockerProject(options: Record<string, unknown>): Promise<{ dir: string; name: string }> {
  const name = `f${randomBytes(4).toString('hex')}`
  names.push(name)
  const port = await freePort()
  const dir = copyFixture('classifier', { 'version.mjs': VERSION_PLUGIN })
  const all = {
    image: `mlci-test/${name}`, name, port, buildArgs: { BASE: env.MLCI_TEST_BASE_IMAGE ?? 'mlci-python:bookworm' },
    health: { intervalMs: 100, timeoutMs: 20000, successes: 1 }, stopTimeout: 1, ...options,
  }
  writeFileSync(join(dir, 'mlci.config.ts'), `import docker from '@mlci/plugin-docker'
    import version from './version.mjs'
    export default { plugins: [version(), docker(${JSON.stringify(all)})] }`)
  train(dir)
  return { dir, name }
}

describeDocker('the docker deployer keeps secrets out of argv, images and temp folders', () => {
  it('a secret-named container env entry reaches the container by name only: never on the `docker run` command line', async () => {
    const { dir, name } = await dockerProject({ env: { API_TOKEN: SECRET } })
    // A docker on PATH that records its argv, then runs the real one.
    const bin = join(dir, 'shim')
    mkdirSync(bin)
    writeFileSync(join(bin, 'docker'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${join(dir, 'docker-argv.log')}\nexec /usr/bin/docker "$@"\n`)
    chmodSync(join(bin, 'docker'), 0o755)
    const r = await runCli(['build', '--skip', 'train,evaluate'], { cwd: dir, env: { ...env, PATH: `${bin}:${process.env.PATH}` }, timeoutMs: 180_000 })
    expect(r.code, r.output).toBe(0)
    const argv = readFileSync(join(dir, 'docker-argv.log'), 'utf8')
    expect(argv).toMatch(/^run .*--env API_TOKEN /m)
    expect(argv).not.toContain(SECRET)
    expect(docker(['inspect', '--format', '{{json .Config.Env}}', `mlci-${name}`]).out).toContain(`API_TOKEN=${SECRET}`)
  })

  it('a secret value in a build arg is refused at verify, before test and train run (exit 2)', async () => {
    const { dir } = await dockerProject({ buildArgs: { BASE: env.MLCI_TEST_BASE_IMAGE ?? 'mlci-python:bookworm', NOTE: `built-with-${SECRET}` } })
    const r = await runCli(['build'], { cwd: dir, env: { ...env, SERVICE_TOKEN: SECRET }, timeoutMs: 60_000 })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toContain('Docker buildArgs.NOTE contains a secret value')
    expect(r.output).not.toContain(SECRET)
    expect(existsSync(join(dir, 'tests-ran'))).toBe(false)
  })

  it('a registry login folder left by a killed run is removed by the next run, and a docker command still using it is killed', async () => {
    // A PID that is surely dead, and an "orphaned push" (a process using the folder) left running.
    const dead = spawn('true')
    await new Promise((resolve) => dead.on('close', resolve))
    const leftover = join(tmpdir(), `mlci-docker-config-${dead.pid}-faulttest`)
    mkdirSync(leftover, { recursive: true })
    writeFileSync(join(leftover, 'config.json'), JSON.stringify({ auths: { [env.MLCI_TEST_REGISTRY!]: { auth: Buffer.from(`u:${SECRET}`).toString('base64') } } }))
    const orphan = spawn('sleep', ['300'], { env: { ...process.env, DOCKER_CONFIG: leftover }, detached: true, stdio: 'ignore' })
    const { dir } = await dockerProject({
      image: `${env.MLCI_TEST_REGISTRY}/mlci-test/leftover`,
      registry: { url: env.MLCI_TEST_REGISTRY, usernameEnv: 'MLCI_TEST_REGISTRY_USER', passwordEnv: 'MLCI_TEST_REGISTRY_PASSWORD' },
    })
    try {
      const r = await runCli(['build', '--only', 'verify'], { cwd: dir, env, timeoutMs: 60_000 })
      expect(r.code, r.output).toBe(0)
      expect(existsSync(leftover)).toBe(false)
      expect(await gone(orphan.pid!)).toBe(true)
    } finally {
      try { process.kill(orphan.pid!, 'SIGKILL') } catch { /* gone */ }
    }
  })
})
