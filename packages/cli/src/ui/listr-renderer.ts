import { Listr, PRESET_TIMER, type ListrTaskWrapper } from 'listr2'
import { ErrorCode, type Mlci, type PhaseRecord, type RunResult, type TapInfo, type TapRecord } from '@mlci/core'
import { palette, type Palette } from './color.js'
import type { Renderer, RendererOptions } from './renderer.js'
import { summaryLine } from './summary.js'

class Deferred<T> {
  resolve!: (value: T) => void
  readonly promise = new Promise<T>((resolve) => (this.resolve = resolve))
}

type AnyTask = ListrTaskWrapper<unknown, never, never>

/** A monitor sample line (`sample 2/4 accuracy=0.96 ✔ …`). */
const SAMPLE = /^(⚠ )?sample \d+\/\d+ /

function bar(fraction: number, width = 20): string {
  const filled = Math.round(fraction * width)
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${Math.round(fraction * 100)}%`
}

/**
 * listr2's default renderer driven by the core's events: a task per phase, a subtask per tap.
 * The core runs the lifecycle; listr2 only displays it, so each task awaits the event that ends
 * it. Signals are ours (registerSignalListeners: false): listr2 would exit 127 on Ctrl-C.
 */
export class ListrRenderer implements Renderer {
  private readonly c: Palette
  private phaseStarted = new Map<string, Deferred<void>>()
  private phaseDone = new Map<string, Deferred<PhaseRecord | undefined>>()
  private tapDone = new Map<string, Deferred<TapRecord | undefined>>()
  private tapTasks = new Map<string, AnyTask>()
  /**
   * Per phase/plugin, the facts the plain renderer prints (info, warn and error lines: the gate's
   * verdicts, the recorded version and its reason, the deploy URL, monitor samples), kept under
   * the tap after it ends. Lines can arrive before listr2 starts the subtask (a tick after the tap).
   */
  private facts = new Map<string, string[]>()
  private listr: Promise<unknown> | undefined
  /** Phases whose hook is a bail hook: a tap may stop them by returning a value (a gate veto). */
  private bail = new Set<string>()
  /** Per phase, resolved when the next tap starts; per tap, the one current when it ended. */
  private nextTap = new Map<string, Deferred<void>>()
  private startedAfter = new Map<string, Promise<void>>()

  constructor(private readonly options: RendererOptions) {
    this.c = palette(options.color)
  }

  attach(mlci: Mlci): void {
    mlci.on('run:start', ({ phases }) => {
      const tapped = phases.filter((p) => p.taps.length)
      for (const p of tapped) if (/Bail/.test((mlci.hooks as unknown as Record<string, object>)[p.name]?.constructor.name ?? '')) this.bail.add(p.name)
      const withRollback = mlci.hooks.rollback.taps.length ? [...tapped, { name: 'rollback' as const, taps: mlci.tapsOf('rollback') }] : tapped
      for (const p of withRollback) {
        this.phaseStarted.set(p.name, new Deferred())
        this.phaseDone.set(p.name, new Deferred())
        for (const t of p.taps) this.tapDone.set(`${p.name}/${t.name}`, new Deferred())
      }
      const listr = new Listr(withRollback.map((p) => ({
        title: p.name,
        task: (_: unknown, task: AnyTask) => this.phaseTask(p.name, p.taps, task),
      })), {
        renderer: 'default',
        registerSignalListeners: false,
        exitOnError: false,
        collectErrors: false,
        rendererOptions: { collapseSubtasks: false, collapseSkips: true, collapseErrors: false, timer: PRESET_TIMER, showErrorMessage: true },
      } as never)
      this.listr = listr.run().catch(() => undefined)
    })
    mlci.on('phase:start', ({ phase }) => this.phaseStarted.get(phase)?.resolve())
    mlci.on('phase:end', (p) => this.phaseDone.get(p.name)?.resolve(p))
    mlci.on('tap:start', ({ phase }) => {
      this.nextTap.get(phase)?.resolve()
      this.nextTap.set(phase, new Deferred())
    })
    mlci.on('tap:end', ({ phase, tap, record }) => {
      const next = this.nextTap.get(phase)
      if (next) this.startedAfter.set(`${phase}/${tap.name}`, next.promise)
      this.tapDone.get(`${phase}/${tap.name}`)?.resolve(record)
    })
    mlci.on('log', (entry) => {
      if (entry.level === 'debug' && !this.options.verbose) return
      const key = `${entry.phase}/${entry.plugin}`
      const text = entry.level === 'warn' ? `⚠ ${entry.message}` : entry.level === 'error' ? `✖ ${entry.message}` : entry.message
      const task = this.tapTasks.get(key)
      // A child's output lines are shown live (the latest only) and not kept: they are not facts.
      if (entry.level === 'output') {
        if (task) task.output = [...(this.facts.get(key) ?? []), text].join('\n')
        return
      }
      const lines = this.facts.get(key) ?? []
      // Monitor samples are one live line: each replaces the previous one.
      if (SAMPLE.test(entry.message) && SAMPLE.test(lines.at(-1) ?? '')) lines.pop()
      lines.push(text)
      this.facts.set(key, lines)
      if (task) task.output = lines.join('\n')
    })
    mlci.on('progress', (u) => {
      const task = this.tapTasks.get(`${u.phase}/${u.plugin}`)
      if (!task) return
      if (u.fraction !== undefined) task.title = `${u.plugin} ${bar(u.fraction)}${u.label ? ` ${this.c.dim(u.label)}` : ''}`
      if (u.status) task.title = `${u.plugin} ${this.c.dim(u.status)}`
    })
  }

  /** A phase that runs gets a subtask per tap; a cached or skipped one is shown as skipped. */
  private async phaseTask(phase: string, taps: TapInfo[], task: AnyTask) {
    const done = this.phaseDone.get(phase)!.promise
    const started = await Promise.race([this.phaseStarted.get(phase)!.promise.then(() => true), done.then(() => false)])
    if (!started) {
      const record = await done
      // Rollback runs only after a failure: a run that did not need it does not show it (the plain
      // renderer says nothing either; "↓ rollback not run" on every watch cycle read as a problem).
      if (!record && phase === 'rollback') {
        (task as unknown as { task: { enabled: boolean } }).task.enabled = false
        return
      }
      if (!record) return task.skip(`${phase} ${this.c.dim('not run')}`)
      if (record.status === 'cached') return task.skip(`${phase} ${this.c.green('↺ cached')}`)
      return task.skip(`${phase} ${this.c.dim(`${record.status}${record.reason ? `: ${record.reason}` : ''}`)}`)
    }
    return task.newListr(taps.map((tap) => ({
      title: tap.plugin,
      task: async (_: unknown, subtask: AnyTask) => {
        const key = `${phase}/${tap.plugin}`
        this.tapTasks.set(key, subtask)
        const early = this.facts.get(key)
        if (early?.length) subtask.output = early.join('\n')
        const record = await Promise.race([this.tapDone.get(`${phase}/${tap.name}`)!.promise, done.then(() => undefined)])
        if (!record) return subtask.skip(`${tap.plugin} ${this.c.dim('not run')}`)
        subtask.title = tap.plugin
        // The live output line of a child process goes; the facts stay.
        subtask.output = (this.facts.get(key) ?? []).join('\n')
        if (record.status === 'failed') throw new Error(record.error?.message ?? 'failed')
        // A bail hook's tap that returned a value (a veto) ends ok but stops the phase: it is the
        // tap after which no other tap started before the phase failed. Show it as ✖, not ✔.
        if (this.bail.has(phase)) {
          const end = await Promise.race([this.startedAfter.get(`${phase}/${tap.name}`)?.then(() => undefined) ?? done, done])
          if (end?.status === 'failed' && end.error?.code === ErrorCode.VETOED) throw new Error(end.error.message)
        }
      },
      rendererOptions: { persistentOutput: true, outputBar: true },
    // A failed parent keeps listr2's red pointer (its convention for "a subtask failed").
    })) as never, { concurrent: true, exitOnError: true } as never)
  }

  async finish(result: RunResult): Promise<void> {
    // Phases that never started (a failure stopped the run) end as "not run".
    for (const d of this.phaseDone.values()) d.resolve(undefined)
    for (const d of this.tapDone.values()) d.resolve(undefined)
    await this.listr
    this.options.stream.write(summaryLine(result, this.c) + '\n')
  }
}
