import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What a scripted route answers. */
export interface Reply {
  status?: number
  body?: string | object
  type?: string
}

export type Route = (hit: number, request: { body: string; req: IncomingMessage }) => Reply | Promise<Reply>

export interface TestServer {
  url: string
  /** Requests per path so far. */
  hits: Record<string, number>
  close(): Promise<void>
}

/**
 * A real HTTP server on 127.0.0.1 (any free port) whose routes are scripted by hit number, so a
 * test decides what the Nth scrape sees without depending on timing.
 */
export async function startServer(routes: Record<string, Route>): Promise<TestServer> {
  const hits: Record<string, number> = {}
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    let body = ''
    for await (const chunk of req) body += chunk
    const route = routes[path]
    if (!route) {
      res.writeHead(404).end('not found')
      return
    }
    hits[path] = (hits[path] ?? 0) + 1
    try {
      const reply = await route(hits[path], { body, req })
      const text = typeof reply.body === 'string' || reply.body === undefined ? reply.body ?? '' : JSON.stringify(reply.body)
      res.writeHead(reply.status ?? 200, { 'content-type': reply.type ?? (typeof reply.body === 'object' ? 'application/json' : 'text/plain; version=0.0.4') })
      res.end(text)
    } catch (error) {
      res.writeHead(500).end(String(error))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

/**
 * `/metrics` for an error-ratio script: scrape 1 is the baseline; between scrape k and k+1 the
 * server "served" `per` predictions of which `ratios[k-1]` failed (the last ratio repeats).
 * `empty` scrapes (by number) answer an empty body; `fail` scrapes answer HTTP 500.
 */
export function errorRatioMetrics(ratios: number[], options: { per?: number; empty?: number[]; fail?: number[]; version?: string } = {}): Route {
  const per = options.per ?? 100
  return (hit) => {
    if (options.fail?.includes(hit)) return { status: 500, body: 'scrape failed' }
    if (options.empty?.includes(hit)) return { body: '' }
    let requests = 0, errors = 0
    for (let k = 1; k < hit; k++) {
      requests += per
      errors += Math.round(per * ratios[Math.min(k - 1, ratios.length - 1)])
    }
    return {
      body: [
        '# TYPE model_requests_total counter',
        `model_requests_total{endpoint="/predict",code="200"} ${requests - errors}`,
        `model_requests_total{endpoint="/predict",code="500"} ${errors}`,
        `model_requests_total{endpoint="/health",code="200"} ${hit * 3}`,
        '# TYPE model_errors_total counter',
        `model_errors_total ${errors}`,
        '# TYPE model_info gauge',
        `model_info{version="${options.version ?? 'v1'}"} 1`,
      ].join('\n') + '\n',
    }
  }
}

/** The query for the ratio `errorRatioMetrics` serves. */
export const ERROR_RATIO = 'increase(model_errors_total) / increase(model_requests_total{endpoint="/predict"})'
