import type { Stats } from 'node:fs'
import { existsSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import {
  ErrorCode, ExitCode, MlciError, SEARCH_PLACES, createWatchTargets, downstreamOf, errorMessage, phaseRow,
  type LifecyclePhase, type Mlci, type PhaseName, type RunData, type RunResult, type WatchTargets,
} from '@mlci/core'
import type { CommandIo } from '../commands/index.js'
import { loadProject } from '../session.js'
import { colorsEnabled, formatDuration, isInteractive, palette, type Palette } from '../ui/color.js'
import { formatError } from '../ui/format-error.js'
import { createRenderer } from '../ui/renderer.js'
import { ChangeBatch } from './change-batch.js'
import { startFileWatcher, type FileWatcher } from './file-watcher.js'
import { listenForKeys, type WatchKey } from './keys.js'
import { DEFAULT_DEBOUNCE_MS, resolveProfile, type WatchFlags, type WatchProfile } from './profile.js'
import { attachForOneRun } from './scoped-listeners.js'
import { WatchScreen } from './screen.js'

export interface WatchSessionOptions {
  cwd?: string
  /** --config as given. */
  configFile?: string
  flags: WatchFlags
  verbose: boolean
  io: CommandIo
  stdin?: NodeJS.ReadStream
}

/** One run of the lifecycle inside the session, and what it has reached so far. */
interface Cycle {
  number: number
  plan: readonly LifecyclePhase[]
  full: boolean
  force: boolean
  controller: AbortController
  /** Phases the run has begun (fingerprinting counts: it reads the inputs) or ended. */
  started: Set<PhaseName>
  /** Ended ok, cached or skipped. */
  done: Set<PhaseName>
  /** The phase being processed: the first one of the plan that has not ended. */
  running?: PhaseName
  cancelReason?: string
  /** Cancelled because its inputs changed (the next header says so). */
  invalidated?: boolean
}

const FINISHED = new Set(['ok', 'cached', 'skipped'])

/**
 * `mlci watch`: a loop of cycles. Each cycle is an ordinary `mlci.run()` restricted (`only`) to
 * the phases whose declared inputs changed plus their downstream phases, so the run loop, the
 * cache, the lock and the renderers behave exactly as in `mlci build`. Changes during a cycle
 * are collected for the next one, unless they touch the running phase (or feed a phase still
 * ahead in this cycle from one already done): then the cycle is cancelled through its signal
 * (the running commands' process groups are killed) and restarted with the new state.
 */
export class WatchSession {
  private mlci: Mlci | undefined
  private configFile: string | undefined
  private profile: WatchProfile = { phases: [], debounceMs: DEFAULT_DEBOUNCE_MS, deploy: false }
  private targets: WatchTargets | undefined
  private inputWatcher: FileWatcher | undefined
  private configWatcher: FileWatcher | undefined
  private readonly batch: ChangeBatch
  private readonly screen: WatchScreen
  private readonly c: Palette
  private readonly interactive: boolean
  /** Phases that must run next cycle (before following dependsOn). */
  private readonly dirty = new Set<PhaseName>()
  /** Phases a failure kept from running: they join the next cycle, but do not start one. */
  private readonly pending = new Set<PhaseName>()
  /** Files behind `dirty`, for the next header. */
  private readonly changed = new Set<string>()
  private full = true
  private force = false
  private why = 'start'
  private configChanged = false
  /** The next cycle continues a cancelled one. */
  private restarted = false
  private current: Cycle | undefined
  /** Run data carried across cycles: a cycle that skips train still gates on its metrics. */
  private data: RunData = {}
  private cycles = 0
  private stopping: 'quit' | 'interrupt' | undefined
  private wakeUp: (() => void) | undefined

  constructor(private readonly options: WatchSessionOptions) {
    const { io } = options
    this.c = palette(colorsEnabled(io.stdout, io.env))
    this.interactive = isInteractive(io.stdout, io.env)
    this.screen = new WatchScreen(io.stdout, resolve(options.cwd ?? '.'), this.c, this.interactive)
    this.batch = new ChangeBatch(DEFAULT_DEBOUNCE_MS, (paths) => this.onChanges(paths))
  }

  /** Watch until `q` (exit 0) or Ctrl-C/SIGTERM (exit 130). */
  async run(): Promise<number> {
    const { io } = this.options
    const onAbort = () => this.stop('interrupt')
    io.signal.addEventListener('abort', onAbort, { once: true })
    const stdin = this.options.stdin ?? process.stdin
    const restoreKeys = this.interactive ? listenForKeys(stdin, (key) => this.onKey(key)) : () => undefined
    try {
      await this.initialLoad()
      this.configWatcher = await this.watchConfigFile(this.configFile!)
      if (this.mlci) await this.retarget()
      if (io.signal.aborted) this.stop('interrupt')
      while (!this.stopping) {
        if (this.configChanged) await this.reload()
        else if (this.mlci && (this.full || this.dirty.size)) await this.cycle()
        else await new Promise<void>((resolve) => (this.wakeUp = resolve))
      }
    } finally {
      io.signal.removeEventListener('abort', onAbort)
      restoreKeys()
      this.batch.cancel()
      await Promise.all([this.inputWatcher?.close(), this.configWatcher?.close()])
    }
    this.screen.line(this.stopping === 'interrupt' ? 'interrupted' : 'bye')
    return this.stopping === 'interrupt' ? ExitCode.INTERRUPTED : ExitCode.OK
  }

  private wake(): void {
    const wakeUp = this.wakeUp
    this.wakeUp = undefined
    wakeUp?.()
  }

  private stop(kind: 'quit' | 'interrupt'): void {
    if (this.stopping) return
    this.stopping = kind
    this.batch.cancel()
    this.cancelCycle(kind === 'quit' ? 'quit' : 'interrupted')
    this.wake()
  }

  private cancelCycle(reason: string, invalidated = false): void {
    const cycle = this.current
    if (!cycle || cycle.controller.signal.aborted) return
    cycle.cancelReason = reason
    cycle.invalidated = invalidated
    cycle.controller.abort(new MlciError(ErrorCode.INTERRUPTED, `Cancelled: ${reason}.`))
  }

  private onKey(key: WatchKey): void {
    // Raw mode turns Ctrl-C into a byte: re-raise it so it acts exactly like a real one
    // (the first stops gracefully, a second kills every process group at once).
    if (key === 'interrupt') return void process.kill(process.pid, 'SIGINT')
    if (key === 'quit') return this.stop('quit')
    if (key === 'help') return this.screen.help()
    if (!this.mlci) return this.screen.line('fix the config first: the next save reloads it')
    this.full = true
    this.force ||= key === 'force'
    this.why = key === 'force' ? 'forced rerun (cache ignored)' : 'rerun'
    this.cancelCycle(this.why)
    this.wake()
  }

  // ── config ────────────────────────────────────────────────────────────────────────────────

  /** Load config and plugins; commit nothing unless everything loaded. */
  private async load(where: { cwd?: string; file?: string }): Promise<void> {
    const mlci = await loadProject(where, this.options.io.env)
    const profile = resolveProfile(this.options.flags, mlci.config.watch)
    this.mlci = mlci
    this.configFile = mlci.config.file
    this.profile = profile
    this.batch.delayMs = profile.debounceMs
    this.data = {}
  }

  /** A config that exists but does not load is reported; watch mode then waits for the fix. */
  private async initialLoad(): Promise<void> {
    const { cwd, configFile } = this.options
    try {
      await this.load({ cwd, file: configFile })
    } catch (error) {
      const candidate = this.configCandidate()
      const code = MlciError.is(error) ? error.code : undefined
      if (!candidate || code === ErrorCode.CONFIG_NOT_FOUND || code === ErrorCode.USAGE) throw error
      this.configFile = candidate
      this.showConfigError(error)
    }
  }

  private configCandidate(): string | undefined {
    const cwd = resolve(this.options.cwd ?? '.')
    if (this.options.configFile) return resolve(cwd, this.options.configFile)
    return SEARCH_PLACES.filter((f) => f !== 'package.json').map((f) => resolve(cwd, f)).find((f) => existsSync(f))
  }

  private async reload(): Promise<void> {
    this.configChanged = false
    this.screen.line(`${this.screen.files([this.configFile!])} changed: reloading config and plugins`)
    try {
      await this.load({ cwd: this.options.cwd, file: this.configFile })
      await this.retarget()
      this.full = true
      this.why = 'config reloaded'
    } catch (error) {
      // Pause cycles: running the old config would not be what the user just wrote.
      this.mlci = undefined
      this.showConfigError(error)
    }
  }

  private showConfigError(error: unknown): void {
    this.options.io.stderr.write(formatError(error, this.c, (t) => this.mlci?.redact(t) ?? t, this.options.verbose) + '\n')
    this.screen.line(`the config does not load; watching ${this.screen.files([this.configFile!])} for the fix`)
  }

  private watchConfigFile(file: string): Promise<FileWatcher> {
    const dir = dirname(file)
    // Watch the folder, not the file: editors save by writing a temp file and renaming it.
    return startFileWatcher({
      roots: [dir],
      ignored: (path) => path !== dir && path !== file,
      onChange: (path) => this.batch.add(path),
      onError: (error) => this.screen.line(`watcher error: ${errorMessage(error)}`),
    })
  }

  // ── inputs ────────────────────────────────────────────────────────────────────────────────

  /** Recompute what to watch from the declarations; restart chokidar only if that changed. */
  private async retarget(): Promise<void> {
    const mlci = this.mlci!
    const inProfile = new Set<PhaseName>(this.profile.phases)
    // Outputs of every phase are ignored; inputs only count for phases this session runs.
    const declarations = mlci.declarations.map((d) => (inProfile.has(d.phase) ? d : { ...d, inputs: [] }))
    const undeclared = this.profile.phases.filter((p) =>
      phaseRow(p).cacheable && mlci.hooks[p].taps.length && !mlci.declarations.some((d) => d.phase === p && d.inputs?.length))
    for (const phase of undeclared) this.screen.line(`note: ${phase} declares no inputs, so any change in the project reruns it`)
    const targets = createWatchTargets({ root: mlci.config.root, declarations, undeclared, ignore: mlci.config.watch?.ignore })
    const unchanged = this.targets?.key === targets.key && this.inputWatcher
    this.targets = targets
    if (unchanged) return
    await this.inputWatcher?.close()
    this.inputWatcher = undefined
    if (!targets.roots.length) {
      this.screen.line('no phase declares inputs: only the config file is watched')
      return
    }
    this.inputWatcher = await startFileWatcher({
      roots: targets.roots,
      ignored: (path, stats) => this.ignoredInput(path, stats),
      onChange: (path) => this.batch.add(path),
      onError: (error) => this.screen.line(`watcher error: ${errorMessage(error)}`),
    })
    this.screen.line(`watching ${this.inputWatcher.files} input files for ${this.profile.phases.join(' → ')} ` +
      `(debounce ${this.profile.debounceMs} ms, ready in ${formatDuration(this.inputWatcher.setupMs)})`)
  }

  /** chokidar asks first without stats (only hard ignores apply), then with them. */
  private ignoredInput(path: string, stats?: Stats): boolean {
    const targets = this.targets
    if (!targets || targets.isIgnored(path)) return true
    if (stats?.isDirectory()) return !targets.mayContainInputs(path)
    if (stats?.isFile()) return !targets.isInput(path) && path !== this.configFile
    return false
  }

  /** A debounced batch of changed paths. */
  private onChanges(paths: string[]): void {
    if (this.stopping) return
    if (this.configFile && paths.includes(this.configFile)) {
      this.configChanged = true
      this.invalid(paths)
      this.cancelCycle(`${this.screen.files([this.configFile])} changed`)
      return this.wake()
    }
    const targets = this.targets
    if (!targets) return
    const relevant = paths.filter((p) => targets.affected([p]).size)
    let wanted = this.profile.phases.filter((p) => downstreamOf(targets.affected(relevant)).has(p))
    if (!wanted.length) {
      if (this.options.verbose) this.screen.line(`ignored: ${this.screen.files(paths)} (no watched phase reads it)`)
      return
    }
    this.invalid(relevant)
    const cycle = this.current
    if (cycle && !cycle.controller.signal.aborted) {
      const pending = cycle.plan.filter((p) => !cycle.started.has(p))
      const runningChanged = cycle.running !== undefined && wanted.includes(cycle.running as LifecyclePhase)
      const doneChanged = wanted.some((p) => cycle.done.has(p))
      if (runningChanged || (doneChanged && wanted.some((p) => pending.includes(p)))) {
        const what = runningChanged ? `while ${cycle.running} was running` : 'under a finished phase'
        this.cancelCycle(`${this.screen.files(relevant)} changed ${what}`, true)
      } else {
        // Phases this cycle has not started yet will read the new files anyway.
        wanted = wanted.filter((p) => !pending.includes(p))
        if (!wanted.length) return
      }
    }
    // Said, not silently queued: a user (or a test) sees the edit arrived and why nothing runs.
    if (!this.mlci) this.screen.line(`${this.screen.files(relevant)} changed: held until the config loads`)
    for (const phase of wanted) this.dirty.add(phase)
    for (const path of relevant) this.changed.add(path)
    this.wake()
  }

  private invalid(paths: string[]): void {
    const mlci = this.mlci
    if (!mlci?.hooks.invalid.taps.length) return
    try {
      mlci.hooks.invalid.call(paths, mlci.createContext({ command: this.options.io.commandLine }, new AbortController().signal, 'watch', []))
    } catch (error) {
      this.screen.line(`an invalid hook failed (ignored): ${errorMessage(error)}`)
    }
  }

  // ── cycles ────────────────────────────────────────────────────────────────────────────────

  private async cycle(): Promise<void> {
    const mlci = this.mlci!
    const { io } = this.options
    const full = this.full
    const downstream = downstreamOf([...this.dirty, ...this.pending])
    const plan = full ? this.profile.phases : this.profile.phases.filter((p) => downstream.has(p))
    const changed = [...this.changed]
    const why = (full ? this.why : changed.length ? `changed: ${this.screen.files(changed)}` : 'unfinished phases')
      + (this.restarted ? ' (restart)' : '')
    this.restarted = false
    const cycle: Cycle = {
      number: ++this.cycles, plan, full, force: this.force,
      controller: new AbortController(), started: new Set(), done: new Set(),
    }
    this.full = false
    this.force = false
    this.dirty.clear()
    this.pending.clear()
    this.changed.clear()
    if (!plan.length) return
    this.current = cycle
    const started = performance.now()
    this.screen.cycleStart(cycle.number, plan, why)
    await this.watchRun(mlci, changed, cycle)
    const renderer = await createRenderer({
      stream: io.stdout, verbose: this.options.verbose, color: colorsEnabled(io.stdout, io.env), interactive: this.interactive,
    })
    const detach = attachForOneRun(mlci, () => {
      renderer.attach(mlci)
      // The run processes the plan in order: a phase begins when the previous one ends (its
      // phase:start only comes after the cache has fingerprinted its inputs).
      const advance = () => {
        cycle.running = cycle.plan.find((p) => !cycle.started.has(p))
        if (cycle.running) cycle.started.add(cycle.running)
      }
      mlci.on('run:start', advance)
      mlci.on('phase:end', (record) => {
        if (record.name !== cycle.running) return
        if (!FINISHED.has(record.status)) return void (cycle.running = undefined) // the run stops here
        cycle.done.add(record.name)
        advance()
      })
    })
    let result: RunResult | undefined
    try {
      result = await mlci.run({
        only: [...plan],
        force: cycle.force || undefined,
        // Only when the profile includes version: a throwaway prerelease, never a release.
        channel: plan.includes('version') ? 'dev' : undefined,
        command: io.commandLine,
      }, cycle.controller.signal, { waitForLock: true, data: this.data })
      await renderer.finish(result)
    } finally {
      detach()
      this.current = undefined
    }
    if (result) this.finishCycle(cycle, result, performance.now() - started)
  }

  private finishCycle(cycle: Cycle, result: RunResult, ms: number): void {
    if (this.stopping) return
    if (cycle.cancelReason) {
      // What the cancelled cycle had not finished runs next, with whatever changed meanwhile.
      this.force ||= cycle.force
      for (const phase of cycle.plan) if (!cycle.done.has(phase)) this.dirty.add(phase)
      this.restarted = cycle.invalidated === true
      this.screen.line(`cycle ${cycle.number} cancelled: ${cycle.cancelReason}; restarting`)
      return
    }
    if (result.error) for (const phase of cycle.plan) if (!cycle.started.has(phase)) this.pending.add(phase)
    if (result.error && !(MlciError.is(result.error) && result.error.code === ErrorCode.INTERRUPTED)) {
      this.options.io.stderr.write(formatError(result.error, this.c, (t) => this.mlci?.redact(t) ?? t, this.options.verbose) + '\n')
    }
    this.screen.cycleEnd(cycle.number, result.record.status, ms)
  }

  private async watchRun(mlci: Mlci, changed: string[], cycle: Cycle): Promise<void> {
    if (!mlci.hooks.watchRun.taps.length) return
    const ctx = mlci.createContext({ command: this.options.io.commandLine }, cycle.controller.signal, `watch-${cycle.number}`, [])
    try {
      await mlci.hooks.watchRun.promise({ changed: changed.map((p) => relative(mlci.config.root, p)), cycle: cycle.number }, ctx)
    } catch (error) {
      this.screen.line(`a watchRun hook failed (ignored): ${errorMessage(error)}`)
    }
  }
}
