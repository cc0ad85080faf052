// Registries that stall, for the docker deployer's time bounds: real TCP servers on 127.0.0.1
// (free ports) that accept connections and never answer.
import { createServer as createHttpServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer, type Socket } from 'node:net'

export interface Stalled {
  port: number
  host: string
  /** Connections accepted so far (a stalled command did reach the server). */
  connections: () => number
  close: () => Promise<void>
}

/** A TCP server that accepts every connection and never sends a byte. */
export async function stalledServer(): Promise<Stalled> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    port, host: `127.0.0.1:${port}`, connections: () => accepted,
    close: () => new Promise((resolve) => {
      sockets.forEach((s) => s.destroy())
      server.close(() => resolve())
    }),
  }
}

export interface StallingProxy extends Stalled {
  /** `pass`: forward everything to the real registry; `stall`: answer only `GET /v2/` (ping and login), never anything else. */
  mode: 'pass' | 'stall'
  /** Requests left unanswered so far. */
  stalled: () => number
}

/**
 * An HTTP proxy in front of a real registry (`upstream` = host:port). In `stall` mode the
 * registry still answers the version check a login makes, so `docker login` succeeds, but every
 * blob and manifest request (what push and pull wait for) is accepted and never answered.
 */
export async function stallingProxy(upstream: string): Promise<StallingProxy> {
  const [upHost, upPort] = upstream.split(':')
  const held = new Set<ServerResponse>()
  let accepted = 0
  let stalled = 0
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const out = request({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    out.on('error', () => res.destroy())
    req.pipe(out)
  }
  const server = createHttpServer((req, res) => {
    if (proxy.mode === 'pass' || (req.method === 'GET' && req.url === '/v2/')) return forward(req, res)
    stalled++
    held.add(res)
    res.on('close', () => held.delete(res))
  })
  server.on('connection', () => accepted++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const proxy: StallingProxy = {
    mode: 'pass', port, host: `127.0.0.1:${port}`, connections: () => accepted, stalled: () => stalled,
    close: () => new Promise((resolve) => {
      held.forEach((r) => r.destroy())
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
  return proxy
}

/** PIDs of processes whose command line contains `needle` (e.g. a docker CLI still pushing). */
export async function processesWith(needle: string): Promise<number[]> {
  const { readdirSync, readFileSync } = await import('node:fs')
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ')
      if (cmd.includes(needle) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${name}/stat`, 'utf8'))) out.push(Number(name))
    } catch {
      // exited meanwhile
    }
  }
  return out
}
