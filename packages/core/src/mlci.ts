import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import type { CacheCheck, PhaseCache, PhaseDeclaration } from './cache/types.js'
import type { LoadedPlugin, ResolvedConfig } from './config.js'
import { commandOf, type PhaseContext, type RunContext, type RunOptions } from './context.js'
import { ErrorCode, ExitCode, MlciError, errorMessage, exitCodeFor } from './errors.js'
import { analysisDecision, monitorConfigError } from './analysis-outcome.js'
import { interceptTaps, type TapInfo } from './tap-interceptor.js'
import { verifyRuns } from './verify-scope.js'
import { createExec } from './exec.js'
import { createHooks, guardHookNames, type HookName, type Hooks } from './hooks.js'
import { resolveTimeouts } from './timeouts.js'
import { acquireLock, type Lock } from './lock.js'
import { createLogger, type LogEntry, type Logger } from './logger.js'
import { BoundedLog } from './bounded-log.js'
import { PHASES, PHASE_NAMES, phaseRow, selectPhases, type PhaseName, type PhaseRow } from './phases.js'
import { Redactor, secretsFromEnv } from './redact.js'
import type { Registry, VersionPatch, VersionStatus } from './registry/types.js'
import { statusThroughUpdate } from './registry/registry.js'
import { createContentStore, createRegistry, releaseJournal } from './shared/select.js'
import { sharedStateSecrets } from './shared/settings.js'
import { ReleaseGate } from './shared/release-lock.js'
import type { RunData } from './data.js'
import { checkRunData, checkedRunData } from './run-data.js'
import {
  RUN_RECORD_SCHEMA, appendRunLog, newRunId, runFiles, toErrorRecord, writeRunRecord,
  type PhaseRecord, type PhaseStatus, type RunRecord, type TapRecord,
} from './run-record.js'
import { CORE_VERSION } from './version.js'
import { recordRunEvents } from './run-log.js'
import type { ContentStore } from './store/content-store.js'
import { Journal } from './journal/journal.js'
import { ReleaseState } from './release/release-state.js'
import { recover, unfinished } from './release/recover.js'
import type { RollbackRequest } from './hooks.js'

export type { TapInfo } from './tap-interceptor.js'

/** Everything the CLI renders, emitted as the run goes. */
export interface RunEvents {
  'run:start': [{ runId: string; phases: { name: PhaseName; taps: TapInfo[] }[] }]
  'phase:start': [{ phase: PhaseName }]
  'phase:end': [PhaseRecord]
  'tap:start': [{ phase: string; tap: TapInfo }]
  'tap:end': [{ phase: string; tap: TapInfo; record: TapRecord }]
  log: [LogEntry]
  progress: [{ phase?: string; plugin?: string; fraction?: number; label?: string; status?: string }]
  'run:end': [RunResult]
}

export interface RunResult {
  record: RunRecord
  error?: unknown
}

export interface MlciOptions {
  config: ResolvedConfig
  env?: NodeJS.ProcessEnv
  registry?: Registry
  /** The phase cache; `false` disables caching. */
  cache?: PhaseCache | false
}

/**
 * The core: hooks, the plugins that tapped them, and `run()`, a loop over the PHASES table.
 * Headless: it emits events and returns a result; it never prints and never exits.
 */
export class Mlci extends EventEmitter<RunEvents> {
  readonly hooks: Hooks = guardHookNames(createHooks(), () => this.applying?.plugin.name)
  readonly config: ResolvedConfig
  readonly env: NodeJS.ProcessEnv
  readonly redactor: Redactor
  readonly stateDir: string
  readonly store: ContentStore
  readonly declarations: PhaseDeclaration[] = []
  readonly taps: TapInfo[] = []
  private applying: LoadedPlugin | undefined
  private registryInstance: Registry | undefined
  private readonly registryOptions: Registry | undefined
  private cacheInstance: PhaseCache | false | undefined
  private readonly collected = new WeakMap<object, MlciError[]>()
  /** Per phase invocation: when its time is up (`timeouts` in the config). */
  private readonly deadlines = new WeakMap<object, number>()
  /** Failures of isolated run-level taps (done/failed/report), per run context. */
  private readonly hookFailures = new WeakMap<object, MlciError[]>()
  readonly timeouts: Partial<Record<HookName, number>>

