import { dirname, relative, resolve } from 'node:path'
import { ExitCode, isPhaseName, type LifecyclePhase, type RunOptions, type RunRecord } from '@mlci/core'
import { listFlag } from '../options.js'
import { openProject } from '../session.js'
import { runUi, showRun } from '../ui/run-ui.js'
import type { Command } from './index.js'

const command: Command = {
  usage: 'mlci build [--only p,q] [--skip p] [--dry-run [--check]] [--force [p]] [--explain] [--channel name] [--json] [--wait-for-lock]',
  flags: ['only', 'skip', 'dry-run', 'check', 'force', 'explain', 'json', 'channel', 'wait-for-lock'],
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    const force = listFlag(args.flags.force)
    const options: RunOptions = {
      only: listFlag(args.flags.only) as LifecyclePhase[] | undefined,
      skip: listFlag(args.flags.skip) as LifecyclePhase[] | undefined,
      dryRun: Boolean(args.flags['dry-run'] || args.flags.check),
      check: Boolean(args.flags.check),
      force: force?.includes('*') ? true : (force?.filter(isPhaseName) as LifecyclePhase[] | undefined),
      explain: Boolean(args.flags.explain),
      channel: args.flags.channel as string | undefined,
      command: io.commandLine,
    }
    const ui = await runUi(args, io, Boolean(args.flags.verbose) || options.explain === true)
    // A build started in a subfolder builds (and may deploy) the project whose config was found
    // above it: say which, before anything runs.
    const above = ui && !args.flags.config && projectAbove(mlci.config.file, resolve((args.flags.cwd as string | undefined) ?? '.'))
    if (above) io.stdout.write(`${above}\n`)
    ui?.attach(mlci)
    const result = await mlci.run(options, io.signal, { waitForLock: Boolean(args.flags['wait-for-lock']) })
    await showRun(result, ui, io)
    const where = ui && reportLocation(result.record)
    if (where) io.stdout.write(`${where}\n`)
    if (result.error) throw result.error
    return ExitCode.OK
  },
}
export default command

/** One line naming the config when the search found it above the folder it started from. */
function projectAbove(configFile: string | undefined, searchedFrom: string): string | undefined {
  if (!configFile || dirname(configFile) === searchedFrom) return undefined
  return `project: ${relative(process.cwd(), configFile)} (the nearest config above ${relative(process.cwd(), searchedFrom) || 'this folder'})`
}

/** One line: where this run's report and full log are (paths relative to where mlci was started). */
function reportLocation(record: RunRecord): string | undefined {
  const rel = (file: string) => relative(process.cwd(), file) || file
  const parts = [record.files?.report && `report: ${rel(record.files.report)}`, record.files?.log && `log: ${rel(record.files.log)}`].filter(Boolean)
  return parts.length ? parts.join(' · ') : undefined
}
