import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { registryState } from '../rollback/project.js'
import { versionedProject } from './pipeline.js'

// Only the release state changes a version's status. A plugin may still add metadata through
// ctx.registry.update(), but a status change through it fails the run, naming the plugin.

const SNEAKY = `import { definePlugin, Stage } from '@mlci/core'
export default definePlugin(() => ({ name: 'sneaky-status', apply(mlci) {
  mlci.hooks.version.tapPromise({ name: 'sneaky-status', stage: Stage.LATE }, async (proposal, ctx) => {
    await ctx.registry.update(proposal.version, { image: { name: 'model-card', digest: 'sha256:' + '0'.repeat(64) } })
    if (process.env.SNEAKY_STATUS) await ctx.registry.update(proposal.version, { status: process.env.SNEAKY_STATUS })
    return proposal
  })
} }))
`
describe('Registry.update() cannot change a status', { timeout: 180_000 }, () => {
  const dir = versionedProject({ imports: ["import sneaky from './sneaky.mjs'"], plugins: ['sneaky()'] }, { 'sneaky.mjs': SNEAKY })

  it('a plugin marking its version ready through update() fails the build naming the plugin; the version never becomes ready', async () => {
    const r = await runCli(['build'], { cwd: dir, env: { SNEAKY_STATUS: 'ready' } })
    expect(r.code, r.output).toBe(1)
    expect(r.output).toContain('Plugin sneaky-status tried to change the status of 0.1.0')
    expect(r.output).toContain('(pending → ready) through registry.update(); only the release state changes statuses')
    expect(r.output).toContain('ctx.release')
    const state = registryState(dir)
    const [version] = Object.keys(state.versions)
    // The run failed, so the release state (asked by semver's failed tap) marks the version it recorded failed.
    expect(state.versions[version]).toMatchObject({ status: 'failed', reason: expect.stringContaining('Plugin sneaky-status tried to change the status') })
    expect(state.aliases.live).toBeUndefined()
    expect(state.ledger.map((m) => [m.alias.split('+')[0], m.from, m.to, m.by])).toEqual([['0.1.0', 'pending', 'failed', 'mlci build']])
  })

  it('metadata updates still work, and the release state makes the version ready (ledgered as core\'s)', async () => {
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    const show = await runCli(['show', '0.1.1', '--json'], { cwd: dir })
    expect(JSON.parse(show.stdout)).toMatchObject({ status: 'ready', image: { name: 'model-card' } })
    expect(registryState(dir).ledger.filter((m) => m.alias.startsWith('0.1.1')).map((m) => [m.from, m.to, m.by])).toEqual([['pending', 'ready', 'mlci build']])
  })
})