  constructor(options: MlciOptions) {
    super()
    this.config = options.config
    this.env = options.env ?? process.env
    this.stateDir = join(this.config.root, '.mlci')
    this.store = createContentStore(this.config, this.env, this.stateDir)
    this.redactor = new Redactor([...secretsFromEnv(this.env), ...(this.config.secrets ?? []), ...sharedStateSecrets(this.config)])
    this.registryOptions = options.registry
    this.cacheInstance = options.cache
    this.timeouts = resolveTimeouts(this.config.timeouts, Object.keys(this.hooks), this.config.file ?? 'inline config')
    interceptTaps(this.hooks, {
      owner: () => this.applying,
      registered: (info) => this.taps.push(info),
      scope: (args, info, signal) => this.scopeArgs(args, info, signal),
      timeLeft: (base, hook) => {
        const deadline = this.deadlines.get(base)
        return deadline === undefined ? this.timeouts[hook] : deadline - Date.now()
      },
      isolatedFailure: (hook, info, error, base) => {
        this.hookFailures.get(base)?.push(error);
        (base as RunContext).log?.child({ plugin: info.plugin }).warn(`The ${hook} hook of ${info.plugin} failed (ignored; the run's outcome stands): ${errorMessage(error)}`)
      },
      tapStarted: (phase, tap) => this.emit('tap:start', { phase, tap }),
      tapEnded: (phase, tap, record) => this.emit('tap:end', { phase, tap, record }),
      collector: (base) => this.collected.get(base),
      leftOut: (info, base) => !verifyRuns(info, this.taps, (base as PhaseContext).phases),
    })
    for (const loaded of this.config.plugins) {
      this.applying = loaded
      try {
        const returned: unknown = loaded.plugin.apply(this)
        if (isThenable(returned)) {
          returned.then(undefined, () => undefined) // its rejection is not what we report
          throw new MlciError(ErrorCode.PLUGIN_INVALID, `Plugin ${loaded.plugin.name}: apply() returned a promise; taps it registers after awaiting would be lost.`, {
            plugin: loaded.plugin.name, hint: 'Make apply() synchronous: register taps only, and do async work inside a tap (e.g. at initialize or verify).',
          })
        }
      } catch (error) {
        // Our own config errors (unknown hook, async apply, a path outside the project) stand as they are.
        if (MlciError.is(error) && exitCodeFor(error) === ExitCode.USAGE) throw error
        throw new MlciError(ErrorCode.PLUGIN_INVALID, `Plugin ${loaded.plugin.name} failed to apply: ${errorMessage(error)}`, {
          plugin: loaded.plugin.name, cause: error, hint: 'apply() must only register taps; move I/O into a tap.',
        })
      } finally {
        this.applying = undefined
      }
    }
  }

  /** Declare a phase's inputs/outputs/params/env (call from apply) so it can be cached and watched. */
  declare(declaration: Omit<PhaseDeclaration, 'plugin'> & { plugin?: string }): void {
    const plugin = declaration.plugin ?? this.applying?.plugin.name ?? 'unknown'
    this.declarations.push({ ...declaration, plugin })
  }

  /** The model registry: the one given in MlciOptions, else the embedded one under `.mlci/registry` (created on first use, no I/O until then). */
  get registry(): Registry {
    this.registryInstance ??= redactingRegistry(this.registryOptions ?? createRegistry(this.config, this.env, this.stateDir), this.redactor)
    return this.registryInstance
  }


  /** Replace the phase cache; `false` disables it, `undefined` restores the default. */
  setCache(cache: PhaseCache | false | undefined): void {
    this.cacheInstance = cache
  }

  redact(text: string): string {
    return this.redactor.redact(text)
  }

  /** Taps of a hook in execution order (stage, then registration order — tapable's rule). */
  tapsOf(hook: HookName): TapInfo[] {
    return this.hooks[hook].taps.map((tap) => this.taps.find((t) => t.hook === hook && t.name === tap.name)!).filter(Boolean)
  }

  /** Taps of a hook that run when the command runs `phases`: verify checks for phases it will not run are left out (verify-scope.ts). */
  activeTapsOf(hook: HookName, phases: readonly string[] | undefined): TapInfo[] {
    return this.tapsOf(hook).filter((tap) => verifyRuns(tap, this.taps, phases))
  }

  private scopeArgs(args: unknown[], info: TapInfo, signal?: AbortSignal): unknown[] {
    const base = args[args.length - 1] as RunContext & { phase?: string }
    return [...args.slice(0, -1), this.scopeContext(base, info.plugin, signal)]
  }

  /**
   * A context for one plugin: its own logger and exec; data and registry shared. `signal` (the
   * tap's own: the run's plus its timeout) replaces the run's, so a timed-out tap's commands stop.
   */
  scopeContext<C extends RunContext>(base: C, plugin: string, signal: AbortSignal = base.signal): C {
    const log = base.log.child({ plugin, phase: (base as { phase?: string }).phase })
    return {
      ...base,
      plugin,
      log,
      signal,
      registry: pluginRegistry(base.registry, plugin),
      exec: createExec({ cwd: base.cwd, env: base.env, signal, logger: log, redact: (t) => this.redact(t) }),
    }
  }

