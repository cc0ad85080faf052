import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { testdir } from './helpers/testdir.js'

// A local plugin standing in for a versioner, so the configs below need no Python.
const PROPOSER = `
import { definePlugin } from '@mlci/core'
export default definePlugin((o = {}) => ({ name: 'proposer', apply(mlci) {
  mlci.hooks.evaluate.tapPromise('proposer', async (ctx) => { ctx.data.metrics = { accuracy: 0.93 } })
  mlci.hooks.version.tapPromise('proposer', async () => ({ version: o.version ?? '2.0.0', bump: 'major', reason: 'signature changed' }))
} }))
`

describe('a published-style third-party plugin', () => {
  it('works imported in a .ts config', async () => {
    const dir = testdir({
      'proposer.mjs': PROPOSER,
      'mlci.config.ts': `
        import { defineConfig } from '@mlci/core'
        import modelCard from 'mlci-plugin-model-card'
        import proposer from './proposer.mjs'
        export default defineConfig({ plugins: [proposer({ version: '1.1.0' }), modelCard({ title: 'Demo' })] })`,
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8')).toContain('# Demo 1.1.0')
    const plugins = await runCli(['plugins'], { cwd: dir })
    expect(plugins.stdout).toMatch(/version\n\s+1\. proposer\s+stage NORMAL[^\n]*\n\s+2\. mlci-plugin-model-card@1\.0\.0\s+stage LATE/)
  })

  it('works as ["specifier", options] from a .json config', async () => {
    const dir = testdir({
      'proposer.mjs': PROPOSER,
      'mlci.config.json': JSON.stringify({ plugins: [['./proposer.mjs', { version: '3.0.0' }], ['mlci-plugin-model-card', { path: 'CARD.md' }]] }),
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(readFileSync(join(dir, 'CARD.md'), 'utf8')).toContain('| accuracy | 0.93 |')
  })

  it('a wrong option from JSON exits 2 naming the key path', async () => {
    const dir = testdir({ 'mlci.config.json': JSON.stringify({ plugins: [['mlci-plugin-model-card', { path: 7 }]] }) })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('mlci-plugin-model-card.path must be a string, got a number')
  })

  it('a plugin built for another core version fails with both versions named', async () => {
    const dir = testdir({
      'old.mjs': `export default () => ({ name: 'mlci-plugin-old', version: '0.3.0', core: '^9.0.0', apply() {} })`,
      'mlci.config.json': JSON.stringify({ plugins: ['./old.mjs'] }),
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/mlci-plugin-old@0\.3\.0 supports @mlci\/core \^9\.0\.0, but this is @mlci\/core 0\.1\.0/)
  })

  it('a plugin and a project outside any folder with @mlci/core installed still share mlci\'s core', async () => {
    // As a plugin author working in their own folder would: no node_modules anywhere near.
    const outside = mkdtempSync(join(tmpdir(), 'mlci-outside-'))
    try {
      writeFileSync(join(outside, 'plugin.mjs'), `
        import { definePlugin, Stage } from '@mlci/core'
        export default definePlugin(() => ({ name: 'outside', apply(mlci) {
          mlci.hooks.version.tapPromise({ name: 'outside', stage: Stage.LATE }, async (p, ctx) => { ctx.data.outside = p.version; return p })
          mlci.hooks.done.tapPromise('outside', async (_r, ctx) => ctx.log.info('outside saw ' + ctx.data.outside))
        } }))`)
      writeFileSync(join(outside, 'mlci.config.ts'), `
        import { defineConfig, definePlugin } from '@mlci/core'
        import outside from './plugin.mjs'
        const proposer = definePlugin(() => ({ name: 'proposer', apply(mlci) {
          mlci.hooks.version.tapPromise('proposer', async () => ({ version: '4.2.0', bump: 'major', reason: 'test' }))
        } }))
        export default defineConfig({ plugins: [proposer(), outside()] })`)
      const r = await runCli(['build'], { cwd: outside })
      expect(r.code, r.output).toBe(0)
      expect(r.stdout).toContain('outside saw 4.2.0')
      // A plugin installed next to mlci (not next to the config) is found by name, from JSON too.
      rmSync(join(outside, 'mlci.config.ts'))
      writeFileSync(join(outside, 'proposer.mjs'), `export default () => ({ name: 'proposer', apply(mlci) {
        mlci.hooks.version.tapPromise('proposer', async () => ({ version: '5.0.0', bump: 'major', reason: 'test' })) } })`)
      writeFileSync(join(outside, 'mlci.config.json'), JSON.stringify({ plugins: ['./proposer.mjs', ['mlci-plugin-model-card', { path: 'CARD.md' }], './plugin.mjs'] }))
      const json = await runCli(['build'], { cwd: outside })
      expect(json.code, json.output).toBe(0)
      expect(readFileSync(join(outside, 'CARD.md'), 'utf8')).toContain('# Model 5.0.0')
      expect(json.stdout).toContain('outside saw 5.0.0')
    } finally {
      rmSync(outside, { recursive: true, force: true })
    }
  })
})
