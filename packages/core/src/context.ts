import type { RunData } from './data.js'
import type { Exec } from './exec.js'
import type { Logger } from './logger.js'
import type { PhaseName } from './phases.js'
import type { Registry } from './registry/types.js'
import type { ResolvedConfig } from './config.js'
import type { ContentStore } from './store/content-store.js'
import type { ReleaseState } from './release/release-state.js'

/** Options of the current command that plugins may read (e.g. `channel` for prereleases). */
export interface RunOptions {
  /** Phases to run (default: all). */
  only?: PhaseName[]
  skip?: PhaseName[]
  dryRun?: boolean
  /** With dryRun: fail when any cacheable phase would run (CI freshness gate). */
  check?: boolean
  /** true = ignore the cache for every phase; a list = for those phases. */
  force?: boolean | PhaseName[]
  explain?: boolean
  /** Prerelease channel for the version phase, e.g. `rc`. */
  channel?: string
  /** The command line that started the run, recorded in the lock, ledger and run record. */
  command?: string
  /** `mlci rollback`: run the rollback row instead of the lifecycle phases. */
  rollback?: { to?: string; allowSignatureChange?: boolean }
  /** false: a deploy/monitor failure neither rolls back nor marks the candidate failed (monitor's circuit breaker). */
  autoRollback?: boolean
  /** Extra options for third-party commands. */
  [key: string]: unknown
}

/** The mlci command a run belongs to; API callers that run the lifecycle get `build`. */
export type MlciCommand = 'build' | 'rollback' | 'monitor' | 'watch'

const COMMANDS: readonly MlciCommand[] = ['build', 'rollback', 'monitor', 'watch']

/** `mlci rollback --to 1.2.0` → `rollback`; a rollback request or an unknown command line → `rollback` / `build`. */
export function commandOf(options: RunOptions): MlciCommand {
  if (options.rollback) return 'rollback'
  const word = options.command?.trim().split(/\s+/)[1] as MlciCommand | undefined
  return word && COMMANDS.includes(word) ? word : 'build'
}

/** What every tap receives (last argument of every hook). Scoped to the tap's plugin. */
export interface RunContext {
  /** Which command is running: `build`, `rollback`, `monitor` or `watch` (each watch cycle). */
  command: MlciCommand
  /** Project root: the config file's folder (or --cwd). */
  cwd: string
  /** Where mlci keeps state: `<cwd>/.mlci`. */
  stateDir: string
  env: NodeJS.ProcessEnv
  config: ResolvedConfig
  options: RunOptions
  dryRun: boolean
  /** Aborted on Ctrl-C, on watch invalidation and when the run fails. */
  signal: AbortSignal
  /** Logger scoped to this plugin (and phase). */
  log: Logger
  /** Run a command (argv array) in its own process group; output redacted and logged. */
  exec: Exec
  /** Data shared between phases and plugins. */
  data: RunData
  /**
   * The lifecycle phases this run will run (after --only/--skip), in order; undefined outside a
   * lifecycle run. `--only verify` (a pre-flight check) lists every phase. Core already leaves
   * out a verify tap none of whose phases runs (verify-scope.ts); read this for finer control.
   */
  phases?: readonly PhaseName[]
  runId: string
  /** The plugin this context is scoped to (set per tap). */
  plugin?: string
  registry: Registry
  /**
   * The release state: the only way mlci moves `live`/`previous` or changes a version's status.
   * Deployers do not call it (core does after deploy and monitor); the rollback policy reports
   * the target it brought up with `goLive`.
   */
  release: ReleaseState
  /** Content-addressed blob store under `.mlci/objects` (artifacts, cache outputs). */
  store: ContentStore
  /**
   * With a shared registry: `held` turns true once this run holds the model's release lock. No
   * other runner can then be between recording and releasing a version, so a `pending` version
   * of another run (on any host) was abandoned. Stays false with the embedded registry.
   */
  releaseLock?: { readonly held: boolean }
  redact(text: string): string
  /** Secrets learnt during the run (e.g. a params value named `api_token`): masked from now on everywhere. */
  addSecrets(values: Iterable<string>): void
}

export interface PhaseContext extends RunContext {
  phase: PhaseName
}
