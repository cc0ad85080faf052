// Path containment: what counts as inside a folder. A wrong answer either lets the cache write
// outside the project or refuses a legitimate file whose name starts with two dots.
import fc from 'fast-check'
import picomatch from 'picomatch'
import { describe, expect, it } from 'vitest'
import { projectPath } from '../cache/outputs.js'
import { MATCH_OPTIONS, compileGlobs, escapes, expandGlob, isWithin, toPosix } from './paths.js'

// 2000 random cases each in the suite; `npm run mutate` runs these for each of paths.ts's ~110
// mutants and sets fewer (vitest.mutate.config.ts): a wrong line shows within the first few dozen.
const RUNS = Number(process.env.MLCI_PROPERTY_RUNS ?? 2000)

describe('isWithin', () => {
  it('is true for the folder itself and anything below it', () => {
    expect(isWithin('/p', '/p')).toBe(true)
    expect(isWithin('/p/a', '/p')).toBe(true)
    expect(isWithin('/p/a/b/c.txt', '/p')).toBe(true)
  })
  it('is false for parents, siblings and look-alike prefixes', () => {
    expect(isWithin('/', '/p')).toBe(false)
    expect(isWithin('/q/a', '/p')).toBe(false)
    expect(isWithin('/p-other/a', '/p')).toBe(false)
    expect(isWithin('/p/../q', '/p')).toBe(false)
  })
  it('a name that starts with two dots is still inside', () => {
    expect(isWithin('/p/..cache/x', '/p')).toBe(true)
    expect(isWithin('/p/...', '/p')).toBe(true)
  })
})

describe('escapes', () => {
  it('only .. and ../… climb out', () => {
    expect(escapes('..')).toBe(true)
    expect(escapes('../a')).toBe(true)
    expect(escapes('..a')).toBe(false)
    expect(escapes('a/..')).toBe(false)
    expect(escapes('')).toBe(false)
  })
})

describe('projectPath (the cache never writes outside the project)', () => {
  it('gives the posix path relative to the root', () => {
    expect(projectPath('/p', '/p/out/model.json')).toBe('out/model.json')
    expect(projectPath('/p', '/p/..cache')).toBe('..cache')
  })
  it('refuses the root itself, a parent, a sibling and a path above, naming both', () => {
    for (const abs of ['/p', '/', '/q/x', '/p/../escaped.txt']) {
      expect(() => projectPath('/p', abs)).toThrow(expect.objectContaining({
        code: 'MLCI_USAGE', message: `Declared output ${abs} is outside the project root /p.`, hint: expect.stringMatching(/inside the project folder/),
      }))
    }
  })
})

describe('toPosix and expandGlob', () => {
  it('keeps posix paths and expands a folder glob to everything below it', () => {
    expect(toPosix('a/b')).toBe('a/b')
    expect(expandGlob('data')).toEqual(['data', 'data/**'])
    expect(expandGlob('out/')).toEqual(['out', 'out/**'])
    expect(expandGlob('out//')).toEqual(['out', 'out/**']) // every trailing slash goes, not just one
    expect(expandGlob('data/raw/')).toEqual(['data/raw', 'data/raw/**'])
    expect(expandGlob('*.csv')).toEqual(['*.csv', '*.csv/**'])
    expect(expandGlob('.')).toEqual(['**'])
    expect(expandGlob('/')).toEqual(['**'])
  })
})

