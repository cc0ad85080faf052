import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ContentStore, type ModelVersion } from '@mlci/core'
import { afterAll, describe, expect, it } from 'vitest'
import { brokenArtifacts, orderTargets } from './targets.js'

let t = 0
function v(version: string, status: ModelVersion['status'] = 'ready', artifacts: ModelVersion['artifacts'] = []): ModelVersion {
  const time = new Date(Date.UTC(2026, 0, 1, 0, 0, t++)).toISOString()
  return { version, status, createdAt: time, updatedAt: time, runId: 'r', fingerprint: 'f', artifacts }
}
const versions = [v('1.0.0'), v('1.1.0'), v('1.2.0', 'failed'), v('1.3.0'), v('1.4.0', 'pending')]
const names = (list: ModelVersion[]) => list.map((x) => x.version)

describe('orderTargets', () => {
  it('deploy failed before live moved: the live version first, then previous, then ready newest first', () => {
    expect(names(orderTargets({ mode: 'auto', candidate: '1.4.0', aliases: { live: '1.3.0', previous: '1.1.0' }, versions })))
      .toEqual(['1.3.0', '1.1.0', '1.0.0'])
  })

  it('monitor failed after live moved to the candidate: previous first; the candidate and failed/pending versions never', () => {
    expect(names(orderTargets({ mode: 'auto', candidate: '1.3.0', aliases: { live: '1.3.0', previous: '1.0.0' }, versions })))
      .toEqual(['1.0.0', '1.1.0'])
  })

  it('recovery prefers what was live before the interrupted release', () => {
    expect(names(orderTargets({ mode: 'recovery', candidate: '1.4.0', prefer: '1.0.0', aliases: { live: '1.4.0', previous: '1.3.0' }, versions })))
      .toEqual(['1.0.0', '1.3.0', '1.1.0'])
  })

  it('by hand: previous, then only versions older than live (never forward)', () => {
    expect(names(orderTargets({ mode: 'manual', candidate: '1.1.0', aliases: { live: '1.1.0', previous: '1.1.0' }, versions })))
      .toEqual(['1.0.0'])
    expect(names(orderTargets({ mode: 'manual', candidate: '1.3.0', aliases: { live: '1.3.0', previous: '1.0.0' }, versions })))
      .toEqual(['1.0.0', '1.1.0'])
  })
})

describe('brokenArtifacts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlci-targets-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('names a missing or corrupt artifact, passes an intact one', async () => {
    const store = new ContentStore(join(dir, 'objects'))
    writeFileSync(join(dir, 'model.json'), '{"w":[1,2,3]}')
    const { digest, size } = await store.put(join(dir, 'model.json'))
    const good = v('2.0.0', 'ready', [{ path: 'out/model.json', digest, size }])
    expect(await brokenArtifacts(store, good)).toBeUndefined()
    writeFileSync(store.path(digest), 'tampered')
    expect(await brokenArtifacts(store, good)).toMatch(/out\/model\.json .* is missing from the store or does not match its digest/)
    expect(await brokenArtifacts(store, v('2.1.0', 'ready', [{ path: 'm.bin', digest: `sha256:${'0'.repeat(64)}`, size: 1 }]))).toMatch(/m\.bin/)
  })
})
