import { randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { appendFile, mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { writeFileAtomic } from '../atomic.js'
import { namingPath } from '../disk-error.js'
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
 * The release journal's entries and rules, whatever stores them: the embedded registry keeps
 * them in `.mlci/journal.jsonl` (Journal below), the shared registry in a PostgreSQL table
 * (registry/pg/journal.ts), so a run on another runner finds what a dead run left open.
 * A subclass only appends one entry durably and reads them all back in order.
 */
export abstract class JournalLog {
  constructor(protected readonly owner: { runId: string; pid?: number }) {}

  /** Where the entries live, for messages (a file, a database table). */
  abstract readonly location: string
  /** Append one entry durably: it is stored before the step it announces starts. */
  protected abstract write(entry: JournalEntry): Promise<void>
  /** Every entry, oldest first; throws MLCI_STATE_CORRUPT on damage. */
  abstract read(): Promise<JournalEntry[]>

  /** Record that `step` is about to happen; returns the intent's id for commit/abort. */
  async intent(step: string, data?: Record<string, unknown>): Promise<string> {
    const id = `${this.owner.runId}:${randomBytes(4).toString('hex')}`
    await this.write(this.entry({ id, type: 'intent', step, data }))
    return id
  }

  async commit(ref: string, step: string, data?: Record<string, unknown>): Promise<void> {
    await this.write(this.entry({ id: `${ref}:c`, type: 'commit', step, ref, data }))
  }

  async abort(ref: string, step: string, data?: Record<string, unknown>): Promise<void> {
    await this.write(this.entry({ id: `${ref}:a`, type: 'abort', step, ref, data }))
  }

  async note(step: string, data?: Record<string, unknown>): Promise<void> {
    await this.write(this.entry({ id: `${this.owner.runId}:${randomBytes(4).toString('hex')}`, type: 'note', step, data }))
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

  /** Intents that have no commit/abort, oldest first, each with its run's later entries. */
  async pending(filter?: (intent: JournalEntry) => boolean): Promise<PendingStep[]> {
    return pendingSteps(await this.read(), filter)
  }

  protected entry(fields: Omit<JournalEntry, 'v' | 'runId' | 'pid' | 'time'>): JournalEntry {
    return { v: JOURNAL_SCHEMA, ...fields, runId: this.owner.runId, pid: this.owner.pid ?? process.pid, time: new Date().toISOString() }
  }
}

/**
 * Append-only, fsync'd journal of irreversible steps. Lines are appended with O_APPEND (one
 * write each, so concurrent appenders never interleave inside a line) and fsync'd before the
 * step proceeds. Each entry is framed by its newline: a torn last line (killed mid-write, disk
 * full) is ignored on read and cut off by the next append, and a write that fails midway is
 * cut back at once, so a torn line never gets another entry glued to it. A bad line anywhere
 * else means the file was damaged: reported with its line number (`mlci registry repair`).
 */
export class Journal extends JournalLog {
  readonly location: string

  constructor(readonly file: string, owner: { runId: string; pid?: number }) {
    super(owner)
    this.location = file
  }

  /** The journal of a project state folder (`.mlci/journal.jsonl`). */
  static at(stateDir: string, owner: { runId: string; pid?: number }): Journal {
    return new Journal(join(stateDir, 'journal.jsonl'), owner)
  }

  async read(): Promise<JournalEntry[]> {
    const scan = await this.scan()
    const damaged = scan.problems.find((p) => p.kind === 'damaged')
    if (damaged) {
      throw new MlciError(ErrorCode.STATE_CORRUPT, `${this.file}:${damaged.line} is not a valid journal line (${damaged.detail}).`, {
        hint: 'The release journal was damaged. `mlci registry verify` lists the problems; `mlci registry repair` moves the damaged lines aside when no release is in progress.',
      })
    }
    return scan.entries
  }

  /**
   * Every entry, and what is wrong with the file, without throwing on damage:
   *   torn      the last line has no newline: a write was cut (kill -9, disk full); ignored,
   *             and cut off by the next append
   *   glued     a torn fragment with a whole entry appended to it (written by mlci before torn
   *             tails were cut); the entry is kept, the fragment ignored
   *   damaged   a line in the middle that is no entry at all
   */
  async scan(): Promise<JournalScan> {
    let text: string
    try {
      // Synchronous, as for the other small state files read on every build (a journal is
      // rotated at 512 KiB): node:fs/promises would load on every start only for this read.
      text = readFileSync(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [] }
      throw error
    }
    const lines = text.split('\n')
    const entries: JournalEntry[] = []
    const problems: JournalProblem[] = []
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]
      if (!line.trim()) continue
      const entry = parseEntry(line)
      if (entry) {
        entries.push(entry)
        continue
      }
      if (i === lines.length - 1) {
        problems.push({ kind: 'torn', line: i + 1, detail: 'the last write was cut off (no newline); ignored' })
        continue
      }
      const start = line.lastIndexOf('{"v":')
      const glued = start > 0 ? parseEntry(line.slice(start)) : undefined
      if (glued) {
        entries.push(glued)
        problems.push({ kind: 'glued', line: i + 1, detail: `a torn fragment of ${start} bytes precedes an entry; the fragment is ignored` })
        continue
      }
      problems.push({ kind: 'damaged', line: i + 1, detail: describeBadLine(line) })
    }
    return { entries, problems }
  }

  /**
   * Rewrite the journal with its valid entries only (temp + rename), the damaged lines kept in
   * `journal.jsonl.damaged` for a person to read. Returns the problems it removed.
   */
  async repair(): Promise<JournalProblem[]> {
    const scan = await this.scan()
    if (!scan.problems.length) return []
    const text = await readFile(this.file, 'utf8')
    const lines = text.split('\n')
    const removed = scan.problems.map((p) => lines[p.line - 1]).join('\n') + '\n'
    await namingPath(`${this.file}.damaged`, () => appendFile(`${this.file}.damaged`, removed))
    await writeFileAtomic(this.file, scan.entries.map((e) => JSON.stringify(e) + '\n').join(''))
    return scan.problems
  }

  /** Move a large journal aside when nothing in it is pending (keeps reads fast). */
  async rotate(): Promise<boolean> {
    let size = 0
    try {
      size = statSync(this.file).size
    } catch {
      // no journal yet, or unreadable: nothing to move aside
    }
    if (size < ROTATE_BYTES || (await this.pending()).length) return false
    await rename(this.file, `${this.file}.1`)
    return true
  }

  protected write(entry: JournalEntry): Promise<void> {
    return this.append(entry)
  }

  private async append(entry: JournalEntry): Promise<void> {
    await namingPath(this.file, async () => {
      await mkdir(dirname(this.file), { recursive: true })
      const handle = await open(this.file, 'a+')
      try {
        const size = await cutTornTail(handle)
        try {
          await handle.write(JSON.stringify(entry) + '\n')
          // The step that follows is irreversible: the intent must be on disk before it starts.
          await handle.datasync()
        } catch (error) {
          await handle.truncate(size).catch(() => undefined)
          throw error
        }
      } finally {
        await handle.close()
      }
    })
  }
}

/** Intents among `entries` that have no commit/abort, oldest first, each with its run's later entries. */
export function pendingSteps(entries: JournalEntry[], filter?: (intent: JournalEntry) => boolean): PendingStep[] {
  const closed = new Set(entries.filter((e) => e.type === 'commit' || e.type === 'abort').map((e) => e.ref))
  const out: PendingStep[] = []
  entries.forEach((entry, index) => {
    if (entry.type !== 'intent' || closed.has(entry.id) || (filter && !filter(entry))) return
    out.push({ intent: entry, after: entries.slice(index + 1).filter((e) => e.runId === entry.runId) })
  })
  return out
}

/** A release the journal holds open and what it says about it (`mlci versions`, `mlci registry verify`). */
export interface OpenRelease {
  candidate: string
  runId: string
  pid: number
  /** Set when the candidate was left serving unproven (its analysis could not decide): why, and what live named. */
  unproven?: { why?: string; live?: string }
}

export function openReleases(steps: PendingStep[]): OpenRelease[] {
  return steps.filter((p) => p.intent.step === 'release').map((p) => {
    const unproven = p.after.find((e) => e.step === 'release.unproven')?.data as OpenRelease['unproven'] | undefined
    return { candidate: String(p.intent.data?.candidate ?? ''), runId: p.intent.runId, pid: p.intent.pid, ...(unproven ? { unproven } : {}) }
  })
}

export interface JournalProblem {
  kind: 'torn' | 'glued' | 'damaged'
  /** 1-based line number. */
  line: number
  detail: string
}

export interface JournalScan {
  entries: JournalEntry[]
  problems: JournalProblem[]
}

function parseEntry(line: string): JournalEntry | undefined {
  try {
    const entry = JSON.parse(line) as JournalEntry
    if (typeof entry?.id !== 'string' || typeof entry.step !== 'string' || typeof entry.type !== 'string') return undefined
    return entry
  } catch {
    return undefined
  }
}

function describeBadLine(line: string): string {
  try {
    JSON.parse(line)
    return 'not a journal entry'
  } catch (error) {
    return errorMessage(error)
  }
}

/** How far back to look for the last newline of a torn tail (an entry is far smaller). */
const TAIL_WINDOW = 1 << 20

/**
 * Framing: every entry ends with a newline, so a file that does not end with one has a torn
 * last write. Cut it back to the last newline before appending; returns the size after the cut.
 */
async function cutTornTail(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat()
  if (size === 0) return 0
  const start = Math.max(0, size - TAIL_WINDOW)
  const buffer = Buffer.alloc(size - start)
  await handle.read(buffer, 0, buffer.length, start)
  if (buffer[buffer.length - 1] === 0x0a) return size
  const keep = start + buffer.lastIndexOf(0x0a) + 1
  await handle.truncate(keep)
  return keep
}
