import { existsSync } from 'node:fs'
import { definePlugin, type MlciPlugin } from '@mlci/core'
import { describe, expect, it } from 'vitest'
import { createTestRun } from './index.js'

const runner = definePlugin(() => ({
  name: 'runner',
  apply(mlci) {
    mlci.hooks.test.tapPromise('runner', async (ctx) => {
      const r = await ctx.exec(['pytest', '-q'])
      ctx.log.info(`pytest said ${r.stdout.trim()}`)
    })
  },
}))

const vetoer: MlciPlugin = { name: 'vetoer', apply(mlci) { mlci.hooks.gate.tapPromise('vetoer', async () => ({ reason: 'too small' })) } }

describe('@mlci/testing', () => {
  let first: string | undefined
  it('removes the temp project after the test without being asked', async () => {
    const t = await createTestRun({ plugins: [], files: { 'a.txt': 'x' } })
    first = t.dir
    expect(existsSync(t.dir)).toBe(true)
  })
  it('(the previous test\'s project is gone)', () => {
    expect(first && existsSync(first)).toBe(false)
  })

  it('answers ctx.exec with the stub, records the calls, and fails on a non-zero exit like the real exec', async () => {
    const ok = await createTestRun({ plugins: [runner()], exec: (argv) => ({ stdout: `${argv.length} args ok\n` }) })
    const passed = await ok.run({ only: ['test'] })
    expect(passed.exitCode).toBe(0)
    expect(ok.logsOf('runner')).toContain('pytest said 2 args ok')
    expect(ok.execCalls).toMatchObject([{ argv: ['pytest', '-q'], plugin: 'runner', phase: 'test' }])
    const failing = await createTestRun({ plugins: [runner()], exec: () => ({ exitCode: 1, stderr: 'E   assert 0' }) })
    const failed = await failing.run({ only: ['test'] })
    expect(failed.exitCode).toBe(1)
    expect(String(failed.error)).toContain('pytest -q')
  })

  it('reports the exit code mlci would end with (a veto is 3)', async () => {
    const t = await createTestRun({ plugins: [vetoer] })
    expect((await t.run({ only: ['gate'] })).exitCode).toBe(3)
    const { result } = await t.callHook('gate')
    expect(result).toEqual({ reason: 'too small', plugin: 'vetoer' })
  })

  it('loads plugins by specifier as a JSON config does, options validated', async () => {
    const t = await createTestRun({ plugins: [['@mlci/plugin-rollback', { recover: false }]] })
    expect(t.mlci.config.plugins.map((p) => p.plugin.name)).toContain('@mlci/plugin-rollback')
    await expect(createTestRun({ plugins: [['@mlci/plugin-rollback', { recovr: false }]] })).rejects.toThrow(/did you mean "recover"/)
  })
})