  /** A run-level context (not scoped to a plugin). Output lines kept in `log` are bounded (BoundedLog). */
  createContext(options: RunOptions, signal: AbortSignal, runId: string, log: LogEntry[] | BoundedLog): RunContext {
    const kept = Array.isArray(log) ? new BoundedLog(log) : log
    const logger: Logger = createLogger({
      log: (entry) => {
        kept.push(entry)
        this.emit('log', entry)
      },
      progress: (update) => this.emit('progress', update),
    }, this.redactor)
    const registry = this.registry
    return {
      command: commandOf(options),
      cwd: this.config.root,
      stateDir: this.stateDir,
      env: this.env,
      config: this.config,
      options,
      dryRun: Boolean(options.dryRun),
      signal,
      log: logger,
      exec: createExec({ cwd: this.config.root, env: this.env, signal, logger, redact: (t) => this.redact(t) }),
      data: checkedRunData({}),
      runId,
      registry,
      store: this.store,
      release: new ReleaseState(registry, this.store, releaseJournal(registry, this.stateDir, { runId }), { by: options.command ?? 'mlci build', runId }),
      redact: (t) => this.redact(t),
      addSecrets: (values) => this.redactor.add(values),
    }
  }

  private async cache(): Promise<PhaseCache | false> {
    if (this.cacheInstance === undefined) {
      const { createPhaseCache } = await import('./cache/phase-cache.js')
      this.cacheInstance = await createPhaseCache(this)
    }
    return this.cacheInstance
  }

