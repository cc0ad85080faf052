// Splitting argv into the command and its arguments, without @mlci/core: the entry uses it to
// answer `--help` and `--version` before loading anything else.

/** Global flags that take a value: they may come before the command (`mlci -c ci.config.ts build`). */
const GLOBAL_VALUE_FLAGS = new Set(['-c', '--config', '--cwd'])
const GLOBAL_SWITCHES = new Set(['-v', '--verbose'])

/** The command name and its arguments, with global flags given before the name moved after it. */
export function splitCommand(argv: string[]): { name: string | undefined; rest: string[] } {
  const before: string[] = []
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i]
    if (GLOBAL_SWITCHES.has(arg) || /^--(config|cwd)=/.test(arg)) before.push(arg)
    else if (GLOBAL_VALUE_FLAGS.has(arg) && i + 1 < argv.length) before.push(arg, argv[++i])
    else break
  }
  if (i >= argv.length) return { name: before.length ? undefined : argv[0], rest: before }
  return { name: argv[i], rest: [...argv.slice(i + 1), ...before] }
}
