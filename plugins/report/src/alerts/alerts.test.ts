import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { RunRecord } from '@mlci/core'
import { fire } from './alertmanager.js'
import { alertSecrets, checkAlertsConfig } from './config.js'
import { postJson } from './deliver.js'
import { alertPayload, slackPayload } from './payload.js'

interface Hit { body: string; aborted: boolean; closed: Promise<void> }

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

/** A real server on 127.0.0.1; `answer` decides per request (by attempt number). */
async function serve(answer: (n: number, req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = []
  const server = createServer((req, res) => {
    let body = ''
    let closed!: () => void
    const hit: Hit = { body, aborted: false, closed: new Promise<void>((r) => { closed = r }) }
    hits.push(hit)
    req.on('data', (d) => { hit.body += d })
    res.on('close', () => {
      if (!res.writableFinished) hit.aborted = true
      closed()
    })
    req.on('end', () => answer(hits.length, req, res))
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T0K3N-secret-path`, hits }
}

describe('postJson', () => {
  it('retries a 500 and succeeds on the next attempt', async () => {
    const { url, hits } = await serve((n, _req, res) => res.writeHead(n === 1 ? 500 : 204).end())
    const result = await postJson(url, { hello: 1 }, { timeoutMs: 2000, retries: 2, backoffMs: 10 })
    expect(result).toEqual({ ok: true, attempts: 2, status: 204 })
    expect(hits.map((h) => JSON.parse(h.body))).toEqual([{ hello: 1 }, { hello: 1 }])
  })

  it('gives up after retries + 1 attempts on a server that keeps failing', async () => {
    const { url, hits } = await serve((_n, _req, res) => res.writeHead(503).end('down'))
    const result = await postJson(url, {}, { timeoutMs: 2000, retries: 2, backoffMs: 10 })
    expect(result).toMatchObject({ ok: false, attempts: 3, status: 503, error: 'HTTP 503' })
    expect(hits).toHaveLength(3)
  })

  it('does not retry a 4xx that will not change (bad URL, bad payload)', async () => {
    const { url, hits } = await serve((_n, _req, res) => res.writeHead(404).end())
    expect(await postJson(url, {}, { timeoutMs: 2000, retries: 3, backoffMs: 10 })).toMatchObject({ ok: false, attempts: 1, status: 404 })
    expect(hits).toHaveLength(1)
  })

  it('abandons a hanging webhook at its timeout, each attempt closed by the client', async () => {
    const { url, hits } = await serve(() => undefined) // never answers
    const result = await postJson(url, {}, { timeoutMs: 300, retries: 1, backoffMs: 10 })
    expect(result).toMatchObject({ ok: false, attempts: 2, error: 'no answer within the 300 ms timeout' })
    // Each attempt's connection closes on the server side once the client abandons it.
    await Promise.all(hits.map((h) => h.closed))
    expect(hits.map((h) => h.aborted)).toEqual([true, true])
  })

  it('reports a refused connection without the URL', async () => {
    const { url } = await serve((_n, _req, res) => res.end())
    servers[0].close()
    servers[0].closeAllConnections()
    const result = await postJson(url, {}, { timeoutMs: 500, retries: 0 })
    expect(result).toMatchObject({ ok: false, attempts: 1, error: 'ECONNREFUSED' })
  })
})

describe('alert payloads', () => {
  const record: RunRecord = {
    schema: 1, id: 'r1', command: 'mlci build --force', cwd: '/work/classifier', mlciVersion: '0.1.0', startedAt: '2026-11-29T12:00:00.000Z',
    durationMs: 900, status: 'failed', dryRun: false, plugins: [], version: '1.2.0',
    error: { code: 'MLCI_UNHEALTHY', message: 'error rate 0.4 > 0.1 <at> & more', phase: 'monitor', plugin: 'monitor' },
    phases: [{ name: 'monitor', status: 'failed', durationMs: 5, taps: [] }, { name: 'rollback', status: 'ok', durationMs: 3, taps: [] }],
    data: {
      metrics: { accuracy: 0.9, f1: 0.8 },
      gate: { passed: true, liveVersion: '1.1.0', verdicts: [{ metric: 'f1', candidate: 0.8, live: 0.85, threshold: '≥ live − 0.1', pass: true }] },
      rollback: { from: '1.2.0', to: '1.1.0', ok: true, reason: 'monitor failed' },
    },
    files: { report: '/work/classifier/.mlci/runs/r1.html', log: '/work/classifier/.mlci/runs/r1.log' },
  }

  it('the JSON payload names outcome, version, failing step, metrics and where the report is', () => {
    const payload = alertPayload(record, { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '7' })
    expect(payload).toMatchObject({
      schema: 1, source: 'mlci', event: 'rolledback', status: 'failed', project: 'classifier', version: '1.2.0',
      failing: { phase: 'monitor', plugin: 'monitor', code: 'MLCI_UNHEALTHY' },
      rollback: { from: '1.2.0', to: '1.1.0', ok: true },
      report: '/work/classifier/.mlci/runs/r1.html', ciUrl: 'https://github.com/o/r/actions/runs/7',
    })
    expect(payload.metrics.map((m) => m.name)).toEqual(['accuracy', 'f1'])
    expect(payload.metrics[1]).toMatchObject({ candidate: 0.8, live: 0.85, pass: true })
  })

  it('the Slack payload has text and blocks within Slack limits, with mrkdwn escaped', () => {
    const slack = slackPayload(alertPayload(record, {}))
    expect(slack.text).toBe('↩️ classifier: mlci build rolled back 1.2.0 → 1.1.0 after a failure in monitor (monitor)')
    const types = (slack.blocks as { type: string }[]).map((b) => b.type)
    expect(types).toEqual(['header', 'section', 'section', 'context'])
    const section = JSON.stringify(slack.blocks[1])
    expect(section).toContain('&lt;at&gt; &amp; more')
    expect(section).not.toContain('<at>')
  })
})

describe('alerts config', () => {
  it('rejects non-http URLs without echoing them, and registers URLs and headers as secrets', () => {
    const secret = 'ftp://user:hunter2@example.com/hook'
    expect(() => checkAlertsConfig({ webhooks: [{ url: secret }] }, 'mlci.config.ts')).toThrowError(/alerts\.webhooks\[0\]\.url must be an absolute http\(s\) URL \(got a ftp: URL\)/)
    let thrown: unknown
    try {
      checkAlertsConfig({ webhooks: [{ url: secret }], retries: 9 }, 'mlci.config.ts')
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({ code: 'MLCI_CONFIG_INVALID', message: expect.stringContaining('alerts.retries must be between 0 and 5') })
    expect(String((thrown as Error).message)).not.toContain('hunter2')
    expect(JSON.stringify(thrown)).not.toContain('hunter2')
    expect(alertSecrets({ webhooks: [{ url: 'https://hooks.example.com/x/SECRET', headers: { authorization: 'Bearer abcdef' } }] }))
      .toEqual(expect.arrayContaining(['https://hooks.example.com/x/SECRET', 'Bearer abcdef']))
  })

  it('checks Alertmanager entries (URL, label names, expiry) and keeps their credentials secret, not their address', () => {
    expect(() => checkAlertsConfig({ alertmanagers: [{ url: 'alertmanager:9093', labels: { 'bad-name': 'x' }, expiresAfterMs: 10 }] }, 'mlci.config.ts'))
      .toThrowError(/alerts\.alertmanagers\[0\]\.url must be an absolute http\(s\) URL.*"bad-name" is not a valid Prometheus label name.*expiresAfterMs must be at least 60000/)
    expect(() => checkAlertsConfig({ alertmanagers: [{ url: 'http://127.0.0.1:9093', labels: { team: 'ml' } }] }, 'mlci.config.ts')).not.toThrow()
    const secrets = alertSecrets({ alertmanagers: [{ url: 'http://am:pa55w0rd@127.0.0.1:9093', headers: { authorization: 'Bearer amtoken1' } }] })
    expect(secrets).toEqual(expect.arrayContaining(['pa55w0rd', 'Bearer amtoken1']))
    expect(secrets).not.toContain('http://am:pa55w0rd@127.0.0.1:9093/')
  })

  it('an Alertmanager URL with credentials is sent as basic auth to /api/v2/alerts (fetch refuses credentials in URLs)', async () => {
    const seen: { path?: string; auth?: string }[] = []
    const { url } = await serve((_n, req, res) => {
      seen.push({ path: req.url, auth: req.headers.authorization })
      res.writeHead(200).end()
    })
    const base = new URL(url)
    const record = { id: 'r1', command: 'mlci build', cwd: '/work/classifier', status: 'failed', startedAt: new Date().toISOString(), phases: [], data: {} } as unknown as RunRecord
    const result = await fire(record, {}, { url: `http://am:pa55w0rd@${base.host}/` }, { timeoutMs: 2000, retries: 0 })
    expect(result.ok).toBe(true)
    expect(seen).toEqual([{ path: '/api/v2/alerts', auth: `Basic ${Buffer.from('am:pa55w0rd').toString('base64')}` }])
  })
})
