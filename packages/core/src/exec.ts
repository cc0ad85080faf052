import { createRequire } from 'node:module'
import { ErrorCode, MlciError } from './errors.js'
import type { Logger } from './logger.js'

export interface ExecOptions {
  cwd?: string
  /** Merged over the run's env. */
  env?: Record<string, string | undefined>
  /** Text written to stdin (e.g. a password for `docker login --password-stdin`). */
  input?: string
  timeoutMs?: number
  /** Time between SIGTERM and SIGKILL of the process group. */
  killGraceMs?: number
  /** Resolve with the result instead of throwing on a non-zero exit. */
  reject?: boolean
  /** Don't stream lines to the logger (still captured). */
  quiet?: boolean
  /** Called with every output line (already redacted), e.g. to parse progress. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void
}

export interface ExecResult {
  argv: string[]
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  durationMs: number
}

export type Exec = (argv: string[], options?: ExecOptions) => Promise<ExecResult>

/** Bytes kept from the end of a command's output. */
const MAX_CAPTURE = 4 * 1024 * 1024
/** Kept from the start of a long output (the command line echo, the first error) besides its tail. */
const HEAD_CAPTURE = 64 * 1024

/**
 * A command's captured stdout or stderr: the first HEAD_CAPTURE characters and the last
 * MAX_CAPTURE bytes, with a line saying how much was cut between them. The tail is a fixed
 * ring of bytes, not strings: a tail kept as strings keeps every line alive until it is pushed
 * out, so all of a chatty command's output passed through V8's old space (1M lines: +100 MB RSS).
 */
class Capture {
  private head = ''
  private ring: Buffer | undefined
  private pos = 0
  private total = 0

  add(line: string): void {
    if (!this.ring && this.head.length < HEAD_CAPTURE) {
      this.head += line
      return
    }
    this.ring ??= Buffer.allocUnsafe(MAX_CAPTURE)
    let bytes = Buffer.byteLength(line)
    if (bytes <= MAX_CAPTURE - this.pos) {
      this.ring.write(line, this.pos)
    } else {
      let data = Buffer.from(line)
      if (data.length > MAX_CAPTURE) data = data.subarray(data.length - MAX_CAPTURE)
      const first = Math.min(data.length, MAX_CAPTURE - this.pos)
      data.copy(this.ring, this.pos, 0, first)
      data.copy(this.ring, 0, first)
      this.total += bytes - data.length
      bytes = data.length
    }
    this.pos = (this.pos + bytes) % MAX_CAPTURE
    this.total += bytes
  }