  /**
   * Run the lifecycle: for each selected row, fingerprint → cached? restore : call the hook.
   * A failure of a row whose onFailure is `rollback` runs the rollback hook before the run fails.
   */
  async run(options: RunOptions = {}, outerSignal?: AbortSignal, runOpts: { lock?: boolean; waitForLock?: boolean; data?: RunData } = {}): Promise<RunResult> {
    const controller = new AbortController()
    const onOuterAbort = () => controller.abort(outerSignal?.reason)
    if (outerSignal?.aborted) controller.abort(outerSignal.reason)
    outerSignal?.addEventListener('abort', onOuterAbort, { once: true })
    const signal = controller.signal
    const runId = newRunId()
    const runLog = new BoundedLog()
    const log = runLog.entries
    const stopRecordingEvents = recordRunEvents(this, log)
    const ctx = this.createContext(options, signal, runId, runLog)
    // Watch mode runs a subset of phases; the data of those it skips carries over from earlier cycles.
    if (runOpts.data) ctx.data = checkedRunData(runOpts.data)
    const command = options.command ?? 'mlci build'
    const startedAt = new Date()
    const record: RunRecord = {
      schema: RUN_RECORD_SCHEMA, id: runId, command, cwd: this.config.root, configFile: this.config.file,
      mlciVersion: CORE_VERSION, startedAt: startedAt.toISOString(), status: 'ok', dryRun: ctx.dryRun,
      phases: [], data: ctx.data,
      plugins: this.config.plugins.map((p) => ({ name: p.plugin.name, version: p.version, source: p.source })),
    }
    let error: unknown
    let lock: Lock | undefined
    const releaseGate = new ReleaseGate(this.registry, Boolean(runOpts.waitForLock))
    ctx.releaseLock = releaseGate.state
    try {
      const selected = selectPhases(options.only, options.skip)
      // `--only verify` is a pre-flight check of the whole lifecycle; otherwise verify prepares the selected phases.
      ctx.phases = selected.length === 1 && selected[0].name === 'verify' ? [...PHASE_NAMES] : selected.map((row) => row.name)
      // A dry run writes nothing, so it neither takes nor reclaims the lock (and runs beside a real build).
      if (runOpts.lock !== false && !ctx.dryRun) {
        lock = await acquireLock(join(this.stateDir, 'lock'), {
          command, wait: runOpts.waitForLock, signal,
          onStale: (holder) => ctx.log.warn(`Reclaimed a stale repo lock left by PID ${holder?.pid ?? '?'} (${holder?.command ?? 'unknown command'}).`),
          // Without this line a waiting build looks hung.
          onWait: (holder) => ctx.log.info(`Waiting for the repo lock held by ${holder ? `PID ${holder.pid} (${holder.command}, since ${holder.startedAt})` : 'another process'}…`),
        })
      }
      this.emit('run:start', { runId, phases: selected.map((row) => ({ name: row.name, taps: this.activeTapsOf(row.name, ctx.phases) })) })
      await this.hooks.initialize.promise(ctx)
      const recovered = await this.recoverDeadRuns(ctx, record, releaseGate)
      if (options.rollback) {
        // A manual rollback moves live like a release does: serialised with other runners' releases.
        await releaseGate.enter('rollback', ctx)
        const to = (options.rollback as { to?: string }).to
        if (recovered && (!to || sameKey(to.replace(/^v(?=\d)/, ''), recovered))) ctx.log.info(`Recovery already rolled back to ${recovered}; nothing more to do.`)
        else await this.runManualRollback(ctx, record)
      } else {
        await this.runPhases(selected, ctx, record, releaseGate)
        await this.settleRelease(ctx, record)
      }
    } catch (caught) {
      error = caught
      if (ctx.release.releasing && !ctx.release.unproven) ctx.log.warn(`The release of ${ctx.release.releasing} was interrupted; the next \`mlci build\` or \`mlci rollback\` recovers it.`)
    } finally {
      outerSignal?.removeEventListener('abort', onOuterAbort)
      stopRecordingEvents()
    }
    if (!error && signal.aborted) error = new MlciError(ErrorCode.INTERRUPTED, 'Interrupted.')
    if (error && !MlciError.is(error)) error = wrapUnexpected(error)
    record.status = !error ? 'ok' : statusOf(error)
    if (error) record.error = toErrorRecord(error)
    record.version = ctx.data.candidate?.version
    const ended = new Date()
    record.endedAt = ended.toISOString()
    record.durationMs = ended.getTime() - startedAt.getTime()
    const finalCtx = { ...ctx, signal: new AbortController().signal }
    const hookFailures: MlciError[] = []
    this.hookFailures.set(finalCtx, hookFailures)
    let finalRecord = record
    try {
      // Each tap is isolated (ISOLATED_HOOKS): one plugin's failure neither stops the others nor the run.
      const sections = await this.hooks.sections.promise([], record, finalCtx)
      if (sections?.length) record.sections = sections
      finalRecord = (await this.hooks.report.promise(record, finalCtx)) ?? record
      if (error) await this.hooks.failed.promise(error, finalRecord, finalCtx)
      else await this.hooks.done.promise(finalRecord, finalCtx)
    } catch (hookError) {
      ctx.log.warn(`A run-level hook failed (ignored): ${errorMessage(hookError)}`)
    }
    runLog.seal()
    const persist = !ctx.dryRun && Boolean(lock)
    try {
      const planned = persist ? runFiles(this.stateDir, finalRecord.id) : {}
      const files = await this.hooks.publish.promise({ ...finalRecord.files, ...planned }, this.redactor.redactDeep(finalRecord), finalCtx)
      finalRecord = { ...finalRecord, files: { ...files, ...planned } }
      if (hookFailures.length) finalRecord.hookErrors = hookFailures.map(toErrorRecord)
      if (persist) finalRecord = await writeRunRecord(this.stateDir, finalRecord, log, this.redactor, this.config.runs?.keep ?? 50)
      else finalRecord = this.redactor.redactDeep(finalRecord)
    } catch (recordError) {
      // The run's own error (often the same full disk) stays the headline; a run that succeeded
      // but cannot record itself fails with the write error, which names the file.
      finalRecord = this.redactor.redactDeep(finalRecord)
      if (!error) error = recordError
      else if (MlciError.is(error)) error.details = [error.details, `The run record could not be written either: ${errorMessage(recordError)}`].filter(Boolean).join('\n\n')
    } finally {
      await releaseGate.release()
      await lock?.release()
    }
    // Outside the lock: a slow notifier (webhook) must not hold up the next run. Never throws.
    if (persist && finalRecord.files?.record) {
      const logged = log.length
      await this.hooks.recorded.promise(finalRecord, finalCtx).catch((hookError: unknown) => ctx.log.warn(`A recorded hook failed (ignored): ${errorMessage(hookError)}`))
      await appendRunLog(finalRecord, log.slice(logged), this.redactor)
    }
    const result: RunResult = { record: finalRecord, error }
    this.emit('run:end', result)
    return result
  }

