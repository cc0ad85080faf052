import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ContentStore } from './content-store.js'

const root = mkdtempSync(join(tmpdir(), 'mlci-store-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('ContentStore', () => {
  it('put() of the same bytes replaces a corrupt blob instead of trusting it', async () => {
    const store = new ContentStore(join(root, 'objects'))
    const file = join(root, 'model.bin')
    writeFileSync(file, 'the model, version 1')
    const { digest } = await store.put(file)
    writeFileSync(store.path(digest), 'the model, versioX 1') // one byte flipped on disk
    expect(await store.intact(digest)).toBe(false)
    expect(await store.has(digest)).toBe(true) // intact() changed nothing
    await store.put(file)
    expect(readFileSync(store.path(digest), 'utf8')).toBe('the model, version 1')
    expect(await store.intact(digest)).toBe(true)
  })
})
