import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { ErrorCode, ExitCode, MlciError, PHASE_NAMES, filterLogByPhase, findRun, readRunLog } from '@mlci/core'
import type { Command } from './index.js'

const command: Command = {
  usage: 'mlci logs [run] [--phase name]',
  flags: ['phase'],
  async run(args, io) {
    // No config loading: the logs must be readable exactly when the config or a plugin is broken.
    const stateDir = findStateDir(args.flags.config ? dirname(resolve(args.flags.config as string)) : resolve((args.flags.cwd as string | undefined) ?? '.'))
    const phase = args.flags.phase as string | undefined
    const phases: readonly string[] = [...PHASE_NAMES, 'rollback']
    if (phase !== undefined && !phases.includes(phase)) {
      throw new MlciError(ErrorCode.USAGE, `--phase ${phase} is not a phase.`, { hint: `Phases are: ${phases.join(', ')}.` })
    }
    const id = await findRun(stateDir, args.positionals[0])
    const log = await readRunLog(stateDir, id)
    const text = phase ? filterLogByPhase(log, phase) : log
    if (phase && !text) io.stderr.write(`No log lines for phase "${phase}" in run ${id}.\n`)
    io.stdout.write(text)
    return ExitCode.OK
  },
}
export default command

/** The nearest `.mlci` folder with runs, from `start` upwards. */
function findStateDir(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.mlci', 'runs'))) return join(dir, '.mlci')
    if (dirname(dir) === dir) {
      throw new MlciError(ErrorCode.NOT_FOUND, `No runs recorded in ${start} or any folder above it.`, { hint: 'Run `mlci build` first, or pass --cwd <project>.' })
    }
  }
}
