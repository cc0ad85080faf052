import { ErrorCode, MlciError } from '@mlci/core'
import type { Command } from './index.js'
import { SHARED_ACTIONS, SHARED_USAGE, runSharedAction } from './registry-shared.js'
import { STATE_ACTIONS, STATE_USAGE, runStateAction } from './registry-state.js'

/**
 * `mlci registry …`: release-state repair (verify, repair, mark — any registry) and shared
 * registry administration (migrate, models, status, push — PostgreSQL). One command, two files.
 */
const command: Command = {
  usage: `${STATE_USAGE} [--json] [--wait-for-lock]\n       mlci registry ${SHARED_USAGE} [--json]`,
  flags: ['json', 'reason', 'wait-for-lock', 'to'],
  async run(args, io) {
    const [action] = args.positionals
    if (action && STATE_ACTIONS.includes(action)) return runStateAction(args, io)
    if (action && SHARED_ACTIONS.includes(action)) return runSharedAction(args, io)
    throw new MlciError(ErrorCode.USAGE, action ? `Unknown registry action "${action}".` : 'Missing registry action.', {
      hint: `Use one of: ${[...STATE_ACTIONS, ...SHARED_ACTIONS].map((a) => `mlci registry ${a}`).join(', ')}.`,
    })
  },
}
export default command
