import { readFileSync, readdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { build, lastRecord, pipelineProject } from './report-helpers.js'

interface Received { path: string; body: any; aborted: boolean }

const servers: Server[] = []
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

/** A real webhook receiver on 127.0.0.1. `mode`: answer 200, answer 500, or never answer. */
async function receiver(mode: 'ok' | '500' | 'hang' = 'ok'): Promise<{ base: string; received: Received[] }> {
  const received: Received[] = []
  const server = createServer((req, res) => {
    let raw = ''
    const hit: Received = { path: req.url ?? '', body: undefined, aborted: false }
    received.push(hit)
    res.on('close', () => { if (!res.writableFinished) hit.aborted = true })
    req.on('data', (d) => { raw += d })
    req.on('end', () => {
      hit.body = JSON.parse(raw)
      if (mode === 'ok') res.end('ok')
      else if (mode === '500') res.writeHead(500).end('boom')
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}

/** Everything a user or CI could see: output, record, log and reports. */
function everythingWritten(dir: string, output: string): string {
  const runs = join(dir, '.mlci', 'runs')
  return output + readdirSync(runs).map((f) => readFileSync(join(runs, f), 'utf8')).join('\n')
}

describe('alerts', () => {
  it('one alert per webhook for a rollback, none for successful or no-op builds, URLs never shown', async () => {
    const { base, received } = await receiver()
    const json = `${base}/json/T0KEN-json-a1b2c3`
    const slack = `${base}/slack/services/T000/B000/XOXB-secret`
    const success = `${base}/success/s3cr3t-success`
    const dir = pipelineProject({
      alerts: { webhooks: [{ url: json }, { url: slack, format: 'slack' }, { url: success, on: ['success'], name: 'deploys' }], timeoutMs: 2000, retries: 1 },
    })
    const first = await build(dir, { accuracy: 0.9, f1: 0.85 })
    const noop = await build(dir, { accuracy: 0.9, f1: 0.85 })
    expect([first.code, noop.code]).toEqual([0, 0])
    expect(lastRecord(dir).data.candidate.reused).toBe(true) // nothing new: same version, already live
    expect(received.map((r) => r.path)).toEqual(['/success/s3cr3t-success', '/success/s3cr3t-success'])
    expect(received.map((r) => r.body.event)).toEqual(['success', 'success'])

    const rolled = await build(dir, { accuracy: 0.93, f1: 0.86 }, { errorRates: [0.02, 0.4, 0.5] })
    expect(rolled.code).toBe(1)
    const alerts = received.slice(2)
    expect(alerts.map((r) => r.path).sort()).toEqual(['/json/T0KEN-json-a1b2c3', '/slack/services/T000/B000/XOXB-secret'])
    const record = lastRecord(dir)
    const generic = alerts.find((r) => r.path.startsWith('/json'))!.body
    expect(generic).toMatchObject({
      schema: 1, source: 'mlci', event: 'rolledback', status: 'failed', version: '1.1.0', runId: record.id,
      failing: { phase: 'monitor', plugin: 'pipeline', code: 'MLCI_UNHEALTHY' },
      rollback: { from: '1.1.0', to: '1.0.0', ok: true },
      report: record.files.report, log: record.files.log,
    })
    expect(generic.metrics).toEqual([
      { name: 'accuracy', candidate: 0.93, live: 0.9, delta: expect.closeTo(0.03, 9), pass: true, threshold: '≥ live − 0.02' },
      { name: 'f1', candidate: 0.86, live: 0.85, delta: expect.closeTo(0.01, 9), pass: true, threshold: '≥ live − 0.02' },
    ])
    const slackBody = alerts.find((r) => r.path.startsWith('/slack'))!.body
    expect(slackBody.text).toMatch(/^↩️ p-\w+: mlci build rolled back 1\.1\.0 → 1\.0\.0 after a failure in monitor \(pipeline\)$/)
    expect(slackBody.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'section', 'context'])
    expect(rolled.stdout).toContain('Sent the "rolledback" alert to webhook #1 (json).')

    const seen = everythingWritten(dir, first.output + noop.output + rolled.output)
    for (const url of [json, slack, success]) expect(seen).not.toContain(url)
    expect(seen).not.toMatch(/T0KEN|XOXB|s3cr3t/)
  })

  it('a webhook that hangs or answers 500 is a warning: bounded attempts, exit code unchanged', async () => {
    const hang = await receiver('hang')
    const fail = await receiver('500')
    const alerts = { webhooks: [{ url: `${hang.base}/hang-secret-1` }, { url: `${fail.base}/fail-secret-2`, format: 'slack' }], timeoutMs: 1500, retries: 1 } // 400 ms was too short for a request to arrive on a loaded machine
    const dir = pipelineProject({ alerts })
    const silent = pipelineProject()
    expect((await build(silent, { accuracy: 0.9 })).code).toBe(0)
    const base = await build(silent, { accuracy: 0.5 })
    expect(base.code).toBe(3)
    expect((await build(dir, { accuracy: 0.9 })).code).toBe(0) // success: no alert configured for it
    expect(hang.received.length + fail.received.length).toBe(0)
    const started = Date.now()
    const vetoed = await build(dir, { accuracy: 0.5 })
    const elapsed = Date.now() - started
    expect(vetoed.code).toBe(3) // same as without webhooks
    expect(hang.received).toHaveLength(2) // retries + 1 attempts…
    expect(hang.received.every((r) => r.aborted)).toBe(true) // …each abandoned by mlci, not by the server
    expect(fail.received).toHaveLength(2)
    expect(vetoed.stdout).toContain('Could not deliver the "vetoed" alert to webhook #1 (json) after 2 attempts: no answer within the 1500 ms timeout (the build\'s outcome is unchanged).')
    expect(vetoed.stdout).toContain('Could not deliver the "vetoed" alert to webhook #2 (slack) after 2 attempts: HTTP 500')
    expect(vetoed.output).not.toMatch(/secret-1|secret-2/)
    // The warnings are in the run's log too.
    expect((await runCli(['logs'], { cwd: dir })).stdout).toMatch(/warn {3}\[mlci:alerts\] Could not deliver .* webhook #1/)
    // Measured, not asserted (no timing assertions): the budget is timeoutMs × attempts.
    console.log(`[alerts] hanging + 500 webhooks (timeout 1500 ms × 2 attempts): vetoed build took ${elapsed} ms; the same build without webhooks ${base.durationMs} ms`)
  })

  it('invalid alert config exits 2 before anything runs, without echoing the URL', async () => {
    const dir = pipelineProject({ alerts: { webhooks: [{ url: 'ftp://user:pa55word@example.com/x' }] } })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('alerts.webhooks[0].url must be an absolute http(s) URL (got a ftp: URL)')
    expect(r.output).not.toContain('pa55word')
    const bad = pipelineProject({ alerts: { webhooks: [{ url: 'https://x.example/h', on: ['sometimes'] }] } })
    const r2 = await runCli(['build'], { cwd: bad })
    expect(r2.code).toBe(2)
    expect(r2.stderr).toContain('config.alerts.webhooks[0].on[0] must be one of "success", "failed", "vetoed", "rolledback", "interrupted"')
  })
})
