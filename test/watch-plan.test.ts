import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createWatchTargets } from '../packages/core/src/watch/targets.js'
import { ChangeBatch } from '../packages/cli/src/watch/change-batch.js'
import { resolveProfile } from '../packages/cli/src/watch/profile.js'
import { testdir } from './helpers/testdir.js'

// The pure parts of watch mode: which paths count for which phase, which never do, the profile.
describe('createWatchTargets', () => {
  const root = testdir({ 'train.py': '', 'tests/test_a.py': '', 'data/train.csv': '', 'sub/params.json': '', 'README.md': '' })
  mkdirSync(join(root, 'out'), { recursive: true })
  const at = (p: string) => join(root, p)
  const targets = createWatchTargets({
    root,
    declarations: [
      { phase: 'test', plugin: 'pytest', inputs: ['**/*.py', '!tests/fixtures/**'] },
      { phase: 'train', plugin: 'trainer', inputs: ['train.py', 'data', '**/*.json'], outputs: ['out/'] },
      { phase: 'evaluate', plugin: 'trainer', inputs: ['out/metrics.json'] },
      { phase: 'gate', plugin: 'sub', cwd: 'sub', inputs: ['*.json'] },
    ],
    ignore: ['notebooks/**'],
  })

  it('maps changed files to the phases that declared them', () => {
    expect([...targets.affected([at('tests/test_a.py')])]).toEqual(['test'])
    expect([...targets.affected([at('train.py')])].sort()).toEqual(['test', 'train'])
    expect([...targets.affected([at('data/train.csv')])]).toEqual(['train'])
    // A literal folder name covers what is inside it; cwd makes globs relative to a subfolder.
    expect([...targets.affected([at('data/more/extra.csv')])]).toEqual(['train'])
    expect([...targets.affected([at('sub/params.json')])].sort()).toEqual(['gate', 'train'])
  })

  it('never counts state, caches, declared outputs, exclusions or user ignores', () => {
    for (const path of ['README.md', 'out/metrics.json', 'out/model.json', '.mlci/runs/x.json', '.git/HEAD',
      'node_modules/x/index.json', 'tests/__pycache__/a.py', '.pytest_cache/v/x.json', 'tests/fixtures/f.py', 'notebooks/a.py']) {
      expect([path, [...targets.affected([at(path)])]]).toEqual([path, []])
    }
    expect(targets.isIgnored(at('out/model.json'))).toBe(true)
    expect(targets.isInput(at('out/metrics.json'))).toBe(false)
  })

  it('watches the glob bases only and knows which folders can hold inputs', () => {
    expect(targets.roots).toEqual([root]) // **/*.py reaches everywhere
    const narrow = createWatchTargets({ root, declarations: [{ phase: 'test', plugin: 'p', inputs: ['tests/**/*.py', 'data/train.csv'] }] })
    expect(narrow.roots).toEqual([at('data'), at('tests')])
    expect(narrow.mayContainInputs(at('tests/unit'))).toBe(true)
    expect(narrow.mayContainInputs(root)).toBe(true)
    expect(narrow.mayContainInputs(at('out'))).toBe(false)
  })

  it('treats a tapped phase that declares nothing as reading the whole project', () => {
    const t = createWatchTargets({ root, declarations: [], undeclared: ['train'] })
    expect([...t.affected([at('README.md')])]).toEqual(['train'])
    expect([...t.affected([at('.mlci/lock')])]).toEqual([])
  })
})

describe('resolveProfile', () => {
  it('defaults to everything up to the gate, without version or deployment', () => {
    expect(resolveProfile({})).toEqual({ phases: ['verify', 'test', 'validate', 'train', 'evaluate', 'gate'], debounceMs: 100, deploy: false })
  })

  it('adds version, deploy and monitor with --deploy or watch.deploy', () => {
    expect(resolveProfile({ deploy: true }).phases).toEqual(['verify', 'test', 'validate', 'train', 'evaluate', 'gate', 'version', 'deploy', 'monitor'])
    expect(resolveProfile({}, { deploy: true, phases: ['train', 'deploy'] }).phases).toEqual(['train', 'deploy'])
  })

  it('lets flags win over the config and rejects what it cannot honour', () => {
    expect(resolveProfile({ phases: ['test,train'], debounce: '250' }, { phases: ['gate'], debounce: 50 })).toMatchObject({ phases: ['test', 'train'], debounceMs: 250 })
    expect(() => resolveProfile({ phases: ['tests'] })).toThrow(/Unknown phase "tests" in --phases/)
    expect(() => resolveProfile({}, { phases: ['monitor'] })).toThrow(expect.objectContaining({ code: 'MLCI_CONFIG_INVALID' }))
    expect(() => resolveProfile({ phases: ['deploy'] })).toThrow(expect.objectContaining({ code: 'MLCI_USAGE' }))
    expect(() => resolveProfile({ debounce: 'soon' })).toThrow(/--debounce must be a number of milliseconds/)
  })
})

describe('ChangeBatch', () => {
  // Fake timers: the debounce is about time, so the test controls time instead of sleeping.
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('hands over one deduplicated batch after the files go quiet', () => {
    const batches: string[][] = []
    const batch = new ChangeBatch(20, (paths) => batches.push(paths))
    for (const p of ['a', 'b', 'a']) batch.add(p)
    vi.advanceTimersByTime(19)
    batch.add('c') // not quiet yet: the wait starts again
    vi.advanceTimersByTime(19)
    expect(batches).toEqual([])
    vi.advanceTimersByTime(1)
    expect(batches).toEqual([['a', 'b', 'c']])
  })

  it('a cancelled batch is never handed over', () => {
    const batches: string[][] = []
    const batch = new ChangeBatch(20, (paths) => batches.push(paths))
    batch.add('d')
    batch.cancel()
    vi.advanceTimersByTime(1000)
    expect(batches).toEqual([])
  })
})
