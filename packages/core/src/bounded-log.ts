import type { LogEntry } from './logger.js'

/** Output lines kept per stream (phase + plugin): the first HEAD and the last TAIL. */
export const LOG_LIMITS = { head: 1000, tail: 2000 }

interface Stream {
  kept: number
  /** Ring buffer of the latest lines past the head. */
  tail: LogEntry[]
  next: number
  cut: number
  firstCut?: LogEntry
}

/**
 * A run's log with bounded memory: plugin messages are all kept, but a command's output keeps
 * only its first and last lines per phase and plugin, so a training run printing a million lines
 * costs the same as one printing ten thousand. `entries` is the array being filled; `seal()`
 * adds the kept tails and one line per stream saying how many lines were cut, in time order.
 */
export class BoundedLog {
  private readonly streams = new Map<string, Stream>()

  constructor(readonly entries: LogEntry[] = [], private readonly limits = LOG_LIMITS) {}

  push(entry: LogEntry): void {
    if (entry.level !== 'output') {
      this.entries.push(entry)
      return
    }
    const key = `${entry.phase ?? ''}\0${entry.plugin ?? ''}`
    let stream = this.streams.get(key)
    if (!stream) this.streams.set(key, (stream = { kept: 0, tail: [], next: 0, cut: 0 }))
    if (stream.kept < this.limits.head) {
      stream.kept++
      this.entries.push(entry)
    } else if (stream.tail.length < this.limits.tail) {
      stream.tail.push(entry)
    } else {
      const dropped = stream.tail[stream.next]
      stream.firstCut ??= dropped
      stream.cut++
      stream.tail[stream.next] = entry
      stream.next = (stream.next + 1) % this.limits.tail
    }
  }

  /** Lines cut so far, over all streams. */
  get cut(): number {
    let n = 0
    for (const s of this.streams.values()) n += s.cut
    return n
  }

  /** Move every stream's tail into `entries` (with a note of what was cut) and sort by time. Idempotent. */
  seal(): LogEntry[] {
    if (!this.streams.size) return this.entries
    for (const stream of this.streams.values()) {
      const tail = [...stream.tail.slice(stream.next), ...stream.tail.slice(0, stream.next)]
      if (stream.cut && stream.firstCut) {
        const { phase, plugin, time } = stream.firstCut
        this.entries.push({
          time, level: 'warn', phase, plugin,
          message: `… ${stream.cut} output lines cut here (kept the first ${this.limits.head} and the last ${this.limits.tail}) …`,
        })
      }
      this.entries.push(...tail)
    }
    this.streams.clear()
    // Stable: entries with the same time keep their order.
    this.entries.sort((a, b) => a.time - b.time)
    return this.entries
  }
}
