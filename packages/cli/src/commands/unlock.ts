import { join } from 'node:path'
import { ErrorCode, ExitCode, MlciError, describeHolder, holderState, readLock, removeLock } from '@mlci/core'
import { openProject } from '../session.js'
import type { Command } from './index.js'

/**
 * `mlci unlock [--force]`: remove the repo lock by hand. A lock whose holder is dead on this host
 * goes without asking (any run would reclaim it too); one held by a live run here, or by a run on
 * another host (which mlci cannot check), goes only with --force.
 */
const command: Command = {
  usage: 'mlci unlock [--force]',
  flags: ['force'],
  flagHelp: { force: 'Remove a lock held by a live run or by another host' },
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    const file = join(mlci.stateDir, 'lock')
    const lock = readLock(file)
    if (!lock) {
      io.stdout.write(`No repo lock (${file}).\n`)
      return ExitCode.OK
    }
    const state = holderState(lock.holder)
    const who = lock.holder ? describeHolder(lock.holder) : 'an unreadable lock file'
    if (state !== 'dead' && !args.flags.force) {
      throw new MlciError(ErrorCode.LOCKED, state === 'alive'
        ? `The repo lock belongs to a run that is still going: ${who}.`
        : `The repo lock is held by ${who}; mlci cannot check a process on another host.`, {
        hint: state === 'alive'
          ? 'Stop that run (Ctrl-C in its terminal) or wait for it; `mlci unlock --force` removes the lock anyway.'
          : 'Make sure that run is over, then remove the lock with `mlci unlock --force`.',
      })
    }
    removeLock(file, lock.text)
    io.stdout.write(`Removed the repo lock of ${who}${state === 'dead' ? ' (no longer running)' : ''}.\n`)
    return ExitCode.OK
  },
}
export default command
