// The registry's rules in detail, on the embedded (file) backend: ordering, lookups, the errors a
// person reads (message and hint), the ledger's reasons, and writes that happen only on change.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { testdir } from '../../../../test/helpers/testdir.js'
import { createEmbeddedRegistry, statusThroughUpdate } from './registry.js'
import type { NewModelVersion } from './types.js'

function lineage(version: string, extra: Partial<NewModelVersion> = {}): NewModelVersion {
  return { version, runId: `run-${version}`, fingerprint: `fp-${version}`, ...extra }
}

async function ready(registry: ReturnType<typeof createEmbeddedRegistry>, version: string) {
  await registry.create(lineage(version))
  await registry.setStatus(version, 'ready', { reason: 'deployed', by: 'test' })
}

afterEach(() => {
  vi.useRealTimers()
})

describe('registry rules', () => {
  it('lists versions oldest first, and by version name when created in the same millisecond', async () => {
    const registry = createEmbeddedRegistry(testdir())
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-01-01T00:00:00.000Z'))
    await registry.create(lineage('0.3.0'))
    await registry.create(lineage('0.1.0'))
    vi.setSystemTime(new Date('2025-06-01T00:00:00.000Z'))
    await registry.create(lineage('0.2.0'))
    expect((await registry.list()).map((v) => v.version)).toEqual(['0.2.0', '0.1.0', '0.3.0'])
  })

  it('resolves v1.0.0 to 1.0.0 but never strips a "v" from the middle of a name', async () => {
    const registry = createEmbeddedRegistry(testdir())
    await registry.create(lineage('1.0.0'))
    expect((await registry.resolve('v1.0.0'))?.version).toBe('1.0.0')
    await registry.create(lineage('0.0.0-v1'))
    expect(await registry.resolve('1.0.0-v1')).toBeUndefined()
  })

  it('refuses a version without fingerprint or runId, and a second create names the first and what to do', async () => {
    const registry = createEmbeddedRegistry(testdir())
    for (const bad of [{ version: '1.0.0', runId: 'r' }, { version: '1.0.0', fingerprint: 'f' }]) {
      await expect(registry.create(bad as NewModelVersion)).rejects.toMatchObject({ code: 'MLCI_USAGE', message: 'Version 1.0.0 needs a fingerprint and a runId.' })
    }
    await registry.create(lineage('1.0.0'))
    await expect(registry.create(lineage('1.0.0'))).rejects.toMatchObject({
      code: 'MLCI_STATE_CONFLICT', hint: 'Versions are written once: pick the next free version number.',
    })
  })

  it('update() fills a lineage field that is still empty, accepts the same one in any key order, refuses a missing version', async () => {
    const registry = createEmbeddedRegistry(testdir())
    await registry.create(lineage('1.0.0', { metrics: { b: 2, a: 1 } }))
    await expect(registry.update('1.0.0', { params: { lr: 0.1 } })).resolves.toMatchObject({ params: { lr: 0.1 } })
    await expect(registry.update('1.0.0', { metrics: { a: 1, b: 2 }, description: 'x' } as never)).resolves.toMatchObject({ metrics: { a: 1, b: 2 } })
    await expect(registry.update('1.0.0', { metrics: { a: 1, b: 3 } })).rejects.toMatchObject({ code: 'MLCI_STATE_CONFLICT' })
    await expect(registry.update('9.9.9', { params: {} })).rejects.toMatchObject({ code: 'MLCI_NOT_FOUND', message: `No model version 9.9.9 in ${registry.backend.location}.` })
  })

  it('an alias moved by someone else is refused with what it points to and what to do', async () => {
    const registry = createEmbeddedRegistry(testdir())
    await ready(registry, '1.0.0')
    await expect(registry.moveAlias('live', '1.0.0', { expected: '0.9.0', by: 't' })).rejects.toMatchObject({
      code: 'MLCI_STATE_CONFLICT',
      message: 'Alias "live" points to nothing, not 0.9.0 as expected; it was not moved.',
      hint: 'Another process moved it first. Read the alias again and decide again (see `mlci history`).',
    })
  })

  it("a move's own reason wins over the call's; a move to where it points writes nothing; each write bumps the revision by one", async () => {
    const registry = createEmbeddedRegistry(testdir())
    await ready(registry, '1.0.0')
    const revision = async () => (await registry.backend.readAliases()).revision
    const start = await revision()
    const moved = await registry.moveAliases([{ alias: 'live', to: '1.0.0', reason: 'release' }, { alias: 'canary', to: '1.0.0' }], { by: 't', reason: 'default' })
    expect(moved.map((m) => [m.alias, m.reason])).toEqual([['live', 'release'], ['canary', 'default']])
    expect(await revision()).toBe(start + 1)
    expect(await registry.moveAliases([{ alias: 'live', to: '1.0.0', expected: '1.0.0' }], { by: 't' })).toEqual([])
    expect(await revision()).toBe(start + 1)
    expect(await registry.ledger()).toHaveLength(2 + 1) // the two moves and the status change
  })

  it('refuses live = previous, a failed target (with its reason) and a pending one for live, each with a hint', async () => {
    const registry = createEmbeddedRegistry(testdir())
    await ready(registry, '1.0.0')
    await expect(registry.moveAliases([{ alias: 'live', to: '1.0.0' }, { alias: 'previous', to: '1.0.0' }], { by: 't' })).rejects.toMatchObject({
      message: 'Cannot point both "live" and "previous" at 1.0.0.', hint: '`previous` is what a rollback returns to; it must differ from `live` (or be unset).',
    })
    await expect(registry.moveAlias('live', '7.0.0', { by: 't' })).rejects.toMatchObject({
      code: 'MLCI_NOT_FOUND', message: `Cannot point "live" at 7.0.0: no such version in ${registry.backend.location}.`,
    })
    await registry.create(lineage('2.0.0'))
    await expect(registry.moveAlias('live', '2.0.0', { by: 't' })).rejects.toMatchObject({
      message: 'Cannot point "live" at 2.0.0: it is pending, and "live" only names ready versions.', hint: 'A version becomes ready when its deploy (and monitor) succeeded.',
    })
    await registry.setStatus('2.0.0', 'failed', { reason: 'accuracy fell', by: 't' })
    await expect(registry.moveAlias('canary', '2.0.0', { by: 't' })).rejects.toMatchObject({
      message: 'Cannot point "canary" at 2.0.0: it is failed (accuracy fell).', hint: expect.stringContaining('`mlci registry mark <version> ready --reason …`'),
    })
  })

  it('setStatus: a missing version, a forbidden move (with the override in the hint); the same status changes nothing', async () => {
    const registry = createEmbeddedRegistry(testdir())
    await expect(registry.setStatus('3.0.0', 'ready', { reason: 'r', by: 't' })).rejects.toMatchObject({ code: 'MLCI_NOT_FOUND', message: `No model version 3.0.0 in ${registry.backend.location}.` })
    await ready(registry, '1.0.0')
    await registry.moveAlias('live', '1.0.0', { by: 't' })
    const before = await registry.backend.readAliases()
    await registry.setStatus('1.0.0', 'ready', { reason: 'again', by: 't' })
    expect(await registry.backend.readAliases()).toEqual(before)
    await registry.setStatus('1.0.0', 'failed', { reason: 'broke', by: 't' })
    const after = await registry.backend.readAliases()
    expect(after.revision).toBe(before.revision + 1)
    expect(after.aliases.live).toBeUndefined()
    expect(after.ledger.at(-1)).toMatchObject({ alias: 'live', from: '1.0.0', reason: '1.0.0 failed: broke' })
    await expect(registry.setStatus('1.0.0', 'ready', { reason: 'r', by: 't' })).rejects.toMatchObject({
      code: 'MLCI_STATE_CONFLICT', message: 'Model version 1.0.0 cannot go from failed to ready.', hint: expect.stringContaining('`mlci registry mark <version> ready --reason …`'),
    })
  })

  it('a status change through update() names who tried, and how a person repairs a status', () => {
    expect(statusThroughUpdate('1.0.0', 'pending', 'ready')).toMatchObject({
      code: 'MLCI_STATE_CONFLICT', message: 'registry.update() tried to change the status of 1.0.0 (pending → ready) through registry.update(); only the release state changes statuses.',
      hint: expect.stringContaining('`mlci registry mark <version> ready|failed --reason …`'),
    })
    expect(statusThroughUpdate('1.0.0', 'pending', 'ready', 'my-plugin')).toMatchObject({ message: expect.stringMatching(/^Plugin my-plugin tried/), plugin: 'my-plugin' })
  })
})
