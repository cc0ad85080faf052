import { relative } from 'node:path'
import type { PhaseName } from '@mlci/core'
import { formatDuration, type Palette } from '../ui/color.js'

// vitest's clear: wipe the screen and the scrollback, cursor home.
const CLEAR = '\u001b[2J\u001b[3J\u001b[H'
const MAX_LISTED = 5

/** The lines watch mode adds around each run: `[watch] …` in logs, a cleared screen on a TTY. */
export class WatchScreen {
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly root: string,
    private readonly c: Palette,
    private readonly interactive: boolean,
  ) {}

  line(text: string): void {
    this.stream.write(`${this.c.cyan('[watch]')} ${text}\n`)
  }

  files(paths: readonly string[]): string {
    const shown = paths.slice(0, MAX_LISTED).map((p) => relative(this.root, p) || p)
    return shown.join(', ') + (paths.length > MAX_LISTED ? ` and ${paths.length - MAX_LISTED} more` : '')
  }

  cycleStart(cycle: number, phases: readonly PhaseName[], why: string): void {
    if (this.interactive) this.stream.write(CLEAR)
    this.line(`cycle ${cycle} · ${phases.join(' → ')} · ${why}`)
  }

  cycleEnd(cycle: number, status: string, ms: number): void {
    const mark = status === 'ok' ? this.c.green('✔') : status === 'cancelled' ? this.c.yellow('↻') : this.c.red('✖')
    this.line(`${mark} cycle ${cycle} ${status} in ${formatDuration(ms)} · ${this.waiting()}`)
  }

  waiting(): string {
    return this.interactive
      ? `waiting for changes ${this.c.dim('· press r to rerun, f to force all, q to quit')}`
      : 'waiting for changes'
  }

  help(): void {
    this.line('keys: r rerun the watched phases · f rerun ignoring the cache · q quit · Ctrl-C interrupt (exit 130)')
  }
}