  private async runPhases(selected: PhaseRow[], ctx: RunContext, record: RunRecord, releaseGate: ReleaseGate): Promise<void> {
    const options = ctx.options
    const fingerprints: Record<string, string> = {}
    const stale: CacheCheck[] = []
    // Load the cache (and its hashing/glob code) only when some cacheable phase has work to skip.
    const cache = selected.some((r) => r.cacheable && this.hooks[r.name].taps.length) ? await this.cache() : false
    for (const row of selected) {
      if (ctx.signal.aborted) throw new MlciError(ErrorCode.INTERRUPTED, 'Interrupted.')
      const pctx: PhaseContext = { ...ctx, phase: row.name }
      const hookTaps = this.hooks[row.name].taps.length
      const activeTaps = hookTaps && this.activeTapsOf(row.name, ctx.phases).length
      const phaseRecord: PhaseRecord = { name: row.name, status: 'ok', durationMs: 0, taps: [] }
      const started = performance.now()
      const finish = (status: PhaseStatus, extra: Partial<PhaseRecord> = {}) => {
        Object.assign(phaseRecord, { status, durationMs: Math.round(performance.now() - started) }, extra)
        record.phases.push(phaseRecord)
        this.emit('phase:end', phaseRecord)
      }
      if (!hookTaps) {
        finish('skipped', { reason: 'no plugin taps this phase' })
        continue
      }
      if (!activeTaps) {
        finish('skipped', { reason: 'no check is for a phase this run runs' })
        continue
      }
      // Shared registry: one runner at a time releases a model (no-op for the embedded registry).
      await releaseGate.enter(row.name, ctx)
      let check: CacheCheck | undefined
      const forced = options.force === true || (Array.isArray(options.force) && options.force.includes(row.name))
      if (row.cacheable && cache) {
        check = await cache.check(row.name, pctx, await this.upstreamOf(row, ctx, cache, fingerprints))
        fingerprints[row.name] = check.fingerprint
        phaseRecord.fingerprint = check.fingerprint
        if (check.hit && !forced && !options.check) {
          // restore() turns the check into a miss (with the reason) when the entry is unusable.
          const restored = await cache.restore(check, pctx)
          if (restored) {
            Object.assign(ctx.data, restored.data)
            for (const entry of restored.log) pctx.log.child({ phase: entry.phase ?? row.name, plugin: entry.plugin }).debug(`(replay) ${entry.message}`)
            if (options.explain) pctx.log.info(`${row.name}: cached — inputs unchanged`)
            finish('cached', { reason: 'inputs unchanged', reasons: [] })
            continue
          }
        }
        if (forced && check.hit) check.reasons = ['forced']
        phaseRecord.reasons = check.reasons
      }
      if (options.explain) pctx.log.info(`${row.name}: ${explainLine(row, check, options, forced)}`)
      if (options.check) {
        if (check && !check.hit && check.cacheable !== false) {
          stale.push(check)
          finish('stale', { reason: check.reasons.join('; ') })
        } else if (check?.hit) finish('cached', { reason: 'up to date' })
        else finish('skipped', { reason: check ? check.reasons.join('; ') : 'not checked by --check' })
        continue
      }
      if (options.dryRun && !row.dryRun) {
        finish('skipped', { reason: check ? `dry run (would run: ${check.reasons.join('; ')})` : 'dry run' })
        continue
      }
      const tapListener = (event: { phase: string; record: TapRecord }) => {
        if (event.phase === row.name) phaseRecord.taps.push(event.record)
      }
      this.on('tap:end', tapListener)
      // Only a phase that will be cached needs to know which run data it added.
      const dataBefore = check && cache ? JSON.stringify(ctx.data) : ''
      const phaseLog = new BoundedLog()
      const logListener = (entry: LogEntry) => {
        if (entry.phase === row.name) phaseLog.push(entry)
      }
      this.on('log', logListener)
      this.emit('phase:start', { phase: row.name })
      const limit = this.timeouts[row.name]
      if (limit) this.deadlines.set(pctx, Date.now() + limit)
      try {
        if (row.collectErrors) this.collected.set(pctx, [])
        await row.invoke(this.hooks, pctx)
        const errors = this.collected.get(pctx)
        if (errors?.length) throw aggregate(row.name, errors)
        // Nested changes (ctx.data.x.push(…)) escape the publish-time check: a cacheable phase's
        // data is replayed from JSON, so check it before it is saved.
        if (row.cacheable) checkRunData(ctx.data)
      } catch (caught) {
        const failure = ctx.signal.aborted && !MlciError.is(caught) ? new MlciError(ErrorCode.INTERRUPTED, 'Interrupted.') : caught
        const interrupted = MlciError.is(failure) && failure.code === ErrorCode.INTERRUPTED
        finish(interrupted ? 'interrupted' : 'failed', { error: toErrorRecord(failure) })
        if (row.onFailure === 'rollback' && !interrupted) await this.runRollback(failure, row, ctx, record)
        throw failure
      } finally {
        this.off('tap:end', tapListener)
        this.off('log', logListener)
      }
      if (ctx.signal.aborted) throw new MlciError(ErrorCode.INTERRUPTED, 'Interrupted.')
      finish('ok', check ? { reason: check.reasons.join('; ') } : {})
      if (check && cache) await cache.save(check, pctx, { data: dataDelta(dataBefore, ctx.data), log: phaseLog.seal() })
    }
    if (options.check && stale.length) {
      throw new MlciError(ErrorCode.STALE, `Out of date: ${stale.map((s) => s.phase).join(', ')} would run.`, {
        details: stale.map((s) => `- ${s.phase}: ${s.reasons.join('; ')}`).join('\n'),
        hint: 'Run `mlci build` and commit the result, or see `mlci build --explain`.',
      })
    }
  }

