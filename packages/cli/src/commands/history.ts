import { ExitCode } from '@mlci/core'
import { openProject } from '../session.js'
import type { Command } from './index.js'
import { textTable, time } from './registry-view.js'

const command: Command = {
  usage: 'mlci history [--json]',
  flags: ['json'],
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    const ledger = await mlci.registry.ledger()
    if (args.flags.json) {
      io.stdout.write(JSON.stringify(ledger, null, 2) + '\n')
      return ExitCode.OK
    }
    if (!ledger.length) {
      io.stdout.write('No alias has moved yet.\n')
      return ExitCode.OK
    }
    const rows = [...ledger].reverse().map((m) => [time(m.time), m.kind === 'status' ? `status of ${m.alias}` : m.alias, `${m.from ?? '—'} → ${m.to ?? '(removed)'}`, m.by, m.reason])
    io.stdout.write(textTable(['time', 'alias', 'move', 'by', 'reason'], rows) + '\n')
    return ExitCode.OK
  },
}
export default command
