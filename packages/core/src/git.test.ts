import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { gitState } from './git.js'

describe('gitState', () => {
  it('is undefined outside a repository and before the first commit; tracks dirt but not .mlci/', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlci-git-'))
    try {
      expect(await gitState(dir)).toBeUndefined()
      const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' }).trim()
      git('init', '-q')
      expect(await gitState(dir)).toBeUndefined()
      writeFileSync(join(dir, 'train.py'), 'print(1)\n')
      git('add', '.')
      git('commit', '-q', '-m', 'init')
      expect(await gitState(dir)).toEqual({ commit: git('rev-parse', 'HEAD'), dirty: false })
      mkdirSync(join(dir, '.mlci'))
      writeFileSync(join(dir, '.mlci/state.json'), '{}')
      expect((await gitState(dir))?.dirty).toBe(false)
      writeFileSync(join(dir, 'data.csv'), 'a\n')
      expect((await gitState(dir))?.dirty).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
