import {
  Mlci, definePlugin, resolveConfig,
  type LogEntry, type MlciPlugin, type RunData, type RunOptions, type RunRecord, type Registry, type UserConfig,
} from '@mlci/core'
import { recordHookCalls, type HookCall } from './hook-recorder.js'
import { createTempProject } from './temp-project.js'

export { recordHookCalls, type HookCall } from './hook-recorder.js'
export { createTempProject } from './temp-project.js'

export interface TestRunOptions {
  /** Plugin instances under test (and any helpers). */
  plugins: MlciPlugin[]
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
  /** Remove the temp project. */
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
  const seed = definePlugin(() => ({
    name: SEED,
    apply(mlci) {
      mlci.hooks.initialize.tapPromise(SEED, async (ctx) => {
        if (options.data) Object.assign(ctx.data, structuredClone(options.data))
      })
    },
  }))()
  const config = await resolveConfig({ ...options.config, plugins: [seed, ...options.plugins] }, undefined, project.dir)
  const logs: LogEntry[] = []
  const mlci = new Mlci({ config, env: options.env ?? { ...process.env }, registry: options.registry, cache: false })
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
      return { record: result.record, error: result.error, data: result.record.data }
    },
    logsOf: (plugin, level) => logs.filter((l) => l.plugin === plugin && (!level || l.level === level)).map((l) => l.message),
    callsOf: (hook) => calls.filter((c) => c.hook === hook),
    cleanup: project.remove,
  }
}
