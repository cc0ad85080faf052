/** Minimal ANSI colours, off unless the stream is a TTY and NO_COLOR/TERM=dumb/CI are unset. */
export function colorsEnabled(stream: NodeJS.WriteStream = process.stdout, env = process.env): boolean {
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true
  return Boolean(stream.isTTY) && env.TERM !== 'dumb'
}

export function palette(enabled: boolean) {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s)
  return {
    red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39),
    dim: wrap(2, 22), bold: wrap(1, 22),
  }
}
export type Palette = ReturnType<typeof palette>

/** Use the interactive renderer only where it can work (ENVIRONMENT.md: 0 columns breaks listr2). */
export function isInteractive(stream: NodeJS.WriteStream = process.stdout, env = process.env): boolean {
  return Boolean(stream.isTTY) && Boolean(stream.columns) && !env.CI && env.TERM !== 'dumb'
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
}
