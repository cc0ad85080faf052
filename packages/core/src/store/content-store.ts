import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { diskError } from '../disk-error.js'
import { ErrorCode, MlciError } from '../errors.js'

/** `sha256:<64 hex>` */
export type Digest = string

export async function sha256File(file: string): Promise<{ digest: Digest; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { digest: `sha256:${hash.digest('hex')}`, size }
}

function parseDigest(digest: Digest): string {
  const match = /^sha256:([0-9a-f]{64})$/.exec(digest)
  if (!match) throw new MlciError(ErrorCode.USAGE, `Not a content digest: ${digest}`, { hint: 'Digests look like sha256:<64 hex chars>.' })
  return match[1]
}

/**
 * Content-addressed blobs under `.mlci/objects/sha256/ab/cdef…`. A blob is written to a temp file,
 * hashed while copying, fsynced and renamed into place, so a crash never leaves a half blob under
 * a valid name. Reads verify the content; a blob that does not match its name is evicted.
 */
export class ContentStore {
  constructor(readonly dir: string) {}

  path(digest: Digest): string {
    const hex = parseDigest(digest)
    return join(this.dir, 'sha256', hex.slice(0, 2), hex.slice(2))
  }

  async has(digest: Digest): Promise<boolean> {
    return this.hasLocal(digest)
  }

  /** In this folder (a shared store's `has` asks the bucket instead; the methods here mean the local copy). */
  protected async hasLocal(digest: Digest): Promise<boolean> {
    return stat(this.path(digest)).then(() => true, () => false)
  }

  /**
   * Copy a file into the store; returns its digest. Idempotent. A blob already stored under
   * that digest is verified first: a damaged one is replaced by these (correct) bytes, so
   * storing the same content again heals the store instead of trusting the damage.
   */
  async put(file: string): Promise<{ digest: Digest; size: number }> {
    try {
      return await this.putFile(file)
    } catch (error) {
      throw diskError(error, this.dir)
    }
  }

  private async putFile(file: string): Promise<{ digest: Digest; size: number }> {
    const tmpDir = join(this.dir, 'tmp')
    await mkdir(tmpDir, { recursive: true })
    const tmp = join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`)
    const hash = createHash('sha256')
    let size = 0
    try {
      const out = createWriteStream(tmp)
      await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), async function* (source) {
        for await (const chunk of source) {
          hash.update(chunk as Buffer)
          size += (chunk as Buffer).length
          yield chunk
        }
      }, out)
      const handle = await open(tmp, 'r')
      await handle.sync()
      await handle.close()
      const digest = `sha256:${hash.digest('hex')}`
      const target = this.path(digest)
      // Only an intact local copy counts as done: identical bytes heal a damaged blob.
      if (await this.localIntact(digest)) {
        await rm(tmp, { force: true })
      } else {
        await mkdir(dirname(target), { recursive: true })
        await rename(tmp, target)
      }
      return { digest, size }
    } catch (error) {
      await rm(tmp, { force: true })
      throw error
    }
  }

  private async localIntact(digest: Digest): Promise<boolean> {
    if (!(await this.hasLocal(digest))) return false
    return (await sha256File(this.path(digest))).digest === digest
  }

  /** True when the blob exists and its content matches its digest; changes nothing (for `mlci registry verify`). */
  async intact(digest: Digest): Promise<boolean> {
    if (!(await this.has(digest))) return false
    return (await sha256File(this.path(digest))).digest === digest
  }

  /** True when the blob exists and its content matches its digest. A mismatching blob is evicted. */
  async verify(digest: Digest): Promise<boolean> {
    const file = this.path(digest)
    if (!(await this.hasLocal(digest))) return false
    const actual = await sha256File(file)
    if (actual.digest === digest) return true
    await rm(file, { force: true })
    return false
  }

  /**
   * Write the blob to `dest` (atomically) after verifying it. Throws MLCI_STATE_CORRUPT (and
   * evicts the blob) when the content does not match, MLCI_NOT_FOUND when it is missing.
   */
  async restore(digest: Digest, dest: string): Promise<void> {
    const file = this.path(digest)
    if (!(await this.hasLocal(digest))) {
      throw new MlciError(ErrorCode.NOT_FOUND, `Blob ${digest.slice(0, 19)}… is missing from ${this.dir}.`)
    }
    await mkdir(dirname(dest), { recursive: true })
    const tmp = `${dest}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    try {
      // Hard-link when possible would share inodes with the store (an edit would corrupt it): copy.
      await copyFile(file, tmp)
      const actual = await sha256File(tmp)
      if (actual.digest !== digest) {
        await rm(file, { force: true })
        throw new MlciError(ErrorCode.STATE_CORRUPT, `Blob ${digest.slice(0, 19)}… in ${this.dir} is corrupt (content hash ${actual.digest.slice(0, 19)}…); it was evicted.`)
      }
      await rename(tmp, dest)
    } finally {
      await rm(tmp, { force: true })
    }
  }

  async remove(digest: Digest): Promise<void> {
    await rm(this.path(digest), { force: true })
  }
}

