import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative, resolve } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { isUnder, resolveContained } from './contain.js'

// A real project folder with a link inside that points outside it, and a sibling whose name
// starts with the project's (`proj` vs `proj-evil`: a prefix test would call it inside).
const base = realpathSync(mkdtempSync(join(tmpdir(), 'mlci-contain-')))
const root = join(base, 'proj')
mkdirSync(join(root, 'out', 'deep'), { recursive: true })
mkdirSync(join(base, 'proj-evil'))
mkdirSync(join(base, 'outside'))
symlinkSync(join(base, 'outside'), join(root, 'link-out'))
symlinkSync(join(root, 'out'), join(root, 'link-in'))
afterAll(() => rmSync(base, { recursive: true, force: true }))

/** Hostile path shapes: dot segments anywhere, doubled and trailing slashes, absolute starts, sibling names, links. */
const segment = fc.constantFrom('..', '.', '', 'out', 'deep', 'model.json', '...', '..a', 'a..', 'link-out', 'link-in', 'proj', 'proj-evil', 'outside', '%2e%2e', '..\\\\..')
const hostilePath = fc.tuple(fc.constantFrom('', '/', './', '../', `${base}/`, `${root}/`), fc.array(segment, { maxLength: 8 }), fc.constantFrom('', '/'))
  .map(([start, parts, end]) => `${start}${parts.join('/')}${end}`)

/** What is truly inside: lexically under root, and under root after following links. */
function reallyInside(target: string): boolean {
  const lexical = relative(root, target)
  if (lexical.split('/')[0] === '..' || isAbsolute(lexical)) return false
  const segments = lexical.split('/').filter(Boolean)
  // link-out as the first segment leaves the project; link-in stays.
  return segments[0] !== 'link-out'
}

describe('containment rule (property-based)', () => {
  it('accepts exactly the paths that resolve under the project, following links', () => {
    fc.assert(fc.property(hostilePath, (path) => {
      const got = resolveContained(root, path)
      const target = resolve(root, path)
      if (path === '') return got === undefined
      expect(got !== undefined, `${path} → ${target}`).toBe(reallyInside(target))
      if (got !== undefined) expect(got).toBe(target)
      return true
    }), { numRuns: 3000 })
  })

  it('whatever it accepts from a base inside the project is under the project', () => {
    fc.assert(fc.property(fc.constantFrom(root, join(root, 'out'), join(root, 'out', 'deep')), hostilePath, (from, path) => {
      const got = resolveContained(root, path, from)
      if (got !== undefined) expect(isUnder(got, root)).toBe(true)
      return true
    }), { numRuns: 3000 })
  })

  it('refuses NUL bytes and empty paths; `..name` is a name, not a parent', () => {
    expect(resolveContained(root, 'out/\0../../x')).toBeUndefined()
    expect(resolveContained(root, '')).toBeUndefined()
    expect(resolveContained(root, '..model')).toBe(join(root, '..model'))
    expect(resolveContained(root, '../proj-evil/x')).toBeUndefined()
    expect(resolveContained(root, 'out/../../proj/out')).toBe(join(root, 'out'))
  })
})
