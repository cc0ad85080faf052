import { ErrorCode, MlciError } from './errors.js'

/** Errors of the disk itself, not of mlci's logic: they must say which file and how to fix it. */
const DISK_CODES: Record<string, string> = {
  ENOSPC: 'No space left on the device',
  EDQUOT: 'Disk quota exceeded',
  EIO: 'I/O error',
  EROFS: 'Read-only file system',
}

/**
 * Turn ENOSPC/EDQUOT/EIO/EROFS into an MlciError naming the path (Node's own message names
 * none for writes through a file handle). Other errors are returned unchanged.
 */
export function diskError(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (!code || !(code in DISK_CODES) || MlciError.is(error)) return error
  return new MlciError(ErrorCode.STATE_WRITE, `${DISK_CODES[code]} (${code}) while writing ${path}.`, {
    hint: code === 'ENOSPC' || code === 'EDQUOT'
      ? 'Free space on that disk (or `mlci cache gc`), then run the command again: mlci repairs a half-written state file by itself.'
      : 'Check the disk; mlci state files are written atomically, so the previous content is intact.',
    cause: error,
  })
}

/** Await `fn`, rethrowing a disk error as one that names `path`. */
export async function namingPath<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    throw diskError(error, path)
  }
}
