// Verify checks only what the phases of this run need, decided by core from the phases each
// plugin taps (or its verify tap's `phases`): the local deployer's port held by another server,
// or a third party's deploy credential, is no reason to fail `--skip deploy` or
// `--only verify,train`, and still fails a build that deploys. Real CLI, training and a real listener.
import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { freePort } from './helpers/net.mjs'
import { versionedProject } from './release/pipeline.js'

let dir: string
let port: number
let holder: Server

beforeAll(async () => {
  port = await freePort()
  holder = createServer((socket) => socket.end())
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve))
  dir = versionedProject({
    imports: ["import local from '@mlci/plugin-local'"],
    preamble: `// A third party's plugin with no opt-out code: its check is for the step it adds to deploy.
const publisher = {
  name: 'acme-publisher',
  apply(mlci) {
    mlci.hooks.verify.tapPromise('acme-publisher', async (ctx) => {
      if (!ctx.env.ACME_TOKEN) throw new Error('ACME_TOKEN is not set: the model card cannot be published')
    })
    mlci.hooks.deploy.tapPromise('acme-publisher', async (request, ctx) => ctx.log.info('published ' + request.version))
  },
}
// A pure preflight: it taps no phase, so its verify runs in every command.
const preflight = {
  name: 'disk-preflight',
  apply(mlci) {
    mlci.hooks.verify.tapPromise('disk-preflight', async (ctx) => ctx.log.info('disk-preflight checked'))
  },
}`,
    plugins: ['publisher', 'preflight', `local({ port: ${port}, health: { intervalMs: 50, timeoutMs: 5000, successes: 1 }, stopTimeoutMs: 1000 })`],
  })
})
afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())))

const mlci = (args: string[]) => runCli(args, { cwd: dir, timeoutMs: 120_000 })

describe('verify runs only for phases that will run (port held by another server)', () => {
  it('--skip deploy: the deployer\'s port is not checked; train and version run, exit 0', async () => {
    const r = await mlci(['build', '--skip', 'deploy'])
    expect(r.code, r.output).toBe(0)
    expect(r.output).not.toContain(`Port ${port}`)
    expect(r.output).toMatch(/\[version\]/)
  }, 120_000)

  it('--skip deploy: core skips the verify of a third-party plugin (no opt-out code) whose only phase is deploy; a pure preflight still runs', async () => {
    const r = await mlci(['build', '--skip', 'deploy'])
    expect(r.code, r.output).toBe(0)
    expect(r.output).not.toContain('ACME_TOKEN')
    expect(r.output).not.toMatch(/\[verify\] \S* ?acme-publisher/)
    expect(r.output).toContain('disk-preflight checked')
    const only = await mlci(['build', '--only', 'verify,train'])
    expect(only.code, only.output).toBe(0)
    expect(only.output).not.toContain('ACME_TOKEN')
    expect(only.output).toContain('disk-preflight checked')
  }, 120_000)

  it('--only verify,train: the port is not checked either', async () => {
    const r = await mlci(['build', '--only', 'verify,train'])
    expect(r.code, r.output).toBe(0)
    expect(r.output).toMatch(/\[verify\]/)
  }, 120_000)

  it('--only verify (a pre-flight check of the whole lifecycle) does check the port', async () => {
    const r = await mlci(['build', '--only', 'verify'])
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain(`Port ${port} on 127.0.0.1 is in use`)
    expect(r.stderr).toContain('ACME_TOKEN is not set')
  }, 120_000)

  it('a build that deploys still fails at verify, naming the port, before anything runs', async () => {
    const r = await mlci(['build'])
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain(`Port ${port} on 127.0.0.1 is in use by a process this project did not start.`)
    expect(r.stderr).toContain('[MLCI_VERIFY_FAILED]')
    expect(r.stderr).toContain('[acme-publisher] ACME_TOKEN is not set')
  }, 120_000)
})
