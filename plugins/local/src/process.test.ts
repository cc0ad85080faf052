import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isOurs, processStartTime, startServer, stopServer } from './process.js'
import { resolveOptions } from './options.js'

const dir = mkdtempSync(join(tmpdir(), 'mlci-local-'))
const started: number[] = []
afterAll(() => {
  for (const pgid of started) {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true })
})

// A shell that starts a child which ignores SIGTERM: stopping must take the whole group down.
const STUBBORN = ['sh', '-c', 'trap "" TERM; sleep 60 & echo ready; wait']

/** Wait until the shell has installed its trap (it says so), or a SIGTERM could still end it. */
async function waitForLine(file: string, line: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(file) && readFileSync(file, 'utf8').includes(line)) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`${file} never said "${line}"`)
}

describe('server processes', () => {
  it('starts detached in its own group, recognises itself, stops the whole group (SIGKILL after the grace period)', async () => {
    const { proc } = await startServer({ version: '1.0.0', host: '127.0.0.1', port: 1, argv: STUBBORN, cwd: dir, log: join(dir, '1/server.log') }, process.env)
    started.push(proc.pgid)
    expect(proc.pgid).toBe(proc.pid)
    expect(proc.startTime).toBe(processStartTime(proc.pid))
    expect(isOurs(proc)).toBe(true)
    await waitForLine(join(dir, '1/server.log'), 'ready')
    expect(await stopServer(proc, 300)).toBe('killed')
    expect(isOurs(proc)).toBe(false)
    expect(() => process.kill(-proc.pgid, 0)).toThrow()
  })

  it('never kills a process whose pid was reused (start time differs)', async () => {
    const other = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' })
    started.push(other.pid!)
    const impostor = { version: 'x', pid: other.pid!, pgid: other.pid!, startTime: '1', host: '', port: 0, argv: [], cwd: dir, log: '', startedAt: '' }
    expect(isOurs(impostor)).toBe(false)
    expect(await stopServer(impostor, 100)).toBe('not-ours')
    expect(processStartTime(other.pid!)).toBeDefined()
  })

  it('a command that does not exist fails to start with a clear error', async () => {
    await expect(startServer({ version: '1', host: '', port: 0, argv: ['/nonexistent/serve'], cwd: dir, log: join(dir, 'x.log') }, process.env))
      .rejects.toThrow('Command not found: /nonexistent/serve')
  })
})

describe('options', () => {
  it('fills defaults (port 8731, the fixture-style python command)', () => {
    const o = resolveOptions(undefined)
    expect(o.port).toBe(8731)
    expect(o.command.slice(0, 2)).toEqual(['python3', 'serve.py'])
    expect(o.health).toEqual({ path: '/health', intervalMs: 100, timeoutMs: 30_000, successes: 3 })
  })

  it('rejects bad options eagerly, naming them', () => {
    expect(() => resolveOptions({ port: 70000 })).toThrow(/port must be 1–65535, got 70000/)
    expect(() => resolveOptions({ health: { path: 'health' } })).toThrow(/health\.path must start with "\/"/)
    expect(() => resolveOptions({ command: 'python3 serve.py' as never })).toThrow(/command must be an array of strings/)
    expect(() => resolveOptions({ prot: 1 } as never)).toThrow(/prot is not a known option/)
  })
})
