import { dirname, isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  Mlci, definePlugin, exitCodeFor, newRunId, resolveConfig,
  type HookName, type LogEntry, type MlciPlugin, type PhaseContext, type RunContext, type RunData, type RunOptions, type RunRecord, type Registry, type UserConfig,
} from '@mlci/core'
import { autoCleanup } from './cleanup.js'
import { stubExec, type ExecCall, type ExecStub } from './exec-stub.js'
import { recordHookCalls, type HookCall } from './hook-recorder.js'
import { createTempProject } from './temp-project.js'

export { recordHookCalls, type HookCall } from './hook-recorder.js'
export { createTempProject } from './temp-project.js'
export { stubExec, type ExecCall, type ExecStub } from './exec-stub.js'
/** The CLI's exit code for an error (0 ok, 1 failed, 2 usage/config, 3 vetoed, 130 interrupted). */
export { exitCodeFor, ExitCode } from '@mlci/core'

/** A plugin as a config lists it: an instance, a specifier, or `[specifier, options]` (as in a JSON config). */
export type TestPluginEntry = MlciPlugin | string | [string, unknown?]

export interface TestRunOptions {
  /**
   * Plugins under test (and any helpers): instances, or specifiers as a JSON config lists them
   * (`'mlci-plugin-x'`, `['./src/index.ts', { … }]`); relative paths resolve from `from`.
   */
  plugins: TestPluginEntry[]
  /** Folder (or a module's `import.meta.url`) relative plugin specifiers resolve from (default: process.cwd()). */
  from?: string
  /** Answer every `ctx.exec` with this stub instead of starting processes; calls land in `execCalls`. */
  exec?: ExecStub
  /** Remove the temp project after the current test (vitest) or at process exit (default true). */
  autoCleanup?: boolean
  /** Files of the temp project (path → content). */
  files?: Record<string, string>
  /** Use this folder instead of a new temp project. */
  cwd?: string
  /** Extra config keys (secrets, cache, …). */
  config?: Omit<UserConfig, 'plugins'>
  /** Env seen by plugins (default: a copy of process.env). */
  env?: NodeJS.ProcessEnv
  /** Run data present before the first phase (e.g. metrics for a gate plugin). */
  data?: RunData
  /** A registry to use instead of the embedded one in the temp project. */
  registry?: Registry
}

export interface TestRunResult {
  record: RunRecord
  error?: unknown
  data: RunData
  /** What `mlci build` would exit with: `exitCodeFor(error)`, 0 without one. */
  exitCode: number
}

export interface CallHookResult {
  /** What the hook returned (a Veto, a proposal, …); undefined when it threw. */
  result?: unknown
  error?: unknown
  /** The run data after the call. */
  data: RunData
}

export interface TestRun {
  readonly dir: string
  readonly mlci: Mlci
  /** Every hook call, in order, across runs. */
  readonly calls: HookCall[]
  /** Every log line plugins wrote, in order, across runs (already redacted). */
  readonly logs: LogEntry[]
  /** Run phases like `mlci build` would (default: every phase; caching off unless `cache: true`). */
  run(options?: RunOptions & { cache?: boolean }): Promise<TestRunResult>
  /** Log messages of one plugin (optionally one level). */
  logsOf(plugin: string, level?: LogEntry['level']): string[]
  /** Calls of one hook. */
  callsOf(hook: HookCall['hook']): HookCall[]
  /** Commands run through `ctx.exec` (with the `exec` stub). */
  readonly execCalls: ExecCall[]
  /**
   * Call one hook with crafted arguments (the context is added last, scoped per tap), e.g.
   * `callHook('version', [{ version: '1.0.0', bump: 'minor', reason: 'test' }])`. Run data
   * starts from `options.data` (or `data` here) and is returned.
   */
  callHook(name: HookName, args?: unknown[], options?: { data?: RunData; run?: RunOptions }): Promise<CallHookResult>
  /** Remove the temp project (also done automatically unless `autoCleanup: false`). */
  cleanup(): void
}

const SEED = 'mlci-testing:seed'

/**
 * Build a run with inline plugins in a temp project — what a third-party plugin author needs to
 * test a plugin in vitest without Python or Docker:
 *
 *   const t = await createTestRun({ plugins: [modelCard()], data: { metrics: { accuracy: 0.9 } } })
 *   const { record } = await t.run({ only: ['version'] })
 */
export async function createTestRun(options: TestRunOptions): Promise<TestRun> {
  const project = options.cwd ? { dir: options.cwd, remove: () => undefined } : createTempProject(options.files)
  if (options.autoCleanup !== false) await autoCleanup(project.remove)
  const from = options.from?.startsWith('file:') ? dirname(fileURLToPath(options.from)) : options.from ?? process.cwd()
  const seed = definePlugin(() => ({
    name: SEED,
    apply(mlci) {
      mlci.hooks.initialize.tapPromise(SEED, async (ctx) => {
        if (options.data) Object.assign(ctx.data, structuredClone(options.data))
      })
    },
  }))()
  // Specifiers as a JSON config has them; relative ones from `from`, not from the temp project.
  const absolute = (s: string) => (s.startsWith('.') ? resolve(from, s) : s)
  const plugins = options.plugins.map((p) => (typeof p === 'string' ? absolute(p) : Array.isArray(p) && !isAbsolute(p[0]) ? [absolute(p[0]), p[1]] : p))
  const config = await resolveConfig({ ...options.config, plugins: [seed, ...plugins] }, undefined, project.dir)
  const logs: LogEntry[] = []
  const mlci = new Mlci({ config, env: options.env ?? { ...process.env }, registry: options.registry, cache: false })
  const execCalls: ExecCall[] = []
  if (options.exec) {
    const stub = options.exec
    const scope = mlci.scopeContext.bind(mlci)
    mlci.scopeContext = (base, plugin, signal) => {
      const ctx = scope(base, plugin, signal)
      return { ...ctx, exec: stubExec(stub, execCalls, { plugin, phase: (base as { phase?: string }).phase }) }
    }
  }
  mlci.on('log', (entry) => logs.push(entry))
  const calls = recordHookCalls(mlci)
  return {
    dir: project.dir,
    mlci,
    calls,
    logs,
    async run(runOptions = {}) {
      const { cache, ...rest } = runOptions
      mlci.setCache(cache ? undefined : false)
      const result = await mlci.run({ command: 'mlci build (test)', ...rest })
      return { record: result.record, error: result.error, data: result.record.data, exitCode: result.error ? exitCodeFor(result.error) : 0 }
    },
    execCalls,
    async callHook(name, args = [], callOptions = {}) {
      const ctx: RunContext & { phase?: string } = mlci.createContext({ command: 'mlci build (test)', ...callOptions.run }, new AbortController().signal, newRunId(), [])
      ctx.data = structuredClone(callOptions.data ?? options.data ?? {})
      if (options.exec) ctx.exec = stubExec(options.exec, execCalls, { phase: name })
      const pctx = { ...ctx, phase: name } as PhaseContext
      const hook = mlci.hooks[name] as unknown as { promise?: (...a: unknown[]) => Promise<unknown>; call(...a: unknown[]): unknown }
      try {
        const result = hook.promise ? await hook.promise(...args, pctx) : hook.call(...args, pctx)
        return { result, data: pctx.data }
      } catch (error) {
        return { error, data: pctx.data }
      }
    },
    logsOf: (plugin, level) => logs.filter((l) => l.plugin === plugin && (!level || l.level === level)).map((l) => l.message),
    callsOf: (hook) => calls.filter((c) => c.hook === hook),
    cleanup: project.remove,
  }
}
