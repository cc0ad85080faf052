import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface AtomicWriteOptions {
  /**
   * fsync before the rename (default true): the new content survives a power loss. Records that
   * are only history (run records, logs, reports) skip it; the rename alone still guarantees a
   * reader never sees half a file.
   */
  durable?: boolean
}

/**
 * Write a file so that readers see either the old or the new content, never half a file:
 * tmp file in the same folder, fsync, rename. The folder is created if needed.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(data)
    if (options.durable !== false) await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(tmp, { force: true })
    throw error
  }
  await handle.close()
  try {
    await rename(tmp, file)
  } catch (error) {
    await rm(tmp, { force: true })
    throw error
  }
}

export async function writeJsonAtomic(file: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', options)
}
