// The semver-free caret check must answer exactly as semver does (or defer to it).
import fc from 'fast-check'
import semver from 'semver'
import { describe, expect, it } from 'vitest'
import { satisfiesCaret } from './caret-range.js'

const part = fc.integer({ min: 0, max: 3 })
const triple = fc.tuple(part, part, part).map((t) => t.join('.'))

describe('satisfiesCaret', () => {
  it('agrees with semver.satisfies(includePrerelease) on every plain version and caret range', () => {
    fc.assert(fc.property(triple, triple, (version, base) => {
      expect(satisfiesCaret(version, `^${base}`), `${version} ^${base}`).toBe(semver.satisfies(version, `^${base}`, { includePrerelease: true }))
    }), { numRuns: 3000 })
  })
  it('defers every other shape to semver', () => {
    for (const [v, r] of [['0.1.0-rc.1', '^0.1.0'], ['0.1.0', '>=0.1.0'], ['0.1.0', '~0.1.0'], ['0.1.0', '^0.1'], ['0.1.0', '^0.1.0 || ^1.0.0'], ['01.0.0', '^1.0.0'], ['0.1.0', '^v0.1.0']]) {
      expect(satisfiesCaret(v, r), `${v} ${r}`).toBeUndefined()
    }
    expect(satisfiesCaret('0.1.0', ' ^0.1.0 ')).toBe(true)
  })
})
