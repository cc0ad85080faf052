import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'

// Two trainings of different sizes: one first-party plugin listed twice with instance names.
const TRAIN = `import { mkdirSync, writeFileSync } from 'node:fs'
const size = process.argv[2]
mkdirSync('out', { recursive: true })
writeFileSync('out/' + size + '.json', JSON.stringify({ size }))
writeFileSync('out/' + size + '-metrics.json', JSON.stringify({ [size + '_accuracy']: size === 'small' ? 0.8 : 0.9 }))
console.log('trained ' + size)
`

describe('one plugin used twice through the instance `name` convention', () => {
  it('two trainer instances train, record, cache and list separately', async () => {
    const dir = testdir({
      'train.mjs': TRAIN,
      'mlci.config.ts': `
        import { defineConfig } from '@mlci/core'
        import trainer from '@mlci/plugin-trainer'
        const common = { inputs: ['train.mjs'] }
        export default defineConfig({ plugins: [
          trainer({ name: 'small', command: ['node', 'train.mjs', 'small'], outputs: ['out/small.json'], metrics: 'out/small-metrics.json', ...common }),
          trainer({ name: 'large', command: ['node', 'train.mjs', 'large'], outputs: ['out/large.json'], metrics: 'out/large-metrics.json', ...common }),
        ] })`,
    })
    const plugins = await runCli(['plugins'], { cwd: dir })
    expect(plugins.code, plugins.output).toBe(0)
    expect(plugins.stdout).toMatch(/train\n\s+1\. @mlci\/plugin-trainer#small@[\d.]+\s+stage NORMAL[^\n]*\n\s+2\. @mlci\/plugin-trainer#large@/)
    const first = await runCli(['build'], { cwd: dir })
    expect(first.code, first.output).toBe(0)
    expect(first.stdout).toMatch(/\[train\] ✓ @mlci\/plugin-trainer#small/)
    expect(first.stdout).toMatch(/\[train\] ✓ @mlci\/plugin-trainer#large/)
    expect(JSON.parse(readFileSync(join(dir, 'out/small.json'), 'utf8'))).toEqual({ size: 'small' })
    expect(JSON.parse(readFileSync(join(dir, 'out/large.json'), 'utf8'))).toEqual({ size: 'large' })
    const runs = readdirSync(join(dir, '.mlci/runs')).filter((f) => f.endsWith('.json'))
    const record = JSON.parse(readFileSync(join(dir, '.mlci/runs', runs[0]), 'utf8'))
    expect(record.plugins.map((p: { name: string }) => p.name)).toEqual(['@mlci/plugin-trainer#small', '@mlci/plugin-trainer#large', 'mlci:report']) // the report plugin is added by default
    expect(record.data.metrics).toEqual({ small_accuracy: 0.8, large_accuracy: 0.9 })
    const train = record.phases.find((p: { name: string }) => p.name === 'train')
    expect(train.taps.map((t: { plugin: string }) => t.plugin)).toEqual(['@mlci/plugin-trainer#small', '@mlci/plugin-trainer#large'])
    // Both instances declared their inputs: the phase is cacheable and the second build replays it.
    const second = await runCli(['build'], { cwd: dir })
    expect(second.code, second.output).toBe(0)
    expect(second.stdout).not.toMatch(/\[train\] ✓/)
    expect(second.stdout).toMatch(/train.*cached/)
  })

  it('listing a plugin twice without instance names says how to name them', async () => {
    const dir = testdir({
      'mlci.config.json': JSON.stringify({ plugins: [['@mlci/plugin-rollback', {}], ['@mlci/plugin-rollback', {}]] }),
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Plugin "@mlci/plugin-rollback" is listed twice')
    expect(r.stderr).toContain('`name` option')
  })
})
