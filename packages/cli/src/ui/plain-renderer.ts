import { ErrorCode, PHASE_NAMES, type Mlci, type RunResult } from '@mlci/core'
import { formatDuration, palette, type Palette } from './color.js'
import type { Renderer, RendererOptions } from './renderer.js'
import { summaryLine } from './summary.js'

/**
 * One line per event, no cursor movement: for CI logs, pipes, TERM=dumb. Child output lines are
 * shown with --verbose; warnings, errors and plugin info always.
 */
const NO_TAPS = 'no plugin taps this phase'
const LIFECYCLE = new Set<string>([...PHASE_NAMES, 'rollback'])

export class PlainRenderer implements Renderer {
  private readonly c: Palette
  private lastStatus = new Map<string, string>()
  /**
   * The last output or status line written per phase/plugin. A plugin's status is often its
   * latest output line (the trainer's), so with --verbose/--explain each line came out twice.
   */
  private lastLine = new Map<string, { kind: 'output' | 'status'; text: string }>()

  /** False when the same text was just written for this plugin by the other channel. */
  private fresh(key: string, kind: 'output' | 'status', text: string): boolean {
    const last = this.lastLine.get(key)
    this.lastLine.set(key, { kind, text })
    return !(last && last.kind !== kind && last.text.trim() === text.trim())
  }

  constructor(private readonly options: RendererOptions) {
    this.c = palette(options.color)
  }

  private write(line: string): void {
    this.options.stream.write(line + '\n')
  }

  attach(mlci: Mlci): void {
    const { c } = this
    // A bail hook's tap (the gate) that returns a veto ends "ok" and then fails the phase: its ✓
    // line waits until the next tap starts or the phase ends, so a veto is written as ✖.
    const bail = new Set<string>()
    let held: { phase: string; plugin: string; durationMs: number } | undefined
    const flush = (vetoed = false) => {
      if (!held) return
      this.write(`${c.cyan(`[${held.phase}]`)} ${vetoed ? c.red('✖') : c.green('✓')} ${held.plugin} ${c.dim(formatDuration(held.durationMs))}`)
      held = undefined
    }
    mlci.on('run:start', ({ phases }) => {
      for (const p of phases) if (/Bail/.test((mlci.hooks as unknown as Record<string, object>)[p.name]?.constructor.name ?? '')) bail.add(p.name)
      this.write(c.dim(`mlci: ${phases.filter((p) => p.taps.length).map((p) => p.name).join(' → ') || 'no phase has a plugin'}`))
    })
    // Run-level hooks (initialize, report, done, …) are bookkeeping: show them only if they fail.
    mlci.on('tap:start', ({ phase, tap }) => {
      flush()
      if (LIFECYCLE.has(phase)) this.write(`${c.cyan(`[${phase}]`)} ${tap.plugin} …`)
    })
    mlci.on('tap:end', ({ phase, record }) => {
      if (!LIFECYCLE.has(phase) && record.status === 'ok') return
      if (bail.has(phase) && record.status === 'ok') {
        held = { phase, plugin: record.plugin, durationMs: record.durationMs }
        return
      }
      const mark = record.status === 'ok' ? c.green('✓') : c.red('✖')
      this.write(`${c.cyan(`[${phase}]`)} ${mark} ${record.plugin} ${c.dim(formatDuration(record.durationMs))}`)
    })
    mlci.on('phase:end', (p) => {
      flush(p.status === 'failed' && p.error?.code === ErrorCode.VETOED)
      if (p.status === 'ok') return // taps already reported
      if (p.status === 'failed') {
        // A gate veto is a return value, not a tap error: the phase fails with every tap ✓.
        if (p.taps.every((t) => t.status === 'ok')) this.write(`${c.cyan(`[${p.name}]`)} ${c.red('✖')} ${p.error?.message ?? 'failed'}`)
        return
      }
      if (!p.taps.length && p.status === 'skipped' && !p.fingerprint && p.reason === NO_TAPS) return
      const reason = p.reason ? ` (${p.reason})` : ''
      this.write(`${c.cyan(`[${p.name}]`)} ${p.status === 'cached' ? c.green('↺ cached') : c.dim(`↓ ${p.status}`)}${c.dim(reason)}`)
    })
    mlci.on('log', (entry) => {
      if (entry.level === 'output' && !this.options.verbose) return
      if (entry.level === 'debug' && !this.options.verbose) return
      const scope = [entry.phase, entry.plugin].filter(Boolean).join(' ')
      if (entry.level === 'output' && !this.fresh(`${entry.phase}/${entry.plugin}`, 'output', entry.message)) return
      const tag = entry.level === 'warn' ? c.yellow('warn ') : entry.level === 'error' ? c.red('error ') : ''
      this.write(`${c.cyan(`[${scope || 'mlci'}]`)} ${tag}${entry.message}`)
    })
    mlci.on('progress', (u) => {
      // Only status text changes are worth a line in a log; progress bars are for TTYs.
      if (!u.status) return
      const key = `${u.phase}/${u.plugin}`
      if (this.lastStatus.get(key) === u.status) return
      this.lastStatus.set(key, u.status)
      if (this.options.verbose && this.fresh(key, 'status', u.status)) this.write(`${c.cyan(`[${u.phase} ${u.plugin}]`)} ${u.status}`)
    })
  }

  async finish(result: RunResult): Promise<void> {
    this.write(summaryLine(result, this.c))
  }
}
