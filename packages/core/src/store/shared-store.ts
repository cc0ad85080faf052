import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ErrorCode, MlciError } from '../errors.js'
import { ContentStore, sha256File, type Digest } from './content-store.js'
import type { S3Objects } from './s3/blobs.js'

/** `blobs/sha256/<hex>` under the store's prefix. */
export function blobName(digest: Digest): string {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`
}

/**
 * The content store with an S3 tier: the local `.mlci/objects` is a read-through cache of the
 * shared bucket. What plugins `put` (a version's artifacts) is uploaded before put returns, so
 * a version is never recorded with blobs other runners cannot get; a failing upload fails
 * the put (publishing fails closed). `has` asks the bucket; `verify` and `restore` download a
 * missing blob first and check its sha256 before it gets its name in the local store.
 */
export class SharedContentStore extends ContentStore {
  constructor(dir: string, readonly remote: S3Objects, readonly readOnly: boolean) {
    super(dir)
  }

  override async has(digest: Digest): Promise<boolean> {
    this.path(digest) // validates the digest
    return this.remote.exists(blobName(digest))
  }

  override async put(file: string): Promise<{ digest: Digest; size: number }> {
    const stored = await super.put(file)
    await this.push(stored.digest)
    return stored
  }

  override async verify(digest: Digest): Promise<boolean> {
    await this.fetch(digest)
    return super.verify(digest)
  }

  override async restore(digest: Digest, dest: string): Promise<void> {
    await this.fetch(digest)
    return super.restore(digest, dest)
  }

  /** Upload a local blob unless the bucket has it (checked by HEAD: no conditional PUT needed). */
  async push(digest: Digest): Promise<void> {
    if (await this.remote.exists(blobName(digest))) return
    if (this.readOnly) {
      throw new MlciError(ErrorCode.STATE_UNAVAILABLE, `The shared store ${this.remote.target.display} is read-only in this run (store.readOnly / MLCI_STORE_READONLY): blob ${digest.slice(0, 19)}… cannot be published.`, {
        hint: 'Read-only runs (e.g. pull requests from forks) may use the shared cache but not publish versions: run with --skip version, or without the read-only setting in a trusted job.',
      })
    }
    await this.remote.upload(blobName(digest), this.path(digest))
  }

  /** Make the blob local: download, verify its sha256, then rename into place. False when the bucket lacks it too. */
  async fetch(digest: Digest): Promise<boolean> {
    if (await this.hasLocal(digest)) return true
    const tmpDir = join(this.dir, 'tmp')
    await mkdir(tmpDir, { recursive: true })
    const tmp = join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`)
    try {
      if (!(await this.remote.download(blobName(digest), tmp))) return false
      const actual = await sha256File(tmp)
      if (actual.digest !== digest) {
        throw new MlciError(ErrorCode.STATE_CORRUPT, `Blob ${digest.slice(0, 19)}… in the shared store ${this.remote.target.display} is corrupt (content hash ${actual.digest.slice(0, 19)}…); it was not used.`, {
          hint: 'Delete that object from the bucket; the next run that builds it uploads a good copy.',
        })
      }
      const target = this.path(digest)
      await mkdir(dirname(target), { recursive: true })
      await rename(tmp, target)
      return true
    } finally {
      await rm(tmp, { force: true })
    }
  }
}
