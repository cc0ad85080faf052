import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createEmbeddedRegistry } from '@mlci/core'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'

// `mlci registry verify|repair` on aliases a hand edit (or a pre-invariant mlci) left wrong.
describe('mlci registry verify / repair', { timeout: 300_000 }, () => {
  it('finds live naming a failed version and previous = live; repair unsets them, ledgered', async () => {
    const dir = testdir({ 'mlci.config.mjs': 'export default { plugins: [] }\n' })
    const registry = createEmbeddedRegistry(join(dir, '.mlci'))
    for (const v of ['1.0.0', '1.1.0']) {
      await registry.create({ version: v, runId: 'setup', fingerprint: `f-${v}` })
      await registry.setStatus(v, 'ready', { reason: 'setup', by: 'test' })
    }
    await registry.setStatus('1.1.0', 'failed', { reason: 'monitor', by: 'test' })
    // What an older mlci (or a hand edit) could leave: live on a failed version, previous = live.
    const file = join(dir, '.mlci', 'registry', 'aliases.json')
    const doc = JSON.parse(readFileSync(file, 'utf8'))
    writeFileSync(file, JSON.stringify({ ...doc, aliases: { live: '1.1.0', previous: '1.1.0', champion: '1.0.0' } }, null, 2))

    const verify = await runCli(['registry', 'verify'], { cwd: dir })
    expect(verify.code, verify.output).toBe(1)
    expect(verify.stdout).toContain('problem: alias live: names 1.1.0, which is failed; live may only name ready versions (repairable)')
    expect(verify.stdout).toContain('problem: alias previous: equals live (1.1.0) (repairable)')
    const json = JSON.parse((await runCli(['registry', 'verify', '--json'], { cwd: dir })).stdout)
    expect(json.ok).toBe(false)

    const repair = await runCli(['registry', 'repair'], { cwd: dir })
    expect(repair.code, repair.output).toBe(0)
    expect(repair.stdout).toContain('repaired: unset live (was 1.1.0)')
    expect(await registry.aliases()).toEqual({ champion: '1.0.0' })
    expect((await registry.ledger()).slice(-2).map((m) => [m.alias, m.from, m.to, m.by])).toEqual([['live', '1.1.0', undefined, 'mlci registry repair'], ['previous', '1.1.0', undefined, 'mlci registry repair']])
    expect((await runCli(['registry', 'verify'], { cwd: dir })).code).toBe(0)
  })

  it('usage errors name what is missing', async () => {
    const dir = testdir({ 'mlci.config.mjs': 'export default { plugins: [] }\n' })
    const r = await runCli(['registry', 'fix'], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Unknown registry action "fix"')
    const m = await runCli(['registry', 'mark', '9.9.9', 'ready', '--reason', 'x'], { cwd: dir })
    expect(m.code).toBe(1)
    expect(m.stderr).toContain('No model version 9.9.9')
  })
})
