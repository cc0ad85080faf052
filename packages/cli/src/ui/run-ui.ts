import type { RunResult } from '@mlci/core'
import type { CommandIo } from '../commands/index.js'
import type { ParsedArgs } from '../options.js'
import { colorsEnabled, isInteractive, palette } from './color.js'
import { formatSections } from './sections.js'
import { createRenderer, type Renderer } from './renderer.js'

/**
 * The UI of a command that runs the lifecycle (build, rollback, monitor): the task list fitted to
 * the terminal, or none under --json. Attach it before `mlci.run`.
 */
export async function runUi(args: ParsedArgs, io: CommandIo, verbose = Boolean(args.flags.verbose)): Promise<Renderer | undefined> {
  if (args.flags.json) return undefined
  return createRenderer({ stream: io.stdout, verbose, color: colorsEnabled(io.stdout, io.env), interactive: isInteractive(io.stdout, io.env) })
}

/**
 * Show a finished run: its record as JSON when there is no UI, else the UI's last frame and
 * summary, then the report sections plugins contributed.
 */
export async function showRun(result: RunResult, ui: Renderer | undefined, io: CommandIo, jsonIndent: number | undefined = 2): Promise<void> {
  if (!ui) {
    io.stdout.write(JSON.stringify(result.record, null, jsonIndent) + '\n')
    return
  }
  await ui.finish(result)
  io.stdout.write(formatSections(result.record.sections, palette(colorsEnabled(io.stdout, io.env))))
}
