import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'
import { lastRecord } from './records.js'

const PLUGINS = `
import { definePlugin } from '@mlci/core'
export const asyncApply = definePlugin(() => ({ name: 'async-apply', async apply(mlci) {
  await Promise.resolve()
  mlci.hooks.test.tapPromise('async-apply', async () => {})
} }))
export const typo = definePlugin(() => ({ name: 'typo-plugin', apply(mlci) {
  mlci.hooks.tset.tapPromise('typo-plugin', async () => {})
} }))
export const gate = definePlugin((o) => ({ name: o.name, apply(mlci) {
  mlci.hooks.gate.tapPromise(o.name, async () => o.result)
} }))
`

function project(config: string): string {
  return testdir({ 'plugins.mjs': PLUGINS, 'mlci.config.mjs': config })
}

describe('the plugin contract is enforced', () => {
  it('an async apply() is a config error (exit 2) naming the plugin', async () => {
    const dir = project(`import { asyncApply } from './plugins.mjs'\nexport default { plugins: [asyncApply()] }`)
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toContain('Plugin async-apply: apply() returned a promise')
    expect(existsSync(join(dir, '.mlci'))).toBe(false)
  })

  it('tapping an unknown hook names the hook and lists the valid ones (exit 2)', async () => {
    const dir = project(`import { typo } from './plugins.mjs'\nexport default { plugins: [typo()] }`)
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toContain('Plugin typo-plugin taps an unknown hook "tset"')
    expect(r.stderr).toMatch(/Hooks are: initialize, verify, test, validate, train, evaluate, gate, version, deploy, monitor, rollback, sections, report, done, failed, publish, recorded, watchRun, invalid/)
    expect(r.stderr).not.toContain('Cannot read properties')
  })

  for (const [label, result] of [['"nope"', '"nope"'], ['{}', '{}']] as const) {
    it(`a gate tap returning ${label} is an error naming the plugin, not a veto`, async () => {
      const dir = project(`import { gate } from './plugins.mjs'\nexport default { plugins: [gate({ name: 'sloppy-gate', result: ${result} })] }`)
      const r = await runCli(['build'], { cwd: dir })
      expect(r.code, r.output).toBe(1)
      expect(r.stderr).toMatch(/The gate tap of sloppy-gate returned .* which is not a Veto/)
      expect(r.stderr).not.toContain('Vetoed: undefined')
      expect(lastRecord(dir).error).toMatchObject({ code: 'MLCI_TAP_RESULT_INVALID', plugin: 'sloppy-gate', phase: 'gate' })
    })
  }

  it('a veto is recorded with the plugin that vetoed (exit 3)', async () => {
    const dir = project(`import { gate } from './plugins.mjs'
      export default { plugins: [gate({ name: 'passing-gate' }), gate({ name: 'strict-gate', result: { reason: 'accuracy 0.5 < 0.9' } })] }`)
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(3)
    expect(lastRecord(dir).error).toMatchObject({ code: 'MLCI_VETOED', message: 'Vetoed: accuracy 0.5 < 0.9', plugin: 'strict-gate' })
  })
})
