import { diskError } from './disk-error.js'
import { uniqueSuffix } from './temp-name.js'
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * Primitives shared by mlci's lock files (the repo lock, the registry's write lock).
 *
 * Create `file` holding `content` only if it does not exist yet. The content is written to a
 * temp file first and then link()ed into place (EEXIST when taken), so a lock file is never
 * seen empty or half-written. Returns false when the file already exists.
 */
export function createExclusive(file: string, content: string): boolean {
  mkdirSync(dirname(file), { recursive: true })
  const tmp = join(dirname(file), `.${basename(file)}.${uniqueSuffix()}.tmp`)
  try {
    writeFileSync(tmp, content)
  } catch (error) {
    // A full disk must say which file it could not write (the lock is a run's first write).
    rmSync(tmp, { force: true })
    throw diskError(error, file)
  }
  try {
    linkSync(tmp, file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    rmSync(tmp, { force: true })
  }
}

/**
 * Remove a lock judged dead — but only that lock, never one a live process has taken since:
 * rename it aside, compare what was renamed with what was judged, and link a live one back.
 * (Two waiters judging the same dead holder would otherwise delete each other's new locks.)
 */
export function reclaimLock(file: string, judged: string): void {
  const aside = `${file}.${uniqueSuffix()}.stale`
  try {
    renameSync(file, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  let taken = judged
  try {
    taken = readFileSync(aside, 'utf8')
  } catch {
    // vanished: nothing to give back
  }
  if (taken !== judged) {
    try {
      linkSync(aside, file)
    } catch {
      // someone else holds it now: theirs stands
    }
  }
  rmSync(aside, { force: true })
}

/** The file's content, or undefined when it does not exist (released meanwhile). */
export function readLockFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}
