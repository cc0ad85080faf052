import { describe, expect, it } from 'vitest'
import { Mlci } from './mlci.js'
import type { MlciPlugin } from './plugin.js'
import type { TapInfo } from './tap-interceptor.js'
import { verifyRuns, verifyScope } from './verify-scope.js'

// Fast unit checks of the scope rule; test/verify-phases.test.ts drives it through the real CLI.

function core(...plugins: MlciPlugin[]): Mlci {
  return new Mlci({ config: { root: process.cwd(), plugins: plugins.map((plugin) => ({ plugin, source: 'config' as const })) } })
}
const noop = async () => undefined
const verifyOf = (mlci: Mlci, plugin: string): TapInfo => mlci.tapsOf('verify').find((t) => t.plugin === plugin)!

describe('verify scope', () => {
  const mlci = core(
    { name: 'deployer', apply: (m) => { m.hooks.verify.tapPromise({ name: 'deployer', phases: ['deploy'] }, noop); m.hooks.deploy.tapPromise('deployer', noop); m.hooks.version.tapPromise('deployer', async (p) => p) } },
    { name: 'policy', apply: (m) => { m.hooks.verify.tapPromise('policy', noop); m.hooks.rollback.tapPromise('policy', noop) } },
    { name: 'tests', apply: (m) => { m.hooks.verify.tapPromise('tests', noop); m.hooks.test.tapPromise('tests', noop); m.hooks.done.tapPromise('tests', noop) } },
    { name: 'preflight', apply: (m) => { m.hooks.verify.tapPromise('preflight', noop); m.hooks.report.tapPromise('preflight', async (r) => r) } },
  )

  it('is the declared phases, else the phases the plugin taps (rollback: the phases that lead to it); run-level hooks do not count', () => {
    expect(verifyScope(verifyOf(mlci, 'deployer'), mlci.taps)).toEqual(['deploy'])
    expect(verifyScope(verifyOf(mlci, 'policy'), mlci.taps)).toEqual(['deploy', 'monitor'])
    expect(verifyScope(verifyOf(mlci, 'tests'), mlci.taps)).toEqual(['test'])
    expect(verifyScope(verifyOf(mlci, 'preflight'), mlci.taps)).toEqual([])
  })

  it('a check runs when one of its phases runs; a pure preflight always; everything outside a lifecycle run', () => {
    const runs = (plugin: string, phases?: string[]) => verifyRuns(verifyOf(mlci, plugin), mlci.taps, phases)
    expect(runs('deployer', ['verify', 'test', 'train', 'version'])).toBe(false)
    expect(runs('deployer', ['verify', 'deploy'])).toBe(true)
    expect(runs('policy', ['verify', 'monitor'])).toBe(true)
    expect(runs('tests', ['verify', 'train'])).toBe(false)
    expect(runs('preflight', ['verify'])).toBe(true)
    expect(runs('deployer', undefined)).toBe(true)
    expect(mlci.activeTapsOf('verify', ['verify', 'test']).map((t) => t.plugin)).toEqual(['tests', 'preflight'])
  })

  it('a verify tap whose `phases` names no phase is refused when tapped, naming the plugin', () => {
    expect(() => core({ name: 'typo', apply: (m) => m.hooks.verify.tapPromise({ name: 'typo', phases: ['deplyo' as 'deploy'] }, noop) }))
      .toThrow(/Plugin typo: the `phases` of its verify tap must be a non-empty list of phases, got \["deplyo"\]/)
  })
})
