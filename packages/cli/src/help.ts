// Core-free (its own small entry of @mlci/core for the version, the flag table from flags.ts):
// `mlci --help` and `mlci --version` print without loading core.
import { packageVersion } from '@mlci/core/package-version'
import { COMMANDS, type Command } from './commands/index.js'
import { FLAGS, GLOBAL_FLAGS, type FlagName } from './flags.js'

export function version(): string {
  return packageVersion(import.meta.url, '@mlci/cli')
}

function flagLines(names: FlagName[], help: Command['flagHelp'] = {}): string {
  return names.map((name) => {
    const f = FLAGS[name] as { short?: string; value?: string; optionalValue?: boolean; description: string }
    const value = help[name] && f.optionalValue ? '' : f.value ? (f.optionalValue ? ` [${f.value}]` : ` <${f.value}>`) : ''
    const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${value}`
    return `  ${left.padEnd(30)} ${help[name] ?? f.description}`
  }).join('\n')
}

export function mainHelp(): string {
  const commands = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`).join('\n')
  return `mlci ${version()} — test, train, version, deploy, monitor and roll back ML models

Usage: mlci [global options] <command> [options]

Commands:
${commands}

Global options:
${flagLines(GLOBAL_FLAGS)}
      --version                  Show the mlci version

Exit codes: 0 ok, 1 failed, 2 usage/config error, 3 vetoed by a gate, 130 interrupted.
Run \`mlci <command> --help\` for a command's options.
`
}

/**
 * The answer to `mlci`, `mlci --help` and `mlci --version` (the text and the exit code), or
 * undefined for a command. Exit codes are core's ExitCode.OK (0) and ExitCode.USAGE (2, no
 * command given), written out so that answering needs no core.
 */
export function quickAnswer(name: string | undefined): { text: string; code: number } | undefined {
  if (!name || name === '--help' || name === '-h' || name === 'help') return { text: mainHelp(), code: name ? 0 : 2 }
  if (name === '--version' || name === '-V') return { text: `${version()}\n`, code: 0 }
  return undefined
}

export function commandHelp(name: string, command: Command): string {
  const own = command.flags.filter((f) => !GLOBAL_FLAGS.includes(f))
  return `mlci ${name} — ${COMMANDS[name].summary}

Usage: ${command.usage}

${own.length ? `Options:\n${flagLines(own, command.flagHelp)}\n\n` : ''}Global options:
${flagLines(GLOBAL_FLAGS)}
`
}