  /**
   * Fingerprints of a row's upstream phases. One not selected this run (`--only evaluate`) is
   * fingerprinted anyway, so the downstream phase still finds the entry a full build saved.
   */
  private async upstreamOf(row: PhaseRow, ctx: RunContext, cache: PhaseCache, fingerprints: Record<string, string>): Promise<Record<string, string>> {
    const upstream: Record<string, string> = {}
    for (const dep of row.dependsOn) {
      const depRow = phaseRow(dep)
      if (!(dep in fingerprints) && depRow.cacheable && this.hooks[dep].taps.length) {
        const check = await cache.check(dep, { ...ctx, phase: dep }, await this.upstreamOf(depRow, ctx, cache, fingerprints))
        fingerprints[dep] = check.fingerprint
      }
      if (fingerprints[dep]) upstream[dep] = fingerprints[dep]
    }
    return upstream
  }

  /**
   * The run's phases passed: a candidate that was deployed (and monitored, when the run
   * monitors) is proven, so the release state makes it ready and live. Without any deployer,
   * a version the run recorded becomes ready (it has nothing more to prove); with a deployer
   * whose deploy did not run (`--skip deploy`), it stays pending until a run deploys it.
   */
  private async settleRelease(ctx: RunContext, record: RunRecord): Promise<void> {
    const candidate = ctx.data.candidate?.version
    if (ctx.dryRun || !candidate) return
    const deployed = record.phases.some((p) => p.name === 'deploy' && p.status === 'ok') && sameKey(ctx.data.deployment?.version, candidate)
    if (deployed) {
      await ctx.release.released(candidate, ctx.data.candidate?.reused ? `release ${candidate} again` : `release ${candidate}`)
      await ctx.release.closeRelease('released')
      return
    }
    if (this.hooks.deploy.taps.length || !record.phases.some((p) => p.name === 'version' && p.status === 'ok')) return
    if ((await ctx.registry.get(candidate))?.status === 'pending') await ctx.release.markReady(candidate, 'recorded; no deployer configured')
  }

  /**
   * Rollback after a deploy/monitor failure (the rollback row). The original error stays the
   * headline. The candidate is marked failed first (so no policy can pick it), except when a
   * deploy of an already-ready version failed: that is an error of the deployment, not a verdict
   * on the version. `autoRollback: false` (the monitor's circuit breaker) leaves everything as is.
   */
  private async runRollback(error: unknown, row: PhaseRow, ctx: RunContext, record: RunRecord): Promise<void> {
    // A monitor in a run that deployed nothing (`mlci monitor`) analysed the live version: that
    // is the one its failure judges and the rollback leaves, never a target to go "back" to.
    const candidate = ctx.data.candidate?.version ?? ctx.data.deployment?.version
      ?? (row.name === 'monitor' ? (await ctx.registry.aliases().catch(() => ({} as Record<string, string>))).live : undefined)
    if (ctx.options.autoRollback === false) {
      ctx.log.warn(`Not rolling back and not marking ${candidate ?? 'the candidate'} failed: automatic rollbacks are switched off for this run (circuit breaker open).`)
      return
    }
    if (monitorConfigError(error)) {
      // A monitor that cannot run (its configuration is wrong) measured nothing: no verdict on
      // the model, so nothing is marked failed and nothing rolls back. A candidate this run
      // deployed serves unproven; the next run resolves it, as after an analysis Error.
      ctx.log.warn(`Not rolling back and not marking ${candidate ?? 'the live version'} failed: the monitor could not run (a configuration error), which says nothing about the model.`)
      if (ctx.release.releasing) {
        const live = (await ctx.registry.aliases().catch(() => ({} as Record<string, string>))).live
        await ctx.release.releaseUnproven('its monitor could not run (configuration error)', live)
      }
      return
    }
    const doc = candidate ? await ctx.registry.get(candidate).catch(() => undefined) : undefined
    const transient = row.name === 'deploy' && doc?.status === 'ready'
    // An analysis that could not measure (Error) or decided nothing (Inconclusive) is no verdict
    // on the model: the candidate keeps its status; the rollback plugin decides by `rollbackOn`.
    const analysis = analysisDecision(ctx.data, error)
    if (doc && analysis && !analysis.markFailed) {
      ctx.log.warn(`${doc.version} stays ${doc.status}: its analysis ended ${analysis.outcome}, not Failed.`)
    } else if (doc && !transient) {
      try {
        await ctx.release.markFailed(doc.version, ctx.redact(`${doc.version} failed in ${row.name}: ${errorMessage(error)}`))
      } catch (markError) {
        ctx.log.warn(`Could not mark ${doc.version} failed: ${errorMessage(markError)}`)
      }
    } else if (transient) {
      ctx.log.warn(`${doc!.version} stays ready: deploying a released version failed, which says nothing against the version itself.`)
    }
    const rollbackError = this.hooks.rollback.taps.length ? await this.rollbackRow({ trigger: 'failure', error, failedPhase: row.name, candidate }, ctx, record, `${row.name} failed`) : undefined
    if (analysis && !analysis.markFailed && !ctx.data.rollback?.ok && ctx.release.releasing) {
      // The candidate serves, unproven, while live names the last proven version: the release
      // stays open (noted unproven), so `mlci versions`/`registry verify` say what serves and the
      // next build, monitor or rollback resolves it (release/recover.ts).
      const live = (await ctx.registry.aliases().catch(() => ({} as Record<string, string>))).live
      await ctx.release.releaseUnproven(`its analysis ended ${analysis.outcome}`, live)
      ctx.log.warn(`${ctx.release.releasing} serves but is unproven (its analysis ended ${analysis.outcome}); live ${live ? `still names ${live}` : 'names nothing'}. The next \`mlci build\`, \`mlci monitor\` or \`mlci rollback\` resolves it.`)
      return
    }
    await ctx.release.closeRelease(rollbackError ? 'rollback-failed' : ctx.data.rollback?.ok ? 'rolled-back' : 'failed', this.hooks.rollback.taps.length ? {} : { rollback: 'no rollback plugin' })
    if (rollbackError) {
      record.rollbackError = toErrorRecord(rollbackError)
      if (MlciError.is(error)) {
        error.details = [error.details, `Rollback also failed: ${errorMessage(rollbackError)}`].filter(Boolean).join('\n\n')
      }
    }
  }

