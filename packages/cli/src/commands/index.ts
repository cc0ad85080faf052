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
  summary: string
  usage: string
  flags: FlagName[]
  /** Returns the exit code. Throws MlciError for failures (main prints them). */
  run(args: ParsedArgs, io: CommandIo): Promise<number>
}

/** The command table. Each command is imported only when it is used (fast startup). */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  build: { summary: 'Run the model lifecycle: test → train → evaluate → gate → version → deploy → monitor', load: () => import('./build.js') },
  plugins: { summary: 'List every hook with its taps in execution order', load: () => import('./plugins.js') },
  watch: { summary: 'Re-run the affected phases on every change (tests on a test edit, train and downstream on a training edit)', load: () => import('./watch.js') },
}
