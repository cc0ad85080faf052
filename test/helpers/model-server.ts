import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

// The fixture's real model server (fixtures/classifier/serve.py) started by a test, and the
// steady /predict traffic a real deployment gets (what a Prometheus error ratio is made of).

export interface ModelServer {
  url: string
  /** host:port, Prometheus's `instance` label for it. */
  address: string
  stop(): Promise<void>
}

/** Start serve.py on `port` (0: any free one) with a trained model folder; resolves once it listens. */
export function startModelServer(options: { cwd: string; python: string; model: string; version?: string; port?: number; env?: Record<string, string> }): Promise<ModelServer> {
  const child: ChildProcess = spawn(options.python, ['serve.py', '--port', String(options.port ?? 0), '--model', join(options.model, 'model.json'), '--model-version', options.version ?? options.model, '--quiet'], {
    cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'pipe'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await exited
  }
  return new Promise((resolve, reject) => {
    let err = ''
    child.stderr!.on('data', (d: Buffer) => {
      err += d
      const m = /listening on (http:\/\/(\S+))/.exec(err)
      if (m) resolve({ url: m[1], address: m[2].replace(/\/$/, ''), stop })
    })
    child.once('exit', (code) => reject(new Error(`serve.py exited ${code}: ${err}`)))
  })
}

/** POST one row to /predict every `everyMs` until stopped: user traffic, whatever it gets back. */
export function startTraffic(url: string, everyMs = 50): { requests: () => number; stop: () => Promise<void> } {
  let stopped = false
  let requests = 0
  const loop = (async () => {
    while (!stopped) {
      await fetch(`${url}/predict`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [[5.1, 3.5, 1.4, 0.2, 0.1]] }), signal: AbortSignal.timeout(2000),
      }).then((r) => r.arrayBuffer()).catch(() => undefined) // refused or cut off mid-deploy: keep going
      requests++
      await sleep(everyMs)
    }
  })()
  return { requests: () => requests, stop: async () => { stopped = true; await loop } }
}
