import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode, MlciError } from '../errors.js'

export interface HealthCheckOptions {
  /** Full URL, e.g. http://127.0.0.1:8080/health */
  url: string
  /** Time between probes (ms). */
  intervalMs?: number
  /** Give up after this long (ms). */
  timeoutMs?: number
  /** Consecutive 2xx answers needed. */
  successes?: number
  /** Per-request timeout (ms). */
  requestTimeoutMs?: number
  signal?: AbortSignal
  /** Called after each probe (for UI status). */
  onProbe?: (probe: { ok: boolean; status?: number; error?: string; streak: number }) => void
}

/**
 * Poll an HTTP health endpoint until it answers 2xx `successes` times in a row. Shared by every
 * deployer so "healthy" means the same thing for a local process and a container.
 */
export async function waitForHealthy(options: HealthCheckOptions): Promise<{ elapsedMs: number; probes: number }> {
  const interval = options.intervalMs ?? 200
  const timeout = options.timeoutMs ?? 30_000
  const needed = options.successes ?? 3
  const started = Date.now()
  let streak = 0
  let probes = 0
  let last = 'no answer yet'
  while (Date.now() - started < timeout) {
    if (options.signal?.aborted) throw new MlciError(ErrorCode.INTERRUPTED, 'Interrupted while waiting for health.')
    probes++
    try {
      const response = await fetch(options.url, { signal: AbortSignal.timeout(options.requestTimeoutMs ?? 2000) })
      await response.arrayBuffer().catch(() => undefined)
      if (response.ok) {
        streak++
        options.onProbe?.({ ok: true, status: response.status, streak })
        if (streak >= needed) return { elapsedMs: Date.now() - started, probes }
      } else {
        streak = 0
        last = `HTTP ${response.status}`
        options.onProbe?.({ ok: false, status: response.status, streak })
      }
    } catch (error) {
      streak = 0
      last = (error as Error).cause ? String(((error as Error).cause as Error).message ?? (error as Error).cause) : (error as Error).message
      options.onProbe?.({ ok: false, error: last, streak })
    }
    await sleep(interval)
  }
  throw new MlciError(ErrorCode.UNHEALTHY, `${options.url} did not become healthy within ${timeout} ms (last answer: ${last}).`, {
    hint: 'Check the server log; raise the health timeout if the model needs longer to load.',
  })
}
