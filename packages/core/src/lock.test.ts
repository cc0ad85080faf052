import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const dir = mkdtempSync(join(tmpdir(), 'mlci-lock-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
// The compiled module (tsc output), so separate processes can race for the lock.
const LOCK_JS = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../dist/lock.js')).href

function contender(file: string, log: string, name: string): Promise<number | null> {
  const script = `
    import { appendFileSync } from 'node:fs'
    const { acquireLock } = await import(${JSON.stringify(LOCK_JS)})
    const lock = await acquireLock(${JSON.stringify(file)}, { command: ${JSON.stringify(name)}, wait: true, timeoutMs: 20000 })
    appendFileSync(${JSON.stringify(log)}, 'in ${name}\\n')
    await new Promise((r) => setTimeout(r, 150))
    appendFileSync(${JSON.stringify(log)}, 'out ${name}\\n')
    await lock.release()`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' })
  return new Promise((resolve) => child.on('close', resolve))
}

describe('repo lock', () => {
  it('several waiters reclaiming the same dead holder never hold the lock at once', async () => {
    const file = join(dir, 'lock')
    const log = join(dir, 'log')
    writeFileSync(log, '')
    writeFileSync(file, JSON.stringify({ pid: 999_999, command: 'dead', startedAt: new Date().toISOString() }))
    const codes = await Promise.all(['a', 'b', 'c', 'd'].map((n) => contender(file, log, n)))
    expect(codes).toEqual([0, 0, 0, 0])
    const lines = readFileSync(log, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(8)
    // Strictly nested in/out pairs: nobody entered while someone else was inside.
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i].startsWith('in ')).toBe(true)
      expect(lines[i + 1]).toBe(lines[i].replace('in ', 'out '))
    }
  })
})