describe('compileGlobs answers exactly as picomatch (the walk and watch mode must agree)', () => {
  const globs = ['**', '**/**', 'data', 'data/**', 'data/**/**', 'data/x.csv', 'src/a b/c.py', '**/*.py', '**/*', '**/*.tar.gz',
    '*.py', 'data/*.csv', 'data/**/x.csv', 'data/**/*.py', 'd?ta/**', 'data/{a,b}/**', './data/**', 'data/../x/**', '.hidden/**', '**/.*', '[ab]/**', '!(x)/**']
  const segment = fc.constantFrom('data', 'x.csv', '.py', '..py', 'py', 'a.py', '.hidden', 'a b', 'c.py', 'a', 'b', 'x', 'f.tar.gz', 'datax', '-')
  it('on every shape of glob and random relative paths', () => {
    fc.assert(fc.property(fc.subarray(globs, { minLength: 1 }), fc.array(fc.array(segment, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 20 }), (chosen, paths) => {
      const fast = compileGlobs(chosen.flatMap(expandGlob))
      const slow = picomatch(chosen.flatMap(expandGlob), MATCH_OPTIONS)
      for (const rel of paths.map((p) => p.join('/'))) expect(fast(rel), `${chosen.join(' ')} on ${rel}`).toBe(slow(rel))
    }), { numRuns: RUNS })
  })
  it('a folder it says it covers has every path below it matched (the walk then skips the per-file test)', () => {
    fc.assert(fc.property(fc.subarray(globs, { minLength: 1 }), fc.array(fc.array(segment, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 20 }), (chosen, paths) => {
      const fast = compileGlobs(chosen.flatMap(expandGlob))
      const slow = picomatch(chosen.flatMap(expandGlob), MATCH_OPTIONS)
      for (const segments of paths) {
        for (let n = 0; n < segments.length; n++) {
          const dir = segments.slice(0, n).join('/')
          if (fast.covers(dir)) expect(slow(segments.join('/')), `${chosen.join(' ')} covers '${dir}' but not ${segments.join('/')}`).toBe(true)
        }
      }
    }), { numRuns: RUNS })
    expect(compileGlobs(expandGlob('data')).covers('data/raw')).toBe(true)
    expect(compileGlobs(expandGlob('data')).covers('datax')).toBe(false)
    expect(compileGlobs(['**/*.py']).covers('src')).toBe(false)
  })
  it('leaves globs with a `.` or `..` segment to picomatch (`./a` matches `a`): they are not literal paths', () => {
    for (const [glob, path] of [['./a', 'a'], ['./data/x.csv', 'data/x.csv'], ['a/./b', 'a/./b'], ['a/../b', 'a/../b']]) {
      expect(compileGlobs([glob])(path), `${glob} on ${path}`).toBe(picomatch(glob, MATCH_OPTIONS)(path))
      expect(compileGlobs([glob])(path), `${glob} on ${path}`).toBe(true)
    }
  })
  it('covers every folder for `**`, and a `dir/**` or plain-folder glob covers that folder and all below it (the walk takes them whole)', () => {
    // The other direction of the property above: the re-check of a 10k-file tree (#15) depends
    // on these shapes being taken whole, without a glob test per file.
    for (const glob of ['**', '**/**', '**/**/**']) {
      for (const dir of ['', 'x', 'data/raw', '.hidden/a b']) expect(compileGlobs([glob]).covers(dir), `${glob} covers '${dir}'`).toBe(true)
    }
    for (const [globs, dir] of [[expandGlob('data'), 'data'], [expandGlob('data/'), 'data/raw'], [['data/**/**'], 'data/x'], [['src/a b/**'], 'src/a b/c'],
      [['d-1_x.y/**'], 'd-1_x.y'], [['a/b/**', '*.py'], 'a/b/c/d'], [['x/**', 'data/**'], 'data']] as const) {
      expect(compileGlobs(globs).covers(dir), `${globs.join(' ')} covers '${dir}'`).toBe(true)
    }
    for (const [globs, dir] of [[['data/**'], 'datax'], [['data/**'], 'dat'], [['data/**'], ''], [['src/a b/**'], 'src'], [['data/*.csv'], 'data'], [['*/data/**'], 'x/data']] as const) {
      expect(compileGlobs(globs).covers(dir), `${globs.join(' ')} does not cover '${dir}'`).toBe(false)
    }
  })
})
