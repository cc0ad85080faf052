import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode, ExitCode, MlciError, errorMessage, exitCodeFor, type AnalysisReport, type RunOptions, type RunResult } from '@mlci/core'
import { openProject } from '../session.js'
import { colorsEnabled, formatDuration, palette, type Palette } from '../ui/color.js'
import { formatError } from '../ui/format-error.js'
import { runUi, showRun } from '../ui/run-ui.js'
import type { Command } from './index.js'

/**
 * `mlci monitor [--every <interval>]`: the monitor phase alone, against what is live. Each
 * analysis is an ordinary run (`only: ['monitor']`): it takes the repo lock, writes a run
 * record, and a failed analysis goes through the core's monitor → rollback wiring, so a rollback
 * plugin puts the previous version back and marks the failing one failed — with --every too.
 *
 * With --every it keeps going after failed analyses (the next one checks what is live then) and
 * skips a cycle while another mlci run holds the lock. Ctrl-C or SIGTERM stops it: an analysis
 * in progress is cancelled (no rollback for an interrupted analysis) and the exit code is 130,
 * like every interrupted mlci command (systemd: `SuccessExitStatus=130`).
 */
const command: Command = {
  usage: 'mlci monitor [--every <interval> [--max-rollbacks <n>] [--rollback-window <interval>]] [--json] [--wait-for-lock]',
  flags: ['every', 'max-rollbacks', 'rollback-window', 'json', 'wait-for-lock'],
  async run(args, io) {
    const every = args.flags.every === undefined ? undefined : parseInterval(String(args.flags.every))
    const breaker = new CircuitBreaker(parseCount(args.flags['max-rollbacks']), args.flags['rollback-window'] === undefined ? 3_600_000 : parseInterval(String(args.flags['rollback-window'])))
    const mlci = await openProject(args, io.env)
    if (!mlci.hooks.monitor.taps.length) {
      throw new MlciError(ErrorCode.USAGE, 'No plugin taps the monitor hook in this project.', {
        hint: "Add monitor({ url, metrics: [...] }) from '@mlci/plugin-monitor' to the plugins in your mlci config.",
      })
    }
    const json = Boolean(args.flags.json)
    const c = palette(colorsEnabled(io.stdout, io.env))
    const ui = await runUi(args, io)
    ui?.attach(mlci)
    const options: RunOptions = { only: ['monitor'], command: io.commandLine }
    const analyse = async (): Promise<RunResult> => {
      const open = every !== undefined && breaker.open()
      const result = await mlci.run({ ...options, autoRollback: !open }, io.signal, { waitForLock: Boolean(args.flags['wait-for-lock']) })
      if (result.record.data.rollback) breaker.record()
      // One JSON line per analysis when it repeats (a stream), pretty-printed once otherwise.
      await showRun(result, ui, io, every ? undefined : 2)
      if (ui) io.stdout.write(outcomeLine(result, c) + '\n')
      return result
    }

    if (every === undefined) {
      const result = await analyse()
      if (result.error) throw result.error
      return ExitCode.OK
    }

    let cycles = 0
    let failed = 0
    for (;;) {
      cycles++
      const result = await analyse()
      const error = result.error
      if (error && breaker.open() && !breaker.announced) {
        breaker.announced = true
        io.stderr.write(`${c.red('!')} circuit breaker open: ${breaker.count()} automatic rollback(s) in the last ${formatDuration(breaker.windowMs)} (limit ${breaker.max}). `
          + 'Further failed analyses neither roll back nor mark versions failed; a person must look (`mlci versions`, `mlci registry verify`, `mlci rollback`).\n')
      }
      if (error) {
        if (MlciError.is(error) && error.code === ErrorCode.INTERRUPTED) break
        // A broken config or plugin will not fix itself between cycles.
        if (exitCodeFor(error) === ExitCode.USAGE) throw error
        if (MlciError.is(error) && error.code === ErrorCode.LOCKED) {
          io.stderr.write(`${c.yellow('!')} analysis skipped: ${error.message}\n`)
        } else {
          failed++
          io.stderr.write(formatError(error, c, (t) => mlci.redact(t), Boolean(args.flags.verbose)) + '\n')
        }
      }
      if (!json) io.stdout.write(c.dim(`next analysis in ${formatDuration(every)} (Ctrl-C to stop)`) + '\n')
      try {
        await sleep(every, undefined, { signal: io.signal })
      } catch {
        break
      }
    }
    if (!json) io.stdout.write(`monitor stopped after ${cycles} analysis run(s), ${failed} failed\n`)
    return ExitCode.INTERRUPTED
  },
}
export default command

/**
 * At most `max` automatic rollbacks in a sliding window. Without it, a dead server (or a probe
 * the server rejects) makes every cycle roll back one more version and mark it failed.
 */
class CircuitBreaker {
  private readonly times: number[] = []
  announced = false
  constructor(readonly max: number, readonly windowMs: number) {}

  record(): void {
    this.times.push(Date.now())
  }

  count(): number {
    const since = Date.now() - this.windowMs
    while (this.times.length && this.times[0] < since) this.times.shift()
    return this.times.length
  }

  open(): boolean {
    const open = this.count() >= this.max
    if (!open) this.announced = false
    return open
  }
}

function parseCount(value: unknown): number {
  if (value === undefined) return 1
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new MlciError(ErrorCode.USAGE, `--max-rollbacks "${String(value)}" is not a count.`, { hint: 'Give a whole number, e.g. --max-rollbacks 1 (0: never roll back automatically).' })
  return n
}

/** `30s`, `5m`, `1h`, `500ms`; a bare number is refused (seconds or milliseconds?). */
function parseInterval(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text)
  const ms = m ? Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']) : Number.NaN
  if (!(ms > 0)) {
    throw new MlciError(ErrorCode.USAGE, `--every "${text}" is not an interval.`, { hint: 'Give a positive duration with a unit, e.g. --every 30s, --every 5m or --every 1h.' })
  }
  return ms
}

/** One line per analysis: version, verdict, samples, and what the rollback did. */
function outcomeLine(result: RunResult, c: Palette): string {
  const data = result.record.data
  const reports = (data.analysis ?? []) as AnalysisReport[]
  const version = result.record.version ?? reports[0]?.url ?? 'the live server'
  const parts = reports.map((r) => `${r.name} ${r.verdict} (${r.samples.length} sample${r.samples.length === 1 ? '' : 's'})`)
  const rollback = data.rollback
  const after = rollback ? ` · ${rollback.ok ? c.yellow(`rolled back to ${rollback.to}`) : c.red(`rollback failed${rollback.error ? `: ${rollback.error}` : ''}`)}` : ''
  if (!result.error) return `${c.green('✔')} ${version}: ${parts.join(', ') || 'analysed'}`
  if (MlciError.is(result.error) && result.error.code === ErrorCode.INTERRUPTED) return `${c.yellow('✖')} ${version}: analysis interrupted`
  return `${c.red('✖')} ${version}: ${parts.join(', ') || errorMessage(result.error)}${after}`
}
