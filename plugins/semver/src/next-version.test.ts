import type { ModelVersion } from '@mlci/core'
import { describe, expect, it } from 'vitest'
import { latestReady, nextVersion } from './next-version.js'

const v = (version: string, status: ModelVersion['status'] = 'ready'): ModelVersion =>
  ({ version, status, createdAt: '', updatedAt: '', runId: '', fingerprint: '' })

describe('next version', () => {
  it('starts at the first version and bumps from the latest ready release', () => {
    expect(nextVersion({ versions: [], bump: 'minor', first: '0.1.0' })).toBe('0.1.0')
    const versions = [v('0.1.0+data.a'), v('0.3.0', 'failed'), v('0.2.0'), v('0.4.0-rc.1')]
    expect(latestReady(versions)?.version).toBe('0.2.0')
    expect(nextVersion({ versions, base: '0.2.0', bump: 'patch', first: '0.1.0' })).toBe('0.2.1')
    expect(nextVersion({ versions, base: '0.2.0', bump: 'major', first: '0.1.0', build: 'data.3f9a2c1' })).toBe('1.0.0+data.3f9a2c1')
  })

  it('never reuses a number held by a failed or pending version', () => {
    const versions = [v('0.1.0'), v('0.2.0', 'failed'), v('0.2.1+data.x', 'pending')]
    expect(nextVersion({ versions, base: '0.1.0', bump: 'minor', first: '0.1.0' })).toBe('0.2.2')
    expect(nextVersion({ versions: [v('0.1.0', 'failed')], bump: 'patch', first: '0.1.0' })).toBe('0.1.1')
  })

  it('numbers prerelease channels rc.1, rc.2, … per release', () => {
    const versions = [v('1.3.0')]
    expect(nextVersion({ versions, base: '1.3.0', bump: 'minor', first: '0.1.0', channel: 'rc' })).toBe('1.4.0-rc.1')
    versions.push(v('1.4.0-rc.1+data.a', 'failed'), v('1.4.0-rc.2'), v('1.4.0-beta.7'))
    expect(nextVersion({ versions, base: '1.3.0', bump: 'minor', first: '0.1.0', channel: 'rc', build: 'data.b' })).toBe('1.4.0-rc.3+data.b')
    expect(() => nextVersion({ versions, base: '1.3.0', bump: 'minor', first: '0.1.0', channel: 'r c' })).toThrow(/not a usable prerelease name/)
  })
})
