import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { hostname } from 'node:os'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { freshDatabase } from '../../../../../test/helpers/shared-services.js'
import { MlciError } from '../../errors.js'
import { ModelRegistry } from '../registry.js'
import type { NewModelVersion } from '../types.js'
import { PgRegistryBackend } from './backend.js'
import { closePools, parsePgUrl } from './connection.js'
import { PgJournal } from './journal.js'
import { migrate } from './migrate.js'
import { acquireReleaseLock } from './release-lock.js'

// The PostgreSQL backend against the real server from .ci/services-postgres.sh, one fresh
// database per test. Races use many concurrent writers: the database must settle them.

afterAll(() => closePools())

const registryOn = (url: string, model = 'churn') => new ModelRegistry(new PgRegistryBackend(parsePgUrl(url, 'test'), model))
const version = (v: string, runId = `run-${v}`): NewModelVersion => ({ version: v, runId, fingerprint: `fp-${v}`, metrics: { accuracy: 0.9 } })
const conflictCount = (results: PromiseSettledResult<unknown>[]) =>
  results.filter((r) => r.status === 'rejected' && MlciError.is(r.reason) && r.reason.code === 'MLCI_STATE_CONFLICT').length

describe('PostgreSQL registry backend (real server)', () => {
  it('creates the schema on first use and allocates a version number exactly once under contention', async () => {
    const url = await freshDatabase()
    // 12 "runners" (separate registries, so separate transactions) claim 0.1.0 at once.
    const runners = Array.from({ length: 12 }, () => registryOn(url))
    const results = await Promise.allSettled(runners.map((r, i) => r.create(version('0.1.0', `run-${i}`))))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(conflictCount(results)).toBe(11)
    const all = await registryOn(url).list()
    expect(all.map((v) => v.version)).toEqual(['0.1.0'])
    // The stored record is the winner's, complete.
    const winner = results.findIndex((r) => r.status === 'fulfilled')
    expect(all[0]).toMatchObject({ status: 'pending', runId: `run-${winner}`, createdBy: { pid: process.pid, host: hostname() } })
  })

  it('moves aliases by compare-and-set in a transaction: one winner, one ledger entry per move', async () => {
    const url = await freshDatabase()
    const r = registryOn(url)
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      await r.create(version(v))
      await r.setStatus(v, 'ready', { reason: 'test', by: 'test' })
    }
    // Ten runners all believe live is unset and move it: exactly one may win.
    const racers = Array.from({ length: 10 }, (_, i) => registryOn(url).moveAlias('live', i % 2 ? '1.0.0' : '1.1.0', { expected: undefined, reason: `racer ${i}`, by: 'test' }))
    const results = await Promise.allSettled(racers)
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1)
    expect(conflictCount(results)).toBe(9)
    const live = (await r.aliases()).live
    // Then ten more, each expecting the current value: again one winner, and the ledger is a chain.
    const second = await Promise.allSettled(Array.from({ length: 10 }, () => registryOn(url).moveAlias('live', '1.2.0', { expected: live, reason: 'promote', by: 'test' })))
    expect(second.filter((x) => x.status === 'fulfilled')).toHaveLength(1)
    expect(conflictCount(second)).toBe(9)
    const ledger = await aliasMoves(r)
    expect(ledger.map((m) => [m.from, m.to])).toEqual([[undefined, live], [live, '1.2.0']])
    // A failed version can never be pointed at (the rule lives in ModelRegistry, the read in the transaction).
    await r.setStatus('1.0.0', 'failed', { reason: 'broken', by: 'test' })
    await expect(r.moveAlias('live', '1.0.0', { expected: '1.2.0', reason: 'x', by: 'test' })).rejects.toMatchObject({ code: 'MLCI_STATE_CONFLICT' })
    expect(await aliasMoves(r)).toHaveLength(2)
  })

  it('refuses an alias write whose revision is stale, even outside the registry rules', async () => {
    const url = await freshDatabase()
    const backend = new PgRegistryBackend(parsePgUrl(url, 'test'), 'churn')
    const r = new ModelRegistry(backend)
    await r.create(version('1.0.0'))
    await r.setStatus('1.0.0', 'ready', { reason: 'test', by: 'test' })
    const stale = await backend.readAliases()
    await r.moveAlias('live', '1.0.0', { expected: undefined, reason: 'first', by: 'test' })
    await expect(backend.exclusive(() => backend.writeAliases({ revision: stale.revision + 1, aliases: { live: 'x' }, ledger: [] })))
      .rejects.toMatchObject({ code: 'MLCI_STATE_CONFLICT' })
    expect(await r.aliases()).toEqual({ live: '1.0.0' })
    expect(await aliasMoves(r)).toHaveLength(1)
  })

  it('keeps models apart in one database', async () => {
    const url = await freshDatabase()
    await registryOn(url, 'churn').create(version('0.1.0'))
    await registryOn(url, 'fraud').create(version('0.1.0'))
    await registryOn(url, 'fraud').create(version('0.2.0'))
    expect((await registryOn(url, 'churn').list()).map((v) => v.version)).toEqual(['0.1.0'])
    expect((await registryOn(url, 'fraud').list()).map((v) => v.version)).toEqual(['0.1.0', '0.2.0'])
  })

  it('upgrades a registry written with schema 1, keeping its versions, aliases and ledger', async () => {
    const url = await freshDatabase()
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      expect((await migrate(client, 'test', 1)).to).toBe(1)
      // Data as the first schema stored it.
      await client.query(`INSERT INTO mlci_models (name) VALUES ('churn')`)
      for (const [v, status] of [['1.0.0', 'ready'], ['1.1.0', 'failed']]) {
        await client.query('INSERT INTO mlci_versions (model, key, doc) VALUES ($1, $2, $3)', ['churn', v, JSON.stringify({
          schema: 1, kind: 'mlci.model-version', version: v, status, runId: 'r', fingerprint: 'f', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', ...(status === 'failed' ? { reason: 'bad' } : {}),
        })])
      }
      await client.query(`INSERT INTO mlci_aliases VALUES ('churn', 'live', '1.0.0')`)
      await client.query(`INSERT INTO mlci_alias_ledger VALUES ('churn', 1, $1)`, [JSON.stringify({ time: '2026-01-01T00:00:00.000Z', alias: 'live', to: '1.0.0', by: 'mlci build', reason: 'release' })])

      // An mlci that needs a newer schema refuses to touch it and says how to upgrade.
      await expect(registryOn(url).list()).rejects.toThrow(/schema 1; this mlci needs 3[\s\S]*/)
      await expect(registryOn(url).list()).rejects.toMatchObject({ hint: expect.stringContaining('mlci registry migrate') })

      const report = await migrate(client, 'test')
      expect(report).toMatchObject({ from: 1, to: 3, applied: [{ version: 2 }, { version: 3, description: 'release journal' }] })
      expect((await migrate(client, 'test')).applied).toEqual([]) // idempotent
      const { rows } = await client.query(`SELECT revision FROM mlci_models WHERE name = 'churn'`)
      expect(Number(rows[0].revision)).toBe(1)
    } finally {
      await client.end()
    }
    const r = registryOn(url)
    expect((await r.list()).map((v) => [v.version, v.status])).toEqual([['1.0.0', 'ready'], ['1.1.0', 'failed']])
    await r.create(version('1.2.0'))
    await r.setStatus('1.2.0', 'ready', { reason: 'test', by: 'test' })
    await r.moveAlias('live', '1.2.0', { expected: '1.0.0', reason: 'after upgrade', by: 'test' })
    expect((await aliasMoves(r)).map((m) => m.to)).toEqual(['1.0.0', '1.2.0'])
    // Schema 3: the model's release journal, shared by every runner, in write order.
    const a = new PgJournal(r.backend as PgRegistryBackend, { runId: 'run-a', pid: 11 })
    const b = new PgJournal(r.backend as PgRegistryBackend, { runId: 'run-b', pid: 12 })
    const open = await a.intent('release', { candidate: '1.3.0' })
    await a.note('release.deployed', { version: '1.3.0' })
    const done = await b.intent('release', { candidate: '1.4.0' })
    await b.commit(done, 'release', { outcome: 'released' })
    const pending = await b.pending((e) => e.step === 'release')
    expect(pending.map((p) => [p.intent.id, p.intent.runId, p.after.map((e) => e.step)])).toEqual([[open, 'run-a', ['release.deployed']]])
  })

  it('frees a release lock when its holder is killed with SIGKILL, and names the holder meanwhile', async () => {
    const url = await freshDatabase()
    await registryOn(url).list() // schema + model row
    // The holder is a separate process (its own connection), killed the hard way.
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      import pg from 'pg'
      const client = new pg.Client({ connectionString: process.env.URL })
      await client.connect()
      await client.query("SELECT pg_advisory_lock(hashtextextended('mlci.release/churn', 0))")
      await client.query("INSERT INTO mlci_release_holders (model, host, pid, run_id, command) VALUES ('churn', 'runner-a', $1, 'run-a', 'mlci build')", [process.pid])
      console.log('locked')
      setInterval(() => {}, 1000)
    `], { env: { ...process.env, URL: url }, stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() })
    const [first] = (await once(child.stdout!, 'data')) as [Buffer]
    expect(first.toString()).toContain('locked')
    const target = parsePgUrl(url, 'test')
    const err = await acquireReleaseLock(target, 'churn', { host: 'runner-b', pid: 2 }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MLCI_LOCKED' })
    expect((err as Error).message).toContain(`PID ${child.pid} on runner-a, run run-a (mlci build)`)
    // A waiter gets it as soon as the holder dies: its connection closes, PostgreSQL drops the lock.
    const waited: string[] = []
    const waiting = acquireReleaseLock(target, 'churn', { host: 'runner-b', pid: 2 }, { wait: true, onWait: (who) => { waited.push(who); child.kill('SIGKILL') } })
    const held = await waiting
    expect(waited).toHaveLength(1)
    await held.release()
    const again = await acquireReleaseLock(target, 'churn', { host: 'runner-c', pid: 3 })
    await again.release()
  })
})

/** The ledger's alias moves; setStatus also ledgers status changes (kind 'status'), which these tests set up with. */
async function aliasMoves(r: { ledger(): Promise<{ kind?: string; from?: string; to?: string }[]> }) {
  return (await r.ledger()).filter((m) => m.kind !== 'status')
}
