import { describe, expect, it } from 'vitest'
import { Mlci, createEmbeddedRegistry, type LogEntry, type RollbackRequest } from '@mlci/core'
import { join } from 'node:path'
import { releasedInTurn } from '../../../test/helpers/released.js'
import { testdir } from '../../../test/helpers/testdir.js'
import rollback from './index.js'

// The rollback policy inside the real core and embedded registry, called the way core calls it.

async function project(): Promise<{ mlci: Mlci; dir: string }> {
  const dir = testdir()
  await releasedInTurn(dir, ['1.0.0', '2.0.0'])
  return { mlci: new Mlci({ config: { root: dir, plugins: [{ plugin: rollback(), source: 'config' }] } }), dir }
}

describe('rollback policy', () => {
  it('a failure that names no candidate leaves the live version: it is never the target, and it says so', async () => {
    const { mlci, dir } = await project()
    const log: LogEntry[] = []
    const ctx = mlci.createContext({ command: 'mlci monitor' }, new AbortController().signal, 'run-1', log)
    const request: RollbackRequest = { trigger: 'failure', error: new Error('p95 too high'), failedPhase: 'monitor' }
    await mlci.hooks.rollback.promise(request, { ...ctx, phase: 'rollback' })
    expect(ctx.data.rollback).toMatchObject({ from: '2.0.0', to: '1.0.0', ok: true })
    const lines = log.map((e) => `${e.level} ${e.message}`)
    expect(lines).toContain('warn Not rolling back to 2.0.0: it is the version being left.')
    expect(lines.filter((l) => l.includes('Rolling back to'))).toEqual(['info Rolling back to 1.0.0 (from 2.0.0)…'])
    const aliases = await createEmbeddedRegistry(join(dir, '.mlci')).aliases()
    expect(aliases.live).toBe('1.0.0')
  })
})
