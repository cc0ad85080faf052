import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { storeEnv } from '../../../../test/helpers/shared-services.js'
import { S3Objects } from './s3/blobs.js'
import { parseS3Url } from './s3/target.js'
import { SharedContentStore, blobName } from './shared-store.js'

// The S3 tier against the real Swift server from .ci/services-swift.sh.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'mlci-s3-'))
  dirs.push(d)
  return d
}
const storeFor = (env: Record<string, string>, readOnly = false) =>
  new SharedContentStore(join(tmp(), 'objects'), new S3Objects(parseS3Url(env.MLCI_STORE_URL, 'test', env)), readOnly)

describe('SharedContentStore on Swift (real S3 API)', () => {
  it('uploads once, serves another runner through its local cache, verifies content, and multipart-uploads big files', async () => {
    const env = storeEnv()
    const a = storeFor(env)
    const b = storeFor(env)
    const small = join(tmp(), 'model.json')
    writeFileSync(small, JSON.stringify({ weights: [1, 2, 3] }))
    const { digest } = await a.put(small)
    expect(await b.has(digest)).toBe(true)
    const dest = join(tmp(), 'restored.json')
    await b.restore(digest, dest)
    expect(readFileSync(dest, 'utf8')).toBe(readFileSync(small, 'utf8'))

    // 80 MiB: above the multipart threshold (64 MiB), streamed in 16 MiB parts.
    const big = join(tmp(), 'big.bin')
    const hash = createHash('sha256')
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(big)
      for (let i = 0; i < 80; i++) {
        const chunk = randomBytes(1 << 20)
        hash.update(chunk)
        out.write(chunk)
      }
      out.end(resolve)
      out.on('error', reject)
    })
    const bigDigest = `sha256:${hash.digest('hex')}`
    expect((await a.put(big)).digest).toBe(bigDigest)
    expect(await b.verify(bigDigest)).toBe(true) // downloaded, then hashed
  }, 120_000)

  it('refuses a blob whose bucket copy does not match its name, and never publishes from a read-only run', async () => {
    const env = storeEnv()
    const remote = new S3Objects(parseS3Url(env.MLCI_STORE_URL, 'test', env))
    const fake = `sha256:${'ab'.repeat(32)}`
    await remote.putText(blobName(fake), 'not what the name says')
    const b = storeFor(env)
    await expect(b.restore(fake, join(tmp(), 'x'))).rejects.toMatchObject({ code: 'MLCI_STATE_CORRUPT' })
    expect(await b.verify(fake).catch(() => 'threw')).toBe('threw')

    const file = join(tmp(), 'artifact.bin')
    writeFileSync(file, randomBytes(1000))
    const ro = storeFor(env, true)
    await expect(ro.put(file)).rejects.toMatchObject({ code: 'MLCI_STATE_UNAVAILABLE', message: expect.stringContaining('read-only') })
  })
})