  /** `mlci rollback [--to v]`: the rollback row on its own, leaving the live version; its error is the run's. */
  private async runManualRollback(ctx: RunContext, record: RunRecord): Promise<void> {
    if (!this.hooks.rollback.taps.length) {
      throw new MlciError(ErrorCode.USAGE, 'No plugin handles rollbacks in this project.', {
        hint: "Add rollback() from '@mlci/plugin-rollback' (and a deployer such as '@mlci/plugin-local') to the plugins in your mlci config.",
      })
    }
    const manual = ctx.options.rollback as { to?: string; allowSignatureChange?: boolean }
    const live = (await ctx.registry.aliases()).live
    const failure = await this.rollbackRow({
      trigger: 'manual', failedPhase: 'manual', candidate: live, to: manual.to, allowSignatureChange: manual.allowSignatureChange,
    }, ctx, record, 'requested by hand')
    if (failure) throw failure
  }

  /**
   * Finish what runs that died left half done (release/recover.ts), before any phase of a build,
   * rollback or monitor: under the repo lock, and under the model's release lock with a shared
   * registry (taken only when something is open, so test and train of other runners go on).
   * Shown as a rollback phase when it acts. Returns the version it rolled back to, if any.
   */
  private async recoverDeadRuns(ctx: RunContext, record: RunRecord, releaseGate: ReleaseGate): Promise<string | undefined> {
    const journal = ctx.release.journal
    if (!journal || !ctx.release.recoverAtStart || ctx.options.check) return undefined
    const pctx: PhaseContext = { ...ctx, phase: 'rollback', log: ctx.log.child({ phase: 'rollback' }) }
    if (!(await unfinished(pctx, journal)).length) {
      if (journal instanceof Journal) await journal.rotate().catch(() => undefined)
      return undefined
    }
    if (ctx.dryRun) {
      ctx.log.warn('An interrupted release is waiting to be recovered; a dry run leaves it. Run `mlci build` or `mlci rollback`.')
      return undefined
    }
    await releaseGate.enter('rollback', ctx)
    // Read again under the release lock: another runner may have recovered it meanwhile.
    const pending = await unfinished(pctx, journal)
    if (!pending.length) return undefined
    let result: Awaited<ReturnType<typeof recover>>
    const failure = await this.asRollbackPhase(ctx, record, 'recovering an interrupted release', async (phaseCtx) => {
      result = await recover(phaseCtx, journal, pending, {
        deploy: (request) => this.hooks.deploy.promise(request, phaseCtx),
        rollback: this.hooks.rollback.taps.length ? (request) => this.callRollback(request, phaseCtx) : undefined,
      })
    })
    if (failure) throw failure
    return result?.outcome === 'rolled-back' || result?.outcome === 'withdrawn' ? result.version : undefined
  }

  /** The rollback hook, journaled as a transaction (one killed midway is finished by the next run). */
  private async callRollback(request: RollbackRequest, pctx: PhaseContext): Promise<void> {
    const id = await pctx.release.beginRollback({ mode: request.trigger === 'failure' ? 'auto' : request.trigger, from: request.candidate, reason: request.reason ?? `${request.failedPhase} failed` })
    try {
      await this.hooks.rollback.promise(request, pctx)
    } catch (error) {
      await pctx.release.endRollback(id, { to: null, error: errorMessage(error) }).catch(() => undefined)
      throw error
    }
    await pctx.release.endRollback(id, { to: pctx.data.rollback?.to ?? null })
  }

