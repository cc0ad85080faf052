import type { FlagName, ParsedArgs } from '../options.js'

export interface CommandIo {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  env: NodeJS.ProcessEnv
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal
  /** The command line as typed, for locks and ledgers. */
  commandLine: string
}

export interface Command {
  usage: string
  flags: FlagName[]
  /** What a shared flag means for this command, where FLAGS' text does not fit (`init --force`). */
  flagHelp?: Partial<Record<FlagName, string>>
  /** Returns the exit code. Throws MlciError for failures (main prints them). */
  run(args: ParsedArgs, io: CommandIo): Promise<number>
}

/** The command table, and the one place a command's summary lives. Each command is imported only when it is used (fast startup). */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  build: { summary: 'Run the model lifecycle: verify → test → validate → train → evaluate → gate → version → deploy → monitor', load: () => import('./build.js') },
  plugins: { summary: 'List every hook with its taps in execution order', load: () => import('./plugins.js') },
  cache: { summary: 'Inspect or shrink the phase cache: status, gc (evict to the size limit), clear', load: () => import('./cache.js') },
  versions: { summary: 'List model versions: status, created, main metrics, aliases', load: () => import('./versions.js') },
  show: { summary: 'Show one model version (or alias) with its full lineage', load: () => import('./show.js') },
  diff: { summary: 'Compare two versions: metrics and params side by side with deltas (--md for PRs)', load: () => import('./diff.js') },
  rollback: { summary: 'Put the previous ready version (or --to <version>) live again through the configured deployer', load: () => import('./rollback.js') },
  monitor: { summary: 'Analyse the live version now, or --every <interval> as a service (rolls back when an analysis fails)', load: () => import('./monitor.js') },
  registry: { summary: 'Release state and the shared registry: verify, repair, mark <version> ready|failed --reason …; migrate, models, status, push (PostgreSQL)', load: () => import('./registry.js') },
  history: { summary: 'Show the alias ledger: every move of live/previous/…, when, by what, why', load: () => import('./history.js') },
  report: { summary: 'Report a run as markdown, self-contained HTML with metric plots, or JSON', load: () => import('./report.js') },
  logs: { summary: "Print a run's full log (default: the latest run), optionally one phase", load: () => import('./logs.js') },
  init: { summary: 'Write a commented mlci.config.ts for this Python ML repo from what it finds', load: () => import('./init.js') },
  unlock: { summary: 'Remove the repo lock: one left by a dead run, or with --force one from another host', load: () => import('./unlock.js') },
  types: { summary: 'Write tsconfig.mlci.json so tsc finds @mlci/* types for a plugin developed outside any node_modules', load: () => import('./types.js') },
  watch: { summary: 'Re-run the affected phases on every change (tests on a test edit, train and downstream on a training edit)', load: () => import('./watch.js') },
}
