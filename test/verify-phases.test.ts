// Verify checks only what the phases of this run need (core passes them as ctx.phases): the
// local deployer's port held by another server is no reason to fail `--skip deploy` or
// `--only verify,train`, and still fails a build that deploys. Real CLI, training and a real listener.
import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { freePort } from './helpers/net.mjs'
import { copyFixture } from './helpers/testdir.js'

let dir: string
let port: number
let holder: Server

beforeAll(async () => {
  port = await freePort()
  holder = createServer((socket) => socket.end())
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve))
  dir = copyFixture('classifier', {
    'mlci.config.ts': `
import local from '@mlci/plugin-local'
import semver from '@mlci/plugin-semver'
import trainer from '@mlci/plugin-trainer'
export default {
  plugins: [
    trainer({
      command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file',
      inputs: ['train.py', 'params.json', 'data/train.csv'], outputs: ['out/model.json'],
      metrics: 'out/metrics.json', signature: 'out/signature.json',
    }),
    semver(),
    local({ port: ${port}, health: { intervalMs: 50, timeoutMs: 5000, successes: 1 }, stopTimeoutMs: 1000 }),
  ],
}
`,
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

  it('--only verify,train: the port is not checked either', async () => {
    const r = await mlci(['build', '--only', 'verify,train'])
    expect(r.code, r.output).toBe(0)
    expect(r.output).toMatch(/\[verify\]/)
  }, 120_000)

  it('--only verify (a pre-flight check of the whole lifecycle) does check the port', async () => {
    const r = await mlci(['build', '--only', 'verify'])
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain(`Port ${port} on 127.0.0.1 is in use`)
  }, 120_000)

  it('a build that deploys still fails at verify, naming the port, before anything runs', async () => {
    const r = await mlci(['build'])
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain(`Port ${port} on 127.0.0.1 is in use by a process this project did not start.`)
    expect(r.stderr).toContain('[MLCI_VERIFY_FAILED]')
  }, 120_000)
})
