import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { testdir } from './helpers/testdir.js'

// A cacheable test and train phase, written as a user's plugin would be (no Python needed).
const PLUGIN = `
import { definePlugin } from '@mlci/core'
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
export default definePlugin((o = {}) => ({ name: 'fake-ml', version: '1.0.0', apply(mlci) {
  mlci.declare({ phase: 'test', inputs: ['tests'] })
  mlci.declare({ phase: 'train', inputs: ['data.csv'], outputs: ['out'], params: o, env: ['FAKE_SEED'] })
  mlci.hooks.test.tapPromise('fake-ml', async (ctx) => { appendFileSync(join(ctx.cwd, 'ran.log'), 'test\\n') })
  mlci.hooks.train.tapPromise('fake-ml', async (ctx) => {
    appendFileSync(join(ctx.cwd, 'ran.log'), 'train\\n')
    ctx.log.output('training on ' + readFileSync(join(ctx.cwd, 'data.csv'), 'utf8').trim())
    mkdirSync(join(ctx.cwd, 'out'), { recursive: true })
    writeFileSync(join(ctx.cwd, 'out/model.txt'), 'model ' + readFileSync(join(ctx.cwd, 'data.csv'), 'utf8'))
    ctx.data.metrics = { accuracy: 0.9 }
  })
} }))
`

function project(): string {
  return testdir({
    'plugin.mjs': PLUGIN,
    'mlci.config.mjs': `import fake from './plugin.mjs'\nexport default { plugins: [fake({ epochs: 3 })] }\n`,
    'data.csv': 'x,y\n1,2\n',
    'tests/test_a.py': 'def test_a(): pass\n',
  })
}

const ran = (dir: string) => (existsSync(join(dir, 'ran.log')) ? readFileSync(join(dir, 'ran.log'), 'utf8').trim().split('\n') : [])

describe('mlci build with the phase cache (built CLI)', () => {
  it('--dry-run --check is a side-effect-free freshness gate', async () => {
    const dir = project()
    const fresh = await runCli(['build', '--dry-run', '--check'], { cwd: dir })
    expect(fresh.code, fresh.output).toBe(1)
    expect(fresh.stderr).toContain('Out of date: test, train would run.')
    expect(fresh.stderr).toContain('- train: no previous run')
    expect(ran(dir)).toEqual([])
    for (const path of ['.mlci/lock', '.mlci/runs', '.mlci/cache', '.mlci/objects']) expect(existsSync(join(dir, path)), path).toBe(false)

    const first = await runCli(['build'], { cwd: dir })
    expect(first.code, first.output).toBe(0)
    expect(ran(dir)).toEqual(['test', 'train'])

    const upToDate = await runCli(['build', '--dry-run', '--check'], { cwd: dir })
    expect(upToDate.code, upToDate.output).toBe(0)
    expect(upToDate.stdout).toMatch(/\[train\] ↺ cached \(up to date\)/)

    writeFileSync(join(dir, 'data.csv'), 'x,y\n1,3\n')
    const changed = await runCli(['build', '--dry-run', '--check'], { cwd: dir })
    expect(changed.code, changed.output).toBe(1)
    expect(changed.stderr).toContain('Out of date: train would run.')
    expect(changed.stderr).toContain('- train: changed: data.csv')
    const env = await runCli(['build', '--dry-run', '--check'], { cwd: dir, env: { FAKE_SEED: '7' } })
    expect(env.stderr).toContain('- train: env FAKE_SEED changed; changed: data.csv')
    expect(ran(dir)).toEqual(['test', 'train'])
  })

  it('skips cached phases, explains why each phase runs, and honours --force', async () => {
    const dir = project()
    expect((await runCli(['build'], { cwd: dir })).code).toBe(0)
    const cached = await runCli(['build', '--explain'], { cwd: dir })
    expect(cached.code, cached.output).toBe(0)
    expect(cached.stdout).toContain('test: cached — inputs unchanged')
    expect(cached.stdout).toContain('train: cached — inputs unchanged')
    expect(cached.stdout).toContain('(replay) training on x,y')
    expect(ran(dir)).toEqual(['test', 'train'])

    writeFileSync(join(dir, 'tests/test_b.py'), 'def test_b(): pass\n')
    const testOnly = await runCli(['build', '--explain'], { cwd: dir })
    expect(testOnly.stdout).toContain('test: runs — added: tests/test_b.py')
    expect(testOnly.stdout).toContain('train: cached — inputs unchanged')
    expect(ran(dir)).toEqual(['test', 'train', 'test'])

    const forced = await runCli(['build', '--force', 'train', '--explain'], { cwd: dir })
    expect(forced.stdout).toContain('train: runs — forced')
    expect(ran(dir)).toEqual(['test', 'train', 'test', 'train'])
    await runCli(['build', '--force'], { cwd: dir })
    expect(ran(dir).slice(4)).toEqual(['test', 'train'])
  })

  it('mlci cache status / gc / clear', async () => {
    const dir = project()
    expect((await runCli(['build'], { cwd: dir })).code).toBe(0)
    const status = await runCli(['cache', 'status', '--json'], { cwd: dir })
    expect(status.code, status.output).toBe(0)
    const parsed = JSON.parse(status.stdout) as { entries: { phase: string }[]; maxBytes: number }
    expect(parsed.entries.map((e) => e.phase).sort()).toEqual(['test', 'train'])
    expect(parsed.maxBytes).toBe(2048 * 1024 * 1024)

    const gc = await runCli(['cache', 'gc', '--max-size', '0'], { cwd: dir })
    expect(gc.code, gc.output).toBe(0)
    expect(gc.stdout).toContain('evicted 2 entries')
    expect(existsSync(join(dir, '.mlci/lock'))).toBe(false)
    const rebuilt = await runCli(['build'], { cwd: dir })
    expect(rebuilt.code, rebuilt.output).toBe(0) // the output says why, if it ever fails
    expect(ran(dir)).toEqual(['test', 'train', 'test', 'train'])

    const clear = await runCli(['cache', 'clear'], { cwd: dir })
    expect(clear.code, clear.output).toBe(0)
    expect(clear.stdout).toContain('cleared 2 entries')
    expect((await runCli(['build'], { cwd: dir })).code).toBe(0)
    expect(ran(dir)).toHaveLength(6)

    const bad = await runCli(['cache', 'shrink'], { cwd: dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('Unknown cache action "shrink"')
  })
})
