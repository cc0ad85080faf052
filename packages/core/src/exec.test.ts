import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { waitUntil } from '../../../test/helpers/wait.js'

/** Alive and not a zombie (an orphan may wait for a reaper that this sandbox lacks). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}
import { createExec } from './exec.js'
import { createLogger, type LogEntry } from './logger.js'
import { Redactor } from './redact.js'

function setup(secrets: string[] = []) {
  const entries: LogEntry[] = []
  const redactor = new Redactor(secrets)
  const controller = new AbortController()
  const logger = createLogger({ log: (e) => entries.push(e), progress: () => undefined }, redactor)
  const exec = createExec({ cwd: process.cwd(), env: process.env, signal: controller.signal, logger, redact: (t) => redactor.redact(t) })
  return { exec, entries, controller }
}

describe('exec', () => {
  it('redacts a secret split across output chunks', async () => {
    const { exec, entries } = setup(['abcdef-SECRET-123456'])
    const result = await exec(['sh', '-c', 'printf "key=abcdef-SEC"; sleep 0.1; printf "RET-123456 end\\n"'])
    expect(result.stdout).toBe('key=[redacted] end\n')
    expect(entries.map((e) => e.message)).toEqual(['key=[redacted] end'])
  })
  it('rejects shell strings and reports a missing program with a hint', async () => {
    const { exec } = setup()
    await expect(exec('ls -la' as unknown as string[])).rejects.toThrow(/argv array/)
    await expect(exec(['definitely-not-a-program-xyz'])).rejects.toMatchObject({ code: 'MLCI_EXEC_NOT_FOUND' })
  })
  it('fails on a non-zero exit with the output tail, unless reject is false', async () => {
    const { exec } = setup()
    await expect(exec(['sh', '-c', 'echo boom >&2; exit 3'])).rejects.toMatchObject({ code: 'MLCI_EXEC_FAILED', details: 'boom' })
    expect((await exec(['sh', '-c', 'exit 3'], { reject: false })).exitCode).toBe(3)
  })
  it('kills the whole process group on abort, including background children', async () => {
    const { exec, controller } = setup()
    const pids: number[] = []
    const running = exec(['sh', '-c', 'sleep 30 & echo $!; sleep 30 & echo $!; wait'], {
      killGraceMs: 500,
      onLine: (line) => {
        pids.push(Number(line))
        if (pids.length === 2) controller.abort()
      },
    })
    await expect(running).rejects.toMatchObject({ code: 'MLCI_INTERRUPTED' })
    // SIGTERM reaches the group before exec rejects; the kernel may take a moment to reap.
    await waitUntil(() => pids.every((pid) => !isRunning(pid)), `background children ${pids.join(', ')} are gone`, 2000)
    for (const pid of pids) expect(isRunning(pid)).toBe(false)
  })
  it('times out, killing the group', async () => {
    const { exec } = setup()
    await expect(exec(['sleep', '10'], { timeoutMs: 200, killGraceMs: 100 })).rejects.toMatchObject({ code: 'MLCI_TIMEOUT' })
  })
  it('keeps the head and the tail of a long output (multi-byte characters intact) and says how much was cut', async () => {
    const { exec } = setup()
    const script = 'for (let i = 0; i < 120000; i++) process.stdout.write(`zeile ${i} größe ✓ ${"x".repeat(40)}\\n`)'
    const { stdout } = await exec([process.execPath, '-e', script], { quiet: true })
    expect(stdout.startsWith('zeile 0 größe ✓')).toBe(true)
    expect(stdout.endsWith(`zeile 119999 größe ✓ ${'x'.repeat(40)}\n`)).toBe(true)
    expect(stdout).toMatch(/\[… \d+ bytes of output cut …\]\n/)
    expect(stdout).not.toContain('\ufffd')
    expect(Buffer.byteLength(stdout)).toBeLessThan(4.2 * 1024 * 1024)
  })
})
