// waitForHealthy against a real HTTP server that answers a scripted sequence: "healthy" must mean
// N good answers in a row, so a flapping server (good, bad, good, bad, …) is never healthy.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { waitForHealthy } from './health.js'

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

/** Answers probe n (0-based) with script[n] (the last entry repeats, or all of it with `cycle`): a status, or 'drop' to cut the connection. */
async function serve(script: (number | 'drop')[], cycle = false): Promise<{ url: string; hits: () => number }> {
  let n = 0
  const server = createServer((req, res) => {
    const i = n++
    const answer = cycle ? script[i % script.length] : script[Math.min(i, script.length - 1)]
    if (answer === 'drop') return void req.socket.destroy()
    res.writeHead(answer).end(String(answer))
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`, hits: () => n }
}

/** Probe a flapping server 12 times (counted, not timed: a busy machine probes less often), then stop. */
async function flap(script: (number | 'drop')[]) {
  const { url } = await serve(script, true)
  const probes: { ok: boolean; streak: number; error?: string }[] = []
  const controller = new AbortController()
  const onProbe = (p: { ok: boolean; streak: number; error?: string }) => {
    probes.push(p)
    if (probes.length === 12) controller.abort()
  }
  const error = await waitForHealthy({ url, ...fast, successes: 2, timeoutMs: 60_000, signal: controller.signal, onProbe }).then(() => undefined, (e: unknown) => e)
  return { error, probes }
}

const fast = { intervalMs: 5, requestTimeoutMs: 1000 }

describe('waitForHealthy', () => {
  it('is healthy after `successes` 2xx answers in a row, and probes no more', async () => {
    const { url, hits } = await serve([200])
    const streaks: number[] = []
    const result = await waitForHealthy({ url, ...fast, successes: 3, timeoutMs: 5000, onProbe: (p) => streaks.push(p.streak) })
    expect(result.probes).toBe(3)
    expect(hits()).toBe(3)
    expect(streaks).toEqual([1, 2, 3])
  })

  it('a flapping server (good, bad, good, bad, …) never reaches a streak of 2', async () => {
    const { error, probes } = await flap([200, 503])
    expect(error).toMatchObject({ code: 'MLCI_INTERRUPTED' }) // still waiting after 12 probes
    expect(probes).toHaveLength(12)
    expect(probes.map((p) => p.streak)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
  })

  it('a dropped connection also resets the streak', async () => {
    const { error, probes } = await flap([200, 'drop'])
    expect(error).toMatchObject({ code: 'MLCI_INTERRUPTED' })
    expect(probes.map((p) => p.streak)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    expect(probes[1]).toMatchObject({ ok: false })
    expect(probes[1].error).toBeTruthy()
  })

  it('never healthy: fails at the timeout naming the last answer', async () => {
    const { url } = await serve([503])
    await expect(waitForHealthy({ url, ...fast, successes: 2, timeoutMs: 300 }))
      .rejects.toMatchObject({ code: 'MLCI_UNHEALTHY', message: expect.stringMatching(/\/health did not become healthy within 300 ms \(last answer: HTTP 503\)/) })
  })

  it('recovers: bad answers, then N good ones in a row is healthy', async () => {
    const { url } = await serve([500, 502, 200, 503, 200, 200])
    const result = await waitForHealthy({ url, ...fast, successes: 2, timeoutMs: 5000 })
    expect(result.probes).toBe(6)
  })

  it('the defaults need 3 answers in a row', async () => {
    const { url } = await serve([200, 200, 500, 200, 200, 200])
    const result = await waitForHealthy({ url, intervalMs: 5 })
    expect(result.probes).toBe(6)
  })

  it('an abort stops the wait as interrupted, not unhealthy', async () => {
    const { url } = await serve([503])
    const controller = new AbortController()
    const waiting = waitForHealthy({ url, ...fast, timeoutMs: 10_000, signal: controller.signal, onProbe: () => controller.abort() })
    await expect(waiting).rejects.toMatchObject({ code: 'MLCI_INTERRUPTED' })
  })

  it('a server that answers nothing fails at the timeout naming the last error', async () => {
    const { url } = await serve([200])
    servers[0].close()
    servers[0].closeAllConnections()
    await expect(waitForHealthy({ url, ...fast, timeoutMs: 200 })).rejects.toMatchObject({
      code: 'MLCI_UNHEALTHY', message: expect.stringMatching(/within 200 ms \(last answer: .*ECONNREFUSED/), hint: expect.stringMatching(/health timeout/),
    })
  })
})

describe('waitForHealthy: what it reports', () => {
  it('each probe says whether it was good, with the status; the result counts probes and a real elapsed time', async () => {
    const { url } = await serve([503, 200])
    const probes: { ok: boolean; status?: number; streak: number }[] = []
    const started = Date.now()
    const result = await waitForHealthy({ url, ...fast, successes: 2, timeoutMs: 60_000, onProbe: (p) => probes.push(p) })
    expect(probes).toEqual([{ ok: false, status: 503, streak: 0 }, { ok: true, status: 200, streak: 1 }, { ok: true, status: 200, streak: 2 }])
    expect(result.probes).toBe(3)
    expect(result.elapsedMs).toBeGreaterThanOrEqual(0)
    expect(result.elapsedMs).toBeLessThanOrEqual(Date.now() - started)
  })

  it('a timeout before any answer says so; an abort is said as such', async () => {
    const { url } = await serve([200])
    await expect(waitForHealthy({ url, timeoutMs: 0 })).rejects.toMatchObject({ code: 'MLCI_UNHEALTHY', message: `${url} did not become healthy within 0 ms (last answer: no answer yet).` })
    await expect(waitForHealthy({ url, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'MLCI_INTERRUPTED', message: 'Interrupted while waiting for health.' })
  })
})
