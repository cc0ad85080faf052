import { ErrorCode, ExitCode, MlciError, PHASE_NAMES, type RunOptions } from '@mlci/core'
import { openProject } from '../session.js'
import { colorsEnabled, palette } from '../ui/color.js'
import { runUi, showRun } from '../ui/run-ui.js'
import type { Command } from './index.js'

/**
 * `mlci rollback [--to v]`: the rollback row of the lifecycle, by hand. It is a run (so it takes
 * the repo lock, writes a run record and fires done/failed like any run) whose only row is
 * rollback: core calls the rollback hook leaving the live version, the policy picks the target,
 * the deployer brings it up, the release state points `live` at it.
 */
const command: Command = {
  usage: 'mlci rollback [--to <version> [--allow-signature-change]] [--json] [--wait-for-lock]',
  flags: ['to', 'allow-signature-change', 'json', 'wait-for-lock'],
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    if (!mlci.hooks.rollback.taps.length) {
      throw new MlciError(ErrorCode.USAGE, 'No plugin handles rollbacks in this project.', {
        hint: "Add rollback() from '@mlci/plugin-rollback' (and a deployer such as '@mlci/plugin-local') to the plugins in your mlci config.",
      })
    }
    const to = args.flags.to as string | undefined
    if (to !== undefined && !to.trim()) throw new MlciError(ErrorCode.USAGE, '--to needs a version, e.g. --to 1.2.0.')
    const allowSignatureChange = Boolean(args.flags['allow-signature-change'])
    if (allowSignatureChange && to === undefined) throw new MlciError(ErrorCode.USAGE, '--allow-signature-change needs --to <version>: only a version named by hand may change the signature.')
    const options: RunOptions = { skip: [...PHASE_NAMES], command: io.commandLine, rollback: { to, allowSignatureChange } }
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
