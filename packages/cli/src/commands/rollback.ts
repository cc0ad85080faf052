import { ErrorCode, ExitCode, MlciError, PHASE_NAMES, type RunOptions } from '@mlci/core'
import { openProject } from '../session.js'
import { colorsEnabled, palette } from '../ui/color.js'
import { runUi, showRun } from '../ui/run-ui.js'
import type { Command } from './index.js'

/**
 * `mlci rollback [--to v]`: the automatic rollback, by hand. It is a run with no lifecycle
 * phases (so it takes the repo lock, writes a run record and fires done/failed like any run);
 * the rollback plugin does the work at `initialize` — first recovering a release a dead run
 * left unfinished, then rolling back through the configured deployer.
 */
const command: Command = {
  usage: 'mlci rollback [--to <version>] [--json] [--wait-for-lock]',
  flags: ['to', 'json', 'wait-for-lock'],
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    if (!mlci.hooks.rollback.taps.length) {
      throw new MlciError(ErrorCode.USAGE, 'No plugin handles rollbacks in this project.', {
        hint: "Add rollback() from '@mlci/plugin-rollback' (and a deployer such as '@mlci/plugin-local') to the plugins in your mlci config.",
      })
    }
    const to = args.flags.to as string | undefined
    if (to !== undefined && !to.trim()) throw new MlciError(ErrorCode.USAGE, '--to needs a version, e.g. --to 1.2.0.')
    const options: RunOptions = { skip: [...PHASE_NAMES], command: io.commandLine, rollback: { to } }
    const ui = await runUi(args, io)
    ui?.attach(mlci)
    const result = await mlci.run(options, io.signal, { waitForLock: Boolean(args.flags['wait-for-lock']) })
    await showRun(result, ui, io)
    const done = result.record.data.rollback
    if (ui && !result.error && done?.ok) {
      const c = palette(colorsEnabled(io.stdout, io.env))
      const where = result.record.data.deployment
      io.stdout.write(`${c.green('✔')} live is ${done.to}${done.from && done.from !== done.to ? ` (was ${done.from})` : ''}${where?.url ? ` · ${where.url}` : ''}\n`)
    }
    if (result.error) throw result.error
    return ExitCode.OK
  },
}
export default command