  text(): string {
    if (!this.ring) return this.head
    if (this.total <= MAX_CAPTURE) return this.head + this.ring.toString('utf8', 0, this.total)
    let tail = Buffer.concat([this.ring.subarray(this.pos), this.ring.subarray(0, this.pos)])
    // The cut may fall inside a UTF-8 character: start at the next whole one.
    let start = 0
    while (start < tail.length && (tail[start] & 0xc0) === 0x80) start++
    tail = tail.subarray(start)
    return `${this.head}[… ${this.total - MAX_CAPTURE + start} bytes of output cut …]\n${tail.toString('utf8')}`
  }
}

// node:child_process (and the net/stream modules it pulls in) costs ~4 ms to load; a cached
// no-op build never spawns anything, so load it on first use.
let childProcessModule: typeof import('node:child_process') | undefined
function childProcess(): typeof import('node:child_process') {
  return (childProcessModule ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process'))
}

/** Every process group we started and have not seen exit: the CLI's last-resort cleanup. */
export const liveProcessGroups = new Set<number>()

export function killProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

/**
 * Run a command from an argv array (never a shell string) in its own process group, streaming
 * lines to the logger. On abort or timeout the whole group gets SIGTERM, then SIGKILL after a
 * grace period, so shells that started background children leave nothing behind.
 */
export function createExec(base: {
  cwd: string
  env: NodeJS.ProcessEnv
  signal: AbortSignal
  logger: Logger
  redact: (text: string) => string
}): Exec {
  return (argv, options = {}) => runExec(argv, base, options)
}

function runExec(
  argv: string[],
  base: { cwd: string; env: NodeJS.ProcessEnv; signal: AbortSignal; logger: Logger; redact: (t: string) => string },
  options: ExecOptions,
): Promise<ExecResult> {
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string')) {
    return Promise.reject(new MlciError(ErrorCode.USAGE, `exec takes a non-empty argv array of strings, got ${JSON.stringify(argv)}.`, {
      hint: 'Pass the command as ["program", "arg1", …]; shell strings are not accepted.',
    }))
  }
  const { signal, logger, redact } = base
  const started = Date.now()
  const shown = redact(argv.join(' '))
  if (signal.aborted) return Promise.reject(interrupted(shown))

  return new Promise<ExecResult>((resolve, reject) => {
    const env = { ...base.env, ...options.env }
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key]
    const child = childProcess().spawn(argv[0], argv.slice(1), {
      cwd: options.cwd ?? base.cwd,
      env,
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    const pid = child.pid
    if (pid) liveProcessGroups.add(pid)
    const stdout = new Capture()
    const stderr = new Capture()
    let killedBy: 'abort' | 'timeout' | undefined
    let killTimer: NodeJS.Timeout | undefined
    let settled = false

    const kill = (why: 'abort' | 'timeout') => {
      if (!pid || killedBy) return
      killedBy = why
      killProcessGroup(pid, 'SIGTERM')
      killTimer = setTimeout(() => killProcessGroup(pid, 'SIGKILL'), options.killGraceMs ?? 3000)
      killTimer.unref()
    }
    const onAbort = () => kill('abort')
    signal.addEventListener('abort', onAbort, { once: true })
    const timeout = options.timeoutMs ? setTimeout(() => kill('timeout'), options.timeoutMs) : undefined

    const lineReader = (stream: 'stdout' | 'stderr') => {
      let pending = ''
      const emit = (raw: string) => {
        const line = redact(raw.replace(/\r$/, ''))
        // tqdm redraws with \r: keep only the last frame of the line.
        const visible = line.includes('\r') ? line.slice(line.lastIndexOf('\r') + 1) : line
        ;(stream === 'stdout' ? stdout : stderr).add(visible + '\n')
        if (!options.quiet) logger.output(visible)
        options.onLine?.(visible, stream)
      }
      return {
        data(chunk: string) {
          pending += chunk
          let index: number
          while ((index = pending.indexOf('\n')) >= 0) {
            emit(pending.slice(0, index))
            pending = pending.slice(index + 1)
          }
          // tqdm progress arrives as \r-separated frames without newlines: surface the latest.
          const cr = pending.lastIndexOf('\r')
          if (cr >= 0) {
            const frame = pending.slice(0, cr)
            const last = frame.slice(frame.lastIndexOf('\r') + 1)
            if (last) options.onLine?.(redact(last), stream)
            pending = pending.slice(cr + 1)
          }
        },
        end() {
          if (pending) emit(pending)
          pending = ''
        },
      }
    }
    const out = lineReader('stdout')
    const err = lineReader('stderr')
    // Decoded by the stream: a multi-byte character split across two chunks stays whole.
    child.stdout!.setEncoding('utf8').on('data', out.data)
    child.stderr!.setEncoding('utf8').on('data', err.data)
    if (options.input !== undefined) child.stdin!.end(options.input)

    const finish = (exitCode: number | null, sig: NodeJS.Signals | null, spawnError?: Error) => {
      if (settled) return
      settled = true
      out.end()
      err.end()
      if (pid) liveProcessGroups.delete(pid)
      signal.removeEventListener('abort', onAbort)
      if (timeout) clearTimeout(timeout)
      // Leave nothing of the group behind, even background children of a command that succeeded
      // (a server meant to outlive its command is started detached by its plugin, not by exec).
      if (pid) killProcessGroup(pid, 'SIGKILL')
      if (killTimer) clearTimeout(killTimer)
      const result: ExecResult = { argv, exitCode, signal: sig, stdout: stdout.text(), stderr: stderr.text(), durationMs: Date.now() - started }
      if (spawnError) {
        const code = (spawnError as NodeJS.ErrnoException).code
        return reject(new MlciError(code === 'ENOENT' ? ErrorCode.EXEC_NOT_FOUND : ErrorCode.EXEC_FAILED,
          code === 'ENOENT' ? `Command not found: ${redact(argv[0])}` : `Could not start \`${shown}\`: ${spawnError.message}`,
          { hint: code === 'ENOENT' ? `Install ${argv[0]} or put it on PATH, or configure the full path.` : undefined, cause: spawnError }))
      }
      if (killedBy === 'abort') return reject(interrupted(shown))
      if (killedBy === 'timeout') {
        return reject(new MlciError(ErrorCode.TIMEOUT, `\`${shown}\` timed out after ${options.timeoutMs} ms.`, {
          hint: 'Raise the timeout option, or find out why the command hangs (run with --verbose).',
        }))
      }
      if (exitCode !== 0 && options.reject !== false) {
        const tail = (result.stderr || result.stdout).trimEnd().split('\n').slice(-15).join('\n')
        return reject(new MlciError(ErrorCode.EXEC_FAILED,
          `\`${shown}\` exited with ${exitCode === null ? `signal ${sig}` : `code ${exitCode}`}.`,
          { details: tail, hint: 'See the command output above (or run with --verbose).' }))
      }
      resolve(result)
    }

    child.on('error', (error) => finish(null, null, error))
    child.on('exit', (code, sig) => {
      // Wait for the pipes to drain, but not forever: a background grandchild may hold them open.
      const drain = setTimeout(() => {
        child.stdout?.destroy()
        child.stderr?.destroy()
        finish(code, sig)
      }, 300)
      child.on('close', () => {
        clearTimeout(drain)
        finish(code, sig)
      })
    })
  })
}

function interrupted(command: string): MlciError {
  return new MlciError(ErrorCode.INTERRUPTED, `Interrupted: \`${command}\` was stopped.`)
}
