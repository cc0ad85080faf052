import { randomBytes } from 'node:crypto'
import { closeSync, fdatasyncSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ErrorCode, MlciError, errorMessage } from '../errors.js'

/** Bump when a field changes meaning. */
export const JOURNAL_SCHEMA = 1

/**
 * One line of `.mlci/journal.jsonl`. An irreversible step is written as an `intent` before it
 * happens and a `commit` (or `abort`) after, so a run killed in between leaves an intent without
 * an outcome that the next run can find and resolve. `note` marks progress inside a step.
 */
export interface JournalEntry {
  v: typeof JOURNAL_SCHEMA
  /** Unique per entry; commits and aborts refer to their intent's id in `ref`. */
  id: string
  type: 'intent' | 'commit' | 'abort' | 'note'
  /** What the step does, e.g. `release`, `rollback`, `local.swap`, `alias.live`, `registry.create`, `image.push`. */
  step: string
  ref?: string
  runId: string
  pid: number
  time: string
  data?: Record<string, unknown>
}

/** An intent with no commit or abort yet, plus everything its run journaled after it. */
export interface PendingStep {
  intent: JournalEntry
  /** Later entries of the same run, in order (notes, sub-steps, their outcomes). */
  after: JournalEntry[]
}

/** Past this size, a journal with nothing pending is moved aside to `journal.jsonl.1`. */
const ROTATE_BYTES = 512 * 1024

/**
 * Append-only, fsync'd journal of irreversible steps. Lines are appended with O_APPEND (one
 * write each, so concurrent appenders never interleave inside a line) and fsync'd before the
 * step proceeds. A torn last line (killed mid-write) is ignored on read; a bad line anywhere
 * else means the file was damaged and is reported with its line number, never rewritten.
 */
export class Journal {
  constructor(readonly file: string, private readonly owner: { runId: string; pid?: number }) {}

  /** The journal of a project state folder (`.mlci/journal.jsonl`). */
  static at(stateDir: string, owner: { runId: string; pid?: number }): Journal {
    return new Journal(join(stateDir, 'journal.jsonl'), owner)
  }

  /** Record that `step` is about to happen; returns the intent's id for commit/abort. */
  async intent(step: string, data?: Record<string, unknown>): Promise<string> {
    const id = `${this.owner.runId}:${randomBytes(4).toString('hex')}`
    await this.append({ id, type: 'intent', step, data })
    return id
  }

  async commit(ref: string, step: string, data?: Record<string, unknown>): Promise<void> {
    await this.append({ id: `${ref}:c`, type: 'commit', step, ref, data })
  }

  async abort(ref: string, step: string, data?: Record<string, unknown>): Promise<void> {
    await this.append({ id: `${ref}:a`, type: 'abort', step, ref, data })
  }

  async note(step: string, data?: Record<string, unknown>): Promise<void> {
    await this.append({ id: `${this.owner.runId}:${randomBytes(4).toString('hex')}`, type: 'note', step, data })
  }

  /**
   * Synchronous variants, for places that cannot await (tapable `call`/`done` interceptors,
   * which run before the first tap and after the last one).
   */
  intentSync(step: string, data?: Record<string, unknown>): string {
    const id = `${this.owner.runId}:${randomBytes(4).toString('hex')}`
    this.appendSync({ id, type: 'intent', step, data })
    return id
  }

  noteSync(step: string, data?: Record<string, unknown>): void {
    this.appendSync({ id: `${this.owner.runId}:${randomBytes(4).toString('hex')}`, type: 'note', step, data })
  }

  /** intent → fn → commit (with fn's journal data), or abort with the error, which is rethrown. */
  async step<T>(step: string, data: Record<string, unknown>, fn: () => Promise<T>, result?: (value: T) => Record<string, unknown> | undefined): Promise<T> {
    const id = await this.intent(step, data)
    let value: T
    try {
      value = await fn()
    } catch (error) {
      await this.abort(id, step, { error: errorMessage(error) }).catch(() => undefined)
      throw error
    }
    await this.commit(id, step, result?.(value))
    return value
  }

  async read(): Promise<JournalEntry[]> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const lines = text.split('\n')
    const entries: JournalEntry[] = []
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]
      if (!line.trim()) continue
      try {
        const entry = JSON.parse(line) as JournalEntry
        if (typeof entry.id !== 'string' || typeof entry.step !== 'string' || typeof entry.type !== 'string') throw new Error('not a journal entry')
        entries.push(entry)
      } catch (error) {
        // The last line may be torn by a kill mid-write; its step never started, so drop it.
        const isLast = lines.slice(i + 1).every((l) => !l.trim())
        if (isLast) break
        throw new MlciError(ErrorCode.STATE_CORRUPT, `${this.file}:${i + 1} is not a valid journal line (${errorMessage(error)}).`, {
          hint: 'The release journal was damaged. Inspect the line; if no release is in progress, move the file aside.',
        })
      }
    }
    return entries
  }

  /** Intents that have no commit/abort, oldest first, each with its run's later entries. */
  async pending(filter?: (intent: JournalEntry) => boolean): Promise<PendingStep[]> {
    const entries = await this.read()
    const closed = new Set(entries.filter((e) => e.type === 'commit' || e.type === 'abort').map((e) => e.ref))
    const out: PendingStep[] = []
    entries.forEach((entry, index) => {
      if (entry.type !== 'intent' || closed.has(entry.id) || (filter && !filter(entry))) return
      out.push({ intent: entry, after: entries.slice(index + 1).filter((e) => e.runId === entry.runId) })
    })
    return out
  }

  /** Move a large journal aside when nothing in it is pending (keeps reads fast). */
  async rotate(): Promise<boolean> {
    const size = await stat(this.file).then((s) => s.size, () => 0)
    if (size < ROTATE_BYTES || (await this.pending()).length) return false
    await rename(this.file, `${this.file}.1`)
    return true
  }

  private line(fields: Omit<JournalEntry, 'v' | 'runId' | 'pid' | 'time'>): string {
    const entry: JournalEntry = {
      v: JOURNAL_SCHEMA, ...fields, runId: this.owner.runId, pid: this.owner.pid ?? process.pid, time: new Date().toISOString(),
    }
    return JSON.stringify(entry) + '\n'
  }

  private appendSync(fields: Omit<JournalEntry, 'v' | 'runId' | 'pid' | 'time'>): void {
    mkdirSync(dirname(this.file), { recursive: true })
    const fd = openSync(this.file, 'a')
    try {
      writeSync(fd, this.line(fields))
      fdatasyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }

  private async append(fields: Omit<JournalEntry, 'v' | 'runId' | 'pid' | 'time'>): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true })
    const handle = await open(this.file, 'a')
    try {
      await handle.write(this.line(fields))
      // The step that follows is irreversible: the intent must be on disk before it starts.
      await handle.datasync()
    } finally {
      await handle.close()
    }
  }
}
