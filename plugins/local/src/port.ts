import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** True when a server could listen on host:port right now (probe by binding it briefly). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** Wait until the port can be bound (a stopped server's socket closes asynchronously). */
export async function waitPortFree(host: string, port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await portFree(host, port)) return true
    if (Date.now() > deadline) return false
    await sleep(25)
  }
}

/** One health probe: true on a 2xx answer. */
export async function probe(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    await response.arrayBuffer().catch(() => undefined)
    return response.ok
  } catch {
    return false
  }
}
