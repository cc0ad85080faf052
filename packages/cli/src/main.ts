import { ExitCode, MlciError, ErrorCode, exitCodeFor, liveProcessGroups, killProcessGroup, inFlightTaps, formatLimit } from '@mlci/core'
import { COMMANDS, type CommandIo } from './commands/index.js'
import { parse } from './options.js'
import { colorsEnabled, palette } from './ui/color.js'
import { formatError } from './ui/format-error.js'
import { commandHelp, quickAnswer } from './help.js'
import { redactError } from './session.js'
import { splitCommand } from './command-line.js'
import { dropOutputWhenReaderCloses } from './closed-pipe.js'

/** The only place that prints errors and exits. */
export async function main(argv: string[]): Promise<void> {
  const controller = new AbortController()
  let interrupts = 0
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++
    // A second Ctrl-C: stop waiting for graceful shutdown (the repo lock is released on exit).
    if (interrupts > 1) {
      process.stderr.write(`\nmlci: ${signal} again: killing every command it started and exiting now.\n`)
      for (const pid of liveProcessGroups) killProcessGroup(pid, 'SIGKILL')
      process.exit(ExitCode.INTERRUPTED)
    }
    process.stderr.write(`\n${stoppingMessage(signal)}\n`)
    controller.abort(new MlciError(ErrorCode.INTERRUPTED, `Interrupted by ${signal}.`))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // The event loop emptied while the command had not finished: nothing can finish it any more,
  // and Node would exit 0. Taps are failed by core's own check (the run then ends properly);
  // this is the last line for anything else left pending.
  let finished = false
  const onBeforeExit = () => {
    if (finished || inFlightTaps().length) return
    process.stderr.write(`${formatError(new MlciError(ErrorCode.NEVER_SETTLED, 'mlci stopped: the command never finished (its work was pending with nothing left to run).', {
      hint: 'This is a bug in mlci or a plugin; rerun with --verbose and report it with the run log.',
    }), palette(colorsEnabled(process.stderr)), redactError, false)}\n`)
    process.exitCode = ExitCode.FAILED
  }
  process.on('beforeExit', onBeforeExit)
  dropOutputWhenReaderCloses(process.stdout)
  dropOutputWhenReaderCloses(process.stderr)
  const io: CommandIo = {
    stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal,
    commandLine: ['mlci', ...argv].join(' '),
  }
  let code: number
  try {
    code = await dispatch(argv, io)
  } catch (error) {
    const c = palette(colorsEnabled(process.stderr))
    process.stderr.write(formatError(error, c, redactError, argv.includes('--verbose') || argv.includes('-v')) + '\n')
    code = exitCodeFor(error)
  }
  finished = true
  process.off('beforeExit', onBeforeExit)
  if (controller.signal.aborted && code !== ExitCode.OK) code = ExitCode.INTERRUPTED
  for (const pid of liveProcessGroups) killProcessGroup(pid, 'SIGKILL')
  process.exitCode = code
  // Let stdout drain, then exit even if a plugin left a handle open.
  setTimeout(() => process.exit(code), 50).unref()
}

async function dispatch(argv: string[], io: CommandIo): Promise<number> {
  const { name, rest } = splitCommand(argv)
  const quick = quickAnswer(name)
  if (quick || !name) {
    io.stdout.write(quick?.text ?? '')
    return quick?.code ?? ExitCode.USAGE
  }
  const entry = COMMANDS[name]
  if (!entry) {
    throw new MlciError(ErrorCode.USAGE, `Unknown command "${name}".`, { hint: `Commands: ${Object.keys(COMMANDS).join(', ')}. See \`mlci --help\`.` })
  }
  const command = (await entry.load()).default
  const args = parse(rest, command.flags)
  // Records, reports and the lock read the command from `mlci <command> …`: keep that shape.
  io = { ...io, commandLine: ['mlci', name, ...rest].join(' ') }
  if (args.flags.help) {
    io.stdout.write(commandHelp(name, command))
    return ExitCode.OK
  }
  return command.run(args, io)
}

/** What the first Ctrl-C stops: the taps running now, or the command as a whole. */
function stoppingMessage(signal: NodeJS.Signals): string {
  const running = inFlightTaps().map((t) => `${t.phase} (${t.plugin}, running ${formatLimit(Date.now() - t.since)})`)
  const what = running.length ? `stopping ${running.join(', ')}` : 'stopping'
  return `mlci: ${signal}: ${what}; then the run is recorded and the lock released. Press Ctrl-C again to force.`
}
