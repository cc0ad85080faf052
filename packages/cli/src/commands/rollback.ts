import { ErrorCode, ExitCode, MlciError, PHASE_NAMES, type RunOptions } from '@mlci/core'
import { setErrorRedactor } from '../main.js'
import { openProject } from '../session.js'
import { colorsEnabled, isInteractive, palette } from '../ui/color.js'
import { createRenderer } from '../ui/renderer.js'
import type { Command } from './index.js'

/**
 * `mlci rollback [--to v]`: the automatic rollback, by hand. It is a run with no lifecycle
 * phases (so it takes the repo lock, writes a run record and fires done/failed like any run);
 * the rollback plugin does the work at `initialize` — first recovering a release a dead run
 * left unfinished, then rolling back through the configured deployer.
 */
const command: Command = {
  summary: 'Put the previous ready version (or --to <version>) live again through the configured deployer',
  usage: 'mlci rollback [--to <version>] [--json] [--wait-for-lock]',
  flags: ['to', 'json', 'wait-for-lock'],
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    setErrorRedactor((t) => mlci.redact(t))
    if (!mlci.hooks.rollback.taps.length) {
      throw new MlciError(ErrorCode.USAGE, 'No plugin handles rollbacks in this project.', {
        hint: "Add rollback() from '@mlci/plugin-rollback' (and a deployer such as '@mlci/plugin-local') to the plugins in your mlci config.",
      })
    }
    const to = args.flags.to as string | undefined
    if (to !== undefined && !to.trim()) throw new MlciError(ErrorCode.USAGE, '--to needs a version, e.g. --to 1.2.0.')
    const options: RunOptions = { skip: [...PHASE_NAMES], command: io.commandLine, rollback: { to } }
    const json = Boolean(args.flags.json)
    const renderer = json ? undefined : await createRenderer({
      stream: io.stdout, verbose: Boolean(args.flags.verbose),
      color: colorsEnabled(io.stdout, io.env), interactive: isInteractive(io.stdout, io.env),
    })
    renderer?.attach(mlci)
    const result = await mlci.run(options, io.signal, { waitForLock: Boolean(args.flags['wait-for-lock']) })
    if (json) io.stdout.write(JSON.stringify(result.record, null, 2) + '\n')
    else {
      await renderer!.finish(result)
      const c = palette(colorsEnabled(io.stdout, io.env))
      const done = result.record.data.rollback
      const where = result.record.data.deployment
      if (!result.error && done?.ok) {
        io.stdout.write(`${c.green('✔')} live is ${done.to}${done.from && done.from !== done.to ? ` (was ${done.from})` : ''}${where?.url ? ` · ${where.url}` : ''}\n`)
      }
    }
    if (result.error) throw result.error
    return ExitCode.OK
  },
}
export default command
