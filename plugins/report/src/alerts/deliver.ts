import { setTimeout as sleep } from 'node:timers/promises'
import { CORE_VERSION } from '@mlci/core'

export interface DeliveryOptions {
  /** Per attempt. */
  timeoutMs: number
  retries: number
  headers?: Record<string, string>
  /** First backoff; doubles per attempt, capped at 1 s. */
  backoffMs?: number
}

export interface DeliveryResult {
  ok: boolean
  attempts: number
  status?: number
  /** Why it failed (never contains the URL). */
  error?: string
}

/** Worth another attempt: the server may answer next time. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500

/**
 * POST a JSON body with bounded retries. The whole delivery, backoff included, stays within
 * timeoutMs × (retries + 1): each attempt gets what is left of that budget, at most timeoutMs.
 * Never throws.
 */
export async function postJson(url: string, body: unknown, options: DeliveryOptions): Promise<DeliveryResult> {
  const attempts = options.retries + 1
  const deadline = Date.now() + options.timeoutMs * attempts
  let backoff = options.backoffMs ?? 200
  let last: DeliveryResult = { ok: false, attempts: 0, error: 'not attempted' }
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const budget = Math.min(options.timeoutMs, deadline - Date.now())
    if (budget <= 0) break
    const timeout = AbortSignal.timeout(budget)
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': `mlci/${CORE_VERSION}`, ...options.headers },
        body: JSON.stringify(body),
        signal: timeout,
        redirect: 'error',
      })
      // Read the (small) answer within the same budget so the socket is released.
      await response.arrayBuffer().catch(() => undefined)
      if (response.ok) return { ok: true, attempts: attempt, status: response.status }
      last = { ok: false, attempts: attempt, status: response.status, error: `HTTP ${response.status}` }
      if (!retryable(response.status)) break
    } catch (error) {
      last = { ok: false, attempts: attempt, error: timeout.aborted ? `no answer within the ${options.timeoutMs} ms timeout` : describe(error) }
    }
    if (attempt < attempts) {
      const pause = Math.min(backoff, Math.max(0, deadline - Date.now() - 1))
      backoff = Math.min(backoff * 2, 1000)
      if (pause > 0) await sleep(pause)
    }
  }
  return last
}

/** fetch's "fetch failed" hides the cause; the cause (ECONNREFUSED…) is what helps. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))
}
