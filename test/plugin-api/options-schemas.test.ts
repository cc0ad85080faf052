import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'

// A third-party plugin that declares a Standard Schema of its own (a hand-written one, as
// valibot or zod would provide): core validates it like the shape-language schemas.
const STANDARD = `
import { definePlugin } from '@mlci/core'
const schema = { '~standard': { version: 1, vendor: 'hand', validate(value) {
  const issues = []
  if (value?.limit !== undefined && typeof value.limit !== 'number') issues.push({ message: 'Expected a number', path: ['limit'] })
  return issues.length ? { issues } : { value: value ?? {} }
} } }
export default definePlugin({ name: 'mlci-plugin-limit', options: schema }, (o) => ({ name: 'mlci-plugin-limit', apply() {} }))
`

describe('options schemas are validated by core, all plugins at once', () => {
  it('a .ts config with option errors in three plugins exits 2 listing every one with its key path and a did-you-mean', async () => {
    const dir = testdir({
      'limit.mjs': STANDARD,
      'mlci.config.ts': `
        import { defineConfig } from '@mlci/core'
        import pytest from '@mlci/plugin-pytest'
        import trainer from '@mlci/plugin-trainer'
        import semver from '@mlci/plugin-semver'
        import limit from './limit.mjs'
        export default defineConfig({ plugins: [
          pytest({ agrs: ['-x'] } as never),
          trainer({ command: 'python3 train.py', timout: 5 } as never),
          semver({ gate: { accuracy: { min: 'high' } } } as never),
          limit({ limit: 'abc' }),
        ] })`,
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toContain('4 plugins')
    expect(r.stderr).toContain('@mlci/plugin-pytest.agrs is not a known option (did you mean "args"?')
    expect(r.stderr).toContain('@mlci/plugin-trainer.command must be an array of strings, got the string "python3 train.py"')
    expect(r.stderr).toContain('@mlci/plugin-trainer.timout is not a known option (did you mean "timeout"?')
    expect(r.stderr).toMatch(/@mlci\/plugin-semver\.gate\.accuracy\.min must be/)
    expect(r.stderr).toContain('mlci-plugin-limit.limit: Expected a number')
    // Nothing ran: no run record, no state written.
    expect(r.stdout).not.toMatch(/verify|test/)
  })

  it('a zod schema (Standard Schema) declared by a plugin: its issues, paths and transformed output reach the plugin', async () => {
    const dir = testdir({
      'zodded.mjs': `import { z } from 'zod'
import { definePlugin } from '@mlci/core'
const schema = z.strictObject({ limit: z.number().int().min(1), tags: z.array(z.string()).default([]) })
export default definePlugin({ name: 'mlci-plugin-zodded', options: schema }, (o) => ({ name: 'mlci-plugin-zodded', apply(mlci) {
  mlci.hooks.verify.tapPromise('mlci-plugin-zodded', async (ctx) => ctx.log.info('limit ' + o.limit + ' tags ' + JSON.stringify(o.tags)))
} }))`,
      'mlci.config.json': JSON.stringify({ plugins: [['./zodded.mjs', { limit: 0, tags: ['a', 3] }]] }),
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toMatch(/mlci-plugin-zodded\.limit: .*>=1/)
    expect(r.stderr).toMatch(/mlci-plugin-zodded\.tags\[1\]: .*string/)
    writeFileSync(join(dir, 'mlci.config.json'), JSON.stringify({ plugins: [['./zodded.mjs', { limit: 3 }]] }))
    const ok = await runCli(['build'], { cwd: dir })
    expect(ok.code, ok.output).toBe(0)
    expect(ok.stdout).toContain('limit 3 tags []') // zod's default reached the factory
  })

  it('a JSON config gets the same report, including a factory that validates by itself', async () => {
    const dir = testdir({
      'own.mjs': `import { validateOptions } from '@mlci/core'
        export default (o) => { validateOptions('mlci-plugin-own', o, { size: 'integer' }); return { name: 'mlci-plugin-own', apply() {} } }`,
      'mlci.config.json': JSON.stringify({ plugins: [
        ['@mlci/plugin-rollback', { recover: 'yes' }],
        ['@mlci/plugin-local', { command: ['python3', 'serve.py'], prot: 1 }],
        ['./own.mjs', { size: 1.5 }],
      ] }),
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toContain('@mlci/plugin-rollback.recover must be a boolean, got the string "yes"')
    expect(r.stderr).toContain('@mlci/plugin-local.prot is not a known option (did you mean "port"?')
    expect(r.stderr).toContain('mlci-plugin-own.size must be an integer, got a number (1.5)')
  })
})
