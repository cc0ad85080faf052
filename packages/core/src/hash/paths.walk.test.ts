import { relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testdir } from '../../../../test/helpers/testdir.js'
import { findFiles } from './walk.js'

// The shared path rules as the phase cache sees them: which files of a real tree are inputs.

describe('what counts as an input', () => {
  it('dotfiles are inputs; tool state, VCS data, dependencies and caches never are, even under **', () => {
    const dir = testdir({
      'src/a.py': '', '.env.example': '', 'conf/.settings': '',
      '.git/HEAD': '', 'node_modules/x/i.js': '', '.mlci/cache/e': '', 'src/__pycache__/a.pyc': '',
      '.pytest_cache/v': '', 'sub/.mypy_cache/m': '', '.ruff_cache/r': '',
    })
    const found = findFiles({ cwd: dir, patterns: ['**/*'] }).map((f) => relative(dir, f.path)).sort()
    expect(found).toEqual(['.env.example', 'conf/.settings', 'src/a.py'])
    // A glob naming a skipped folder finds nothing in it either.
    expect(findFiles({ cwd: dir, patterns: ['node_modules/**', '.git'] })).toEqual([])
  })
})