  /** Run the rollback hook as a phase (events, record); returns its error instead of throwing. */
  private async rollbackRow(request: RollbackRequest, ctx: RunContext, record: RunRecord, reason: string): Promise<unknown> {
    return this.asRollbackPhase(ctx, record, reason, (pctx) => this.callRollback(request, pctx))
  }

  /** Work shown and recorded as the rollback phase (events, taps, record); returns its error instead of throwing. */
  private async asRollbackPhase(ctx: RunContext, record: RunRecord, reason: string, fn: (pctx: PhaseContext) => Promise<void>): Promise<unknown> {
    const pctx: PhaseContext = { ...ctx, phase: 'rollback', log: ctx.log.child({ phase: 'rollback' }), signal: new AbortController().signal }
    const started = performance.now()
    this.emit('phase:start', { phase: 'rollback' })
    const phaseRecord: PhaseRecord = { name: 'rollback', status: 'ok', durationMs: 0, taps: [], reason }
    const tapListener = (event: { phase: string; record: TapRecord }) => {
      if (event.phase === 'rollback') phaseRecord.taps.push(event.record)
    }
    this.on('tap:end', tapListener)
    let failure: unknown
    try {
      await fn(pctx)
    } catch (rollbackError) {
      failure = rollbackError
      phaseRecord.status = 'failed'
      phaseRecord.error = toErrorRecord(rollbackError)
    } finally {
      this.off('tap:end', tapListener)
    }
    phaseRecord.durationMs = Math.round(performance.now() - started)
    record.phases.push(phaseRecord)
    this.emit('phase:end', phaseRecord)
    return failure
  }
}

/**
 * The registry as plugins see it: whatever they record (lineage params, metric names, reasons) is
 * redacted with the run's redactor first, so a secret never reaches a record, `mlci show` or a report.
 */
function redactingRegistry(registry: Registry, redactor: Redactor): Registry {
  return new Proxy(registry, {
    get(target, key) {
      if (key === 'create') return (input: Parameters<Registry['create']>[0]) => target.create(redactor.redactDeep(input))
      if (key === 'update') return (version: string, patch: Parameters<Registry['update']>[1]) => target.update(version, redactor.redactDeep(patch))
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * The registry as one plugin's tap sees it: a status change through `update()` is refused naming
 * the plugin (statuses are the release state's: ctx.release), before anything is written.
 */
function pluginRegistry(registry: Registry, plugin: string): Registry {
  return new Proxy(registry, {
    get(target, key) {
      if (key === 'update') {
        return async (version: string, patch: VersionPatch) => {
          const asked = (patch as { status?: VersionStatus }).status
          const current = asked === undefined ? undefined : await target.get(version)
          if (current && asked !== undefined && current.status !== asked) throw statusThroughUpdate(current.version, current.status, asked, plugin)
          return target.update(version, patch)
        }
      }
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
}

function sameKey(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.split('+')[0] === b.split('+')[0]
}

function aggregate(phase: string, errors: MlciError[]): MlciError {
  if (errors.length === 1) return errors[0]
  return new MlciError(ErrorCode.VERIFY_FAILED, `${errors.length} checks failed in ${phase}.`, {
    phase,
    details: errors.map((e) => `- [${e.plugin}] ${e.message}${e.hint ? `\n  ${e.hint}` : ''}`).join('\n'),
    hint: 'Fix each problem listed above.',
  })
}

function statusOf(error: unknown): RunRecord['status'] {
  if (MlciError.is(error) && error.code === ErrorCode.INTERRUPTED) return 'interrupted'
  if (MlciError.is(error) && error.code === ErrorCode.VETOED) return 'vetoed'
  return 'failed'
}

function wrapUnexpected(error: unknown): MlciError {
  return new MlciError(ErrorCode.UNEXPECTED, errorMessage(error), { cause: error, hint: 'This looks like a bug in mlci; please report it with the run log.' })
}

/** `--explain`: why a phase that is not restored from the cache runs (or would run). */
function explainLine(row: PhaseRow, check: CacheCheck | undefined, options: RunOptions, forced: boolean): string {
  const verb = options.check || (options.dryRun && !row.dryRun) ? 'would run' : 'runs'
  if (!check) return `${verb} — ${row.cacheable ? 'the cache is disabled' : 'not cacheable (always runs)'}`
  if (check.hit && !(forced && !options.check)) return 'up to date — inputs unchanged'
  return `${check.cacheable === false && options.check ? 'not checked' : verb} — ${check.reasons.join('; ')}`
}

/** The run-data fields a phase added or changed (stored with its cache entry). */
function dataDelta(beforeJson: string, after: object): Record<string, unknown> {
  const before = JSON.parse(beforeJson) as Record<string, unknown>
  const delta: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(value)) delta[key] = value
  }
  return delta
}

export { PHASES }
