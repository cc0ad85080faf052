/** Small, regex-level reading of Python sources: enough to guess, never to execute. */

/** Every single- or double-quoted string literal (triple quotes are read as their inner text too). */
export function stringLiterals(source: string): string[] {
  return [...source.matchAll(/(["'])((?:\\.|(?!\1)[^\\\n])*)\1/g)].map((m) => m[2])
}

export function hasMainGuard(source: string): boolean {
  return /^if\s+__name__\s*==\s*["']__main__["']\s*:/m.test(source)
}

/** Whether the source mentions a command-line flag such as `--params` (argparse, a hand-written parser, or its docstring). */
export function mentionsFlag(source: string, flag: string): boolean {
  return new RegExp(`${flag.replace(/[-]/g, '\\-')}(?![\\w-])`).test(source)
}

/**
 * The folder a script writes its outputs to, when it says so in a plain way: a constant such as
 * `OUT_DIR = "out"` / `DEFAULT_OUTPUT = "artifacts"`, or an argparse `--out … default="out"`.
 */
export function outputFolder(source: string): { value: string; from: string } | undefined {
  for (const m of source.matchAll(/^\s*([A-Za-z_]\w*)\s*=\s*["']([^"'\n]+)["']/gm)) {
    const parts = m[1].toLowerCase().split('_')
    if (['out', 'output', 'outputs', 'artifacts', 'artifact'].includes(parts[parts.length - 1]) || /^(out|output|model)_?dir$/i.test(m[1])) {
      return { value: m[2].replace(/\/+$/, ''), from: `${m[1]} = "${m[2]}"` }
    }
  }
  const arg = /add_argument\(\s*["'](--out(?:put)?(?:[-_]dir)?)["'][^)]*?default\s*=\s*["']([^"'\n]+)["']/.exec(source)
  if (arg) return { value: arg[2].replace(/\/+$/, ''), from: `the default of ${arg[1]}` }
  return undefined
}
