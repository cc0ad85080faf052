import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { diskError } from './disk-error.js'
import { uniqueSuffix } from './temp-name.js'

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
  try {
    await writeAtomic(file, data, options)
  } catch (error) {
    throw diskError(error, file)
  }
}

async function writeAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<void> {
  if (options.durable === false) return writeFileAtomicSync(file, data)
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.${uniqueSuffix()}.tmp`
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(data)
    await handle.sync()
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

/**
 * The non-durable path, synchronously (no fsync): for small history and cache files, where a
 * thread-pool round trip per call costs more than the write. Readers still never see half a file.
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${uniqueSuffix()}.tmp`
  mkdirSync(dirname(file), { recursive: true })
  try {
    writeFileSync(tmp, data)
    renameSync(tmp, file)
  } catch (error) {
    rmSync(tmp, { force: true })
    throw diskError(error, file)
  }
}
