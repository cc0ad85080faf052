// End-to-end tests for guards whose deletion once left the whole suite green: outputs declared
// outside the project, the plain `failed` alert, and exit codes that alerts never change.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename, dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { testdir } from './helpers/testdir.js'
import { build, lastRecord, pipelineProject } from './report-helpers.js'

const servers: Server[] = []
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

/** A real webhook receiver answering `status` to every alert. */
async function receiver(status = 200): Promise<{ url: string; events: () => string[]; bodies: any[] }> {
  const bodies: any[] = []
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (d) => { raw += d })
    req.on('end', () => {
      bodies.push(JSON.parse(raw))
      res.writeHead(status).end()
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, events: () => bodies.map((b) => b.event), bodies }
}

describe('outputs outside the project', () => {
  it('are never cached (so never restored outside): a warning each build, and the phase runs again', async () => {
    const dir = testdir({ 'in.txt': 'data\n' })
    const outside = join(dirname(dir), `${basename(dir)}-escaped.txt`)
    writeFileSync(join(dir, 'mlci.config.mjs'), `import { writeFileSync } from 'node:fs'
import { definePlugin } from '@mlci/core'
const escaper = definePlugin(() => ({ name: 'escaper', apply(mlci) {
  mlci.declare({ phase: 'train', inputs: ['in.txt'], outputs: ['out', '../${basename(outside)}'] })
  mlci.hooks.train.tapPromise('escaper', async () => { writeFileSync(${JSON.stringify(outside)}, 'written by train') })
} }))
export default { plugins: [escaper()] }
`)
    try {
      for (let run = 1; run <= 2; run++) {
        rmSync(outside, { force: true })
        const r = await runCli(['build'], { cwd: dir })
        expect(r.code, r.output).toBe(0)
        expect(r.stdout).toContain(`Could not cache train: Declared output ${outside} is outside the project root ${dir}.`)
        // Run 2 ran the phase again (a cache hit would have restored the file instead).
        expect(lastRecord(dir).phases.find((p: { name: string }) => p.name === 'train').status, `run ${run}`).toBe('ok')
        expect(readFileSync(outside, 'utf8')).toBe('written by train')
      }
    } finally {
      rmSync(outside, { force: true })
    }
  })
})

describe('alerts', () => {
  it('a plain failure (a test fails, nothing deployed) sends the "failed" alert with the default events', async () => {
    const hook = await receiver()
    const dir = pipelineProject({ alerts: { webhooks: [{ url: hook.url }], timeoutMs: 2000, retries: 0 } })
    writeFileSync(join(dir, 'failing-tests.json'), JSON.stringify(['tests/test_model.py::test_accuracy']))
    const r = await build(dir, { accuracy: 0.9 })
    expect(r.code, r.output).toBe(1)
    expect(hook.events()).toEqual(['failed'])
    expect(hook.bodies[0]).toMatchObject({ status: 'failed', failing: { phase: 'test', plugin: 'pipeline', code: 'MLCI_TESTS_FAILED' } })
    expect(r.stdout).toContain('Sent the "failed" alert to webhook #1 (json).')
  })

  it('exit codes with alerts are the documented ones, whatever the webhook answers: ok 0, failed 1, rolled back 1, vetoed 3', async () => {
    const ok = await receiver(200)
    const broken = await receiver(500)
    const every = ['success', 'failed', 'vetoed', 'rolledback']
    // The expected codes are the documented ones (what the same builds give without alerts).
    const variants = {
      'webhook 200': pipelineProject({ alerts: { webhooks: [{ url: ok.url, on: every }], timeoutMs: 2000, retries: 0 } }),
      'webhook 500': pipelineProject({ alerts: { webhooks: [{ url: broken.url, on: every }], timeoutMs: 2000, retries: 0 } }),
    }
    const codes: Record<string, (number | null)[]> = {}
    for (const [name, dir] of Object.entries(variants)) {
      const seq: (number | null)[] = []
      seq.push((await build(dir, { accuracy: 0.9 })).code) // ok: 1.0.0 live
      writeFileSync(join(dir, 'failing-tests.json'), JSON.stringify(['tests/test_x.py::test_y']))
      seq.push((await build(dir, { accuracy: 0.91 })).code) // failed in test
      rmSync(join(dir, 'failing-tests.json'))
      seq.push((await build(dir, { accuracy: 0.92 }, { errorRates: [0.01, 0.5] })).code) // rolled back
      seq.push((await build(dir, { accuracy: 0.5 })).code) // vetoed
      codes[name] = seq
    }
    expect(codes).toEqual({ 'webhook 200': [0, 1, 1, 3], 'webhook 500': [0, 1, 1, 3] })
    expect(ok.events()).toEqual(['success', 'failed', 'rolledback', 'vetoed'])
    expect(broken.events()).toEqual(['success', 'failed', 'rolledback', 'vetoed'])
    expect(existsSync(join(variants['webhook 500'], '.mlci', 'runs'))).toBe(true)
  }, 240_000) // eight real builds; minutes on a machine shared with other suites
})
