import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testdir } from '../../../../test/helpers/testdir.js'
import { jsonErrorPosition } from './json-file.js'
import { createEmbeddedRegistry } from './registry.js'
import type { NewModelVersion } from './types.js'

const CORE_DIST = join(import.meta.dirname, '../../dist/index.js')

function lineage(version: string, extra: Partial<NewModelVersion> = {}): NewModelVersion {
  return { version, runId: `run-${version}`, fingerprint: `fp-${version}`, metrics: { accuracy: 0.9 }, ...extra }
}

/** Run a node script (ESM) in a child process; resolves with its exit code/signal and output. */
function node(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; signal: string | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d))
    child.stderr.on('data', (d: Buffer) => (output += d))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, output }))
  })
}

describe('embedded registry', () => {
  it('creates versions once, pending, then moves them pending → ready → failed only', async () => {
    const registry = createEmbeddedRegistry(testdir())
    const created = await registry.create(lineage('0.1.0+data.abc1234'))
    expect(created).toMatchObject({ status: 'pending', version: '0.1.0+data.abc1234', createdBy: { pid: process.pid } })
    expect((await registry.get('0.1.0'))?.version).toBe('0.1.0+data.abc1234')
    expect(await registry.get('0.1.0+data.0000000')).toBeUndefined()
    // Same version with other build metadata is the same version: refused.
    await expect(registry.create(lineage('0.1.0+data.def5678'))).rejects.toMatchObject({ code: 'MLCI_STATE_CONFLICT', message: expect.stringContaining('0.1.0 already exists (pending') })

    await expect(registry.update('0.1.0', { metrics: { accuracy: 0.1 } })).rejects.toMatchObject({ code: 'MLCI_STATE_CONFLICT', message: expect.stringContaining('"metrics" is lineage') })
    // Metadata through update(); a status change through it is refused (the release state's job).
    const withImage = await registry.update('0.1.0', { image: { name: 'm', digest: 'sha256:1' }, metrics: { accuracy: 0.9 } })
    expect(withImage).toMatchObject({ status: 'pending', image: { name: 'm' }, createdAt: created.createdAt })
    await expect(registry.update('0.1.0', { status: 'ready' } as never)).rejects.toMatchObject({ code: 'MLCI_STATE_CONFLICT', message: expect.stringContaining('only the release state changes statuses') })
    expect((await registry.update('0.1.0', { status: 'pending' } as never)).status).toBe('pending') // the same status is no change
    const ready = await registry.setStatus('0.1.0', 'ready', { reason: 'test', by: 'test' })
    expect(ready).toMatchObject({ status: 'ready', image: { name: 'm' }, createdAt: created.createdAt })
    await expect(registry.setStatus('0.1.0', 'pending', { reason: 'test', by: 'test' })).rejects.toMatchObject({ code: 'MLCI_STATE_CONFLICT' })
    const failed = await registry.setStatus('0.1.0', 'failed', { reason: 'rollback: unhealthy', by: 'test' })
    expect(failed).toMatchObject({ status: 'failed', reason: 'rollback: unhealthy' })
    await expect(registry.setStatus('0.1.0', 'ready', { reason: 'test', by: 'test' })).rejects.toThrow(/cannot go from failed to ready/)

    await registry.create(lineage('0.2.0'))
    await expect(registry.update('9.9.9', { image: { name: 'm', digest: 'sha256:1' } })).rejects.toMatchObject({ code: 'MLCI_NOT_FOUND' })
    await expect(registry.create(lineage('../escape'))).rejects.toMatchObject({ code: 'MLCI_USAGE' })
    expect((await registry.list()).map((v) => v.version)).toEqual(['0.1.0+data.abc1234', '0.2.0'])
  })

  it('moves aliases by compare-and-swap and records every move in the ledger', async () => {
    const registry = createEmbeddedRegistry(testdir())
    await registry.create(lineage('1.0.0+data.aaaaaaa'))
    await registry.create(lineage('1.1.0'))
    await registry.create(lineage('1.2.0'))
    for (const v of ['1.0.0', '1.1.0']) await registry.setStatus(v, 'ready', { reason: 'test', by: 'test' })
    // live and previous name only ready versions, and never the same one.
    await expect(registry.moveAlias('live', '1.2.0', { expected: undefined, reason: 'x', by: 'b' })).rejects.toThrow(/it is pending, and "live" only names ready versions/)
    await registry.moveAlias('live', '1.0.0', { expected: undefined, reason: 'first release', by: 'mlci build', runId: 'r1' })
    expect(await registry.aliases()).toEqual({ live: '1.0.0+data.aaaaaaa' })
    await expect(registry.moveAlias('live', '1.1.0', { expected: undefined, reason: 'x', by: 'b' })).rejects.toMatchObject({ code: 'MLCI_STATE_CONFLICT', message: expect.stringContaining('points to 1.0.0+data.aaaaaaa') })
    await expect(registry.moveAlias('previous', '1.0.0', { expected: undefined, reason: 'x', by: 'b' })).rejects.toThrow(/Cannot point both "live" and "previous" at 1\.0\.0/)
    await registry.moveAlias('live', '1.1.0', { expected: '1.0.0', reason: 'release', by: 'mlci build' })
    await registry.moveAlias('live', '1.1.0', { expected: '1.1.0', reason: 'again', by: 'mlci build' }) // no-op
    await expect(registry.moveAlias('live', '7.0.0', { expected: '1.1.0', reason: 'x', by: 'b' })).rejects.toMatchObject({ code: 'MLCI_NOT_FOUND' })
    await registry.setStatus('1.0.0', 'failed', { reason: 'broken', by: 'test' })
    await expect(registry.moveAlias('champion', '1.0.0', { expected: undefined, reason: 'x', by: 'b' })).rejects.toThrow(/it is failed/)
    await expect(registry.moveAlias('bad alias', '1.1.0', { expected: undefined, reason: 'x', by: 'b' })).rejects.toMatchObject({ code: 'MLCI_USAGE' })
    await registry.moveAlias('live', undefined, { expected: '1.1.0', reason: 'retired', by: 'me' })
    const ledger = (await registry.ledger()).filter((m) => !m.kind) // alias moves (setStatus ledgers status changes too)
    expect(ledger.map((m) => [m.alias, m.from, m.to, m.reason])).toEqual([
      ['live', undefined, '1.0.0+data.aaaaaaa', 'first release'],
      ['live', '1.0.0+data.aaaaaaa', '1.1.0', 'release'],
      ['live', '1.1.0', undefined, 'retired'],
    ])
    expect(ledger[0]).toMatchObject({ by: 'mlci build', runId: 'r1' })
    expect(await registry.aliases()).toEqual({})
  })

  it('setStatus ledgers the change; failed drops live/previous in the same write; force lets a person undo failed', async () => {
    const registry = createEmbeddedRegistry(testdir())
    for (const v of ['1.0.0', '1.1.0']) {
      await registry.create(lineage(v))
      await registry.setStatus(v, 'ready', { reason: 'released', by: 'mlci build' })
    }
    await registry.moveAliases([{ alias: 'previous', to: '1.0.0', expected: undefined }, { alias: 'live', to: '1.1.0', expected: undefined }], { reason: 'release', by: 'mlci build' })
    await registry.setStatus('1.1.0', 'failed', { reason: 'monitor failed', by: 'mlci monitor' })
    expect(await registry.aliases()).toEqual({ previous: '1.0.0' })
    await expect(registry.setStatus('1.1.0', 'ready', { reason: 'x', by: 'b' })).rejects.toThrow(/cannot go from failed to ready/)
    const undone = await registry.setStatus('1.1.0', 'ready', { reason: 'it was the proxy', by: 'mlci registry mark', force: true })
    expect(undone).toMatchObject({ status: 'ready' })
    expect(undone.reason).toBeUndefined()
    const ledger = await registry.ledger()
    expect(ledger.slice(-3).map((m) => [m.kind ?? 'alias', m.alias, m.from, m.to])).toEqual([
      ['status', '1.1.0', 'ready', 'failed'], ['alias', 'live', '1.1.0', undefined], ['status', '1.1.0', 'failed', 'ready'],
    ])
  })

  it('resolves aliases, versions and v-prefixed versions', async () => {
    const registry = createEmbeddedRegistry(testdir())
    await registry.create(lineage('0.3.0+data.1234567'))
    await registry.moveAlias('champion', '0.3.0', { expected: undefined, reason: 'best', by: 'me' })
    expect((await registry.resolve('champion'))?.version).toBe('0.3.0+data.1234567')
    expect((await registry.resolve('0.3.0'))?.version).toBe('0.3.0+data.1234567')
    expect((await registry.resolve('v0.3.0'))?.version).toBe('0.3.0+data.1234567')
    expect(await registry.resolve('live')).toBeUndefined()
    expect(await registry.resolve('no such thing!')).toBeUndefined()
  })

  it('refuses a truncated, empty or invalid file, names it with the parse position, and leaves it as it was', async () => {
    const dir = testdir()
    const registry = createEmbeddedRegistry(dir)
    await registry.create(lineage('0.1.0'))
    await registry.create(lineage('0.2.0'))
    await registry.setStatus('0.1.0', 'ready', { reason: 'test', by: 'test' })
    await registry.moveAlias('live', '0.1.0', { expected: undefined, reason: 'r', by: 'b' })
    const versionFile = join(dir, 'registry/versions/0.1.0.json')
    const truncated = readFileSync(versionFile, 'utf8').slice(0, 57)
    writeFileSync(versionFile, truncated)
    const fresh = createEmbeddedRegistry(dir)
    for (const attempt of [() => fresh.list(), () => fresh.get('0.1.0'), () => fresh.setStatus('0.1.0', 'ready', { reason: 'test', by: 'test' }), () => fresh.moveAlias('live', '0.1.0', { expected: '0.1.0', reason: 'r', by: 'b' })]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'MLCI_STATE_CORRUPT', message: expect.stringMatching(new RegExp(`${versionFile.replace(/[.]/g, '\\.')} is damaged: .* at \\d+:\\d+`)) })
    }
    expect(readFileSync(versionFile, 'utf8')).toBe(truncated)
    await expect(fresh.create(lineage('0.1.0'))).rejects.toMatchObject({ code: 'MLCI_STATE_CORRUPT' }) // exists, and damaged
    expect(readFileSync(versionFile, 'utf8')).toBe(truncated)

    const aliasesFile = join(dir, 'registry/aliases.json')
    writeFileSync(aliasesFile, '')
    await expect(fresh.aliases()).rejects.toThrow(`Registry file ${aliasesFile} is damaged: empty file at 1:1`)
    await expect(fresh.moveAlias('live', '0.2.0', { expected: '0.1.0', reason: 'r', by: 'b' })).rejects.toMatchObject({ code: 'MLCI_STATE_CORRUPT' })
    expect(readFileSync(aliasesFile, 'utf8')).toBe('')
    writeFileSync(aliasesFile, '{\n  "schema": 1,\n  "kind": "mlci.aliases",\n  "revision": 1,\n  "aliases": { "live": "0.1.0", }\n}\n')
    await expect(fresh.resolve('live')).rejects.toThrow(/damaged: expected a property name, found "}" at 5:33/)
    writeFileSync(aliasesFile, JSON.stringify({ schema: 7, kind: 'mlci.aliases', revision: 1, aliases: {}, ledger: [] }))
    await expect(fresh.ledger()).rejects.toThrow(/has schema 7; this mlci reads up to 1/)
    writeFileSync(aliasesFile, JSON.stringify({ schema: 1, kind: 'mlci.aliases', revision: 1, aliases: { live: 3 }, ledger: [] }))
    await expect(fresh.aliases()).rejects.toThrow(/alias "live" must name a version/)
  })

  it('finds the position of JSON errors that V8 does not report', () => {
    expect(jsonErrorPosition('{"a":1,\n "b": x}')).toMatchObject({ line: 2, column: 7 })
    expect(jsonErrorPosition('{"a": [1, 2')).toMatchObject({ line: 1, column: 12, problem: 'unexpected end of file' })
    expect(jsonErrorPosition('{"a":1}}')).toMatchObject({ line: 1, column: 8 })
    expect(jsonErrorPosition('  \n ')).toMatchObject({ line: 1, column: 1, problem: 'empty file' })
    expect(jsonErrorPosition('{"a":"x\\q"}').problem).toBe('bad escape')
  })

  it('reclaims a write lock left by a dead process, and times out on a live holder', async () => {
    const dir = testdir()
    const registry = createEmbeddedRegistry(dir)
    await registry.create(lineage('0.1.0'))
    // A process killed while holding the lock (inside update) leaves the lock file behind.
    const crashed = await node(`const { createEmbeddedRegistry } = await import(${JSON.stringify(CORE_DIST)}); await createEmbeddedRegistry(process.argv[1]).setStatus('0.1.0', 'ready', { reason: 'test', by: 'test' })`, [dir], { MLCI_TEST_CRASH_AT: 'registry-lock-held' })
    expect(crashed.signal).toBe('SIGKILL')
    expect(existsSync(join(dir, 'registry/write.lock'))).toBe(true)
    expect((await registry.get('0.1.0'))?.status).toBe('pending')
    expect((await registry.setStatus('0.1.0', 'ready', { reason: 'test', by: 'test' })).status).toBe('ready')
    expect(existsSync(join(dir, 'registry/write.lock'))).toBe(false)

    // A live holder (this process's parent, PID 1 is always alive): wait, then a clear error.
    writeFileSync(join(dir, 'registry/write.lock'), JSON.stringify({ pid: process.ppid, host: (await import('node:os')).hostname(), nonce: 'x', since: 'then' }))
    const { withWriteLock } = await import('./write-lock.js')
    await expect(withWriteLock(join(dir, 'registry/write.lock'), async () => 1, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'MLCI_LOCKED', message: expect.stringContaining(`PID ${process.ppid}`) })
  })

  it('a kill -9 before a version file is linked or the aliases are written leaves the old state, and the next writer carries on', async () => {
    const dir = testdir()
    const registry = createEmbeddedRegistry(dir)
    await registry.create(lineage('0.1.0'))
    await registry.setStatus('0.1.0', 'ready', { reason: 'test', by: 'test' })
    const script = `const { createEmbeddedRegistry } = await import(${JSON.stringify(CORE_DIST)}); const r = createEmbeddedRegistry(process.argv[1]);
      if (process.argv[2] === 'create') await r.create({ version: '0.2.0', runId: 'x', fingerprint: 'y' })
      else await r.moveAlias('live', '0.1.0', { expected: undefined, reason: 'r', by: 'b' })`
    expect((await node(script, [dir, 'create'], { MLCI_TEST_CRASH_AT: 'registry-link' })).signal).toBe('SIGKILL')
    expect((await registry.list()).map((v) => v.version)).toEqual(['0.1.0'])
    expect(readdirSync(join(dir, 'registry/versions')).filter((n) => n.endsWith('.tmp'))).toHaveLength(1) // ignored by readers
    expect((await node(script, [dir, 'alias'], { MLCI_TEST_CRASH_AT: 'aliases-write' })).signal).toBe('SIGKILL')
    expect(await registry.aliases()).toEqual({})
    await registry.create(lineage('0.2.0'))
    await registry.setStatus('0.2.0', 'ready', { reason: 'test', by: 'test' })
    await registry.moveAlias('live', '0.2.0', { expected: undefined, reason: 'r', by: 'b' })
    expect(await registry.aliases()).toEqual({ live: '0.2.0' })
  })

  it('eight processes registering at once: unique versions, nothing lost, nothing overwritten, readers never see half a file', async () => {
    const dir = testdir()
    const PER_PROCESS = 3
    const writer = `
      const { createEmbeddedRegistry } = await import(${JSON.stringify(CORE_DIST)})
      const registry = createEmbeddedRegistry(process.argv[1])
      const id = process.argv[2]
      for (let k = 0; k < ${PER_PROCESS}; k++) {
        let version
        for (;;) {
          const all = await registry.list()
          version = '0.0.' + (Math.max(-1, ...all.map((v) => Number(v.version.split('.')[2]))) + 1)
          try { await registry.create({ version, runId: 'p' + id + '-' + k, fingerprint: 'fp-' + id + '-' + k, params: { id, k } }); break }
          catch (e) { if (e.code !== 'MLCI_STATE_CONFLICT') throw e }
        }
        await registry.setStatus(version, 'ready', { reason: 'test', by: 'test' })
        for (;;) {
          const live = (await registry.aliases()).live
          try { await registry.moveAlias('live', version, { expected: live, reason: 'p' + id, by: 'test', runId: 'p' + id + '-' + k }); break }
          catch (e) { if (e.code !== 'MLCI_STATE_CONFLICT') throw e }
        }
      }`
    const reader = `
      const { existsSync } = await import('node:fs')
      const { createEmbeddedRegistry } = await import(${JSON.stringify(CORE_DIST)})
      const registry = createEmbeddedRegistry(process.argv[1])
      let reads = 0
      while (!existsSync(process.argv[1] + '/done')) { await registry.list(); await registry.ledger(); reads++ }
      console.log('reads', reads)`
    const readerRun = node(reader, [dir])
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => node(writer, [dir, String(i)])))
    writeFileSync(join(dir, 'done'), '')
    const read = await readerRun
    for (const r of [...results, read]) expect(r, r.output).toMatchObject({ code: 0 })
    expect(Number(/reads (\d+)/.exec(read.output)?.[1])).toBeGreaterThan(0)

    const registry = createEmbeddedRegistry(dir)
    const versions = await registry.list()
    expect(versions).toHaveLength(8 * PER_PROCESS)
    expect(new Set(versions.map((v) => v.version)).size).toBe(8 * PER_PROCESS)
    expect(new Set(versions.map((v) => v.runId)).size).toBe(8 * PER_PROCESS) // no one overwrote another's record
    for (const v of versions) {
      expect(v.status).toBe('ready')
      expect(v.fingerprint).toBe(`fp-${(v.params as { id: string }).id}-${(v.params as { k: number }).k}`)
    }
    const ledger = (await registry.ledger()).filter((m) => !m.kind) // alias moves only
    expect(ledger).toHaveLength(8 * PER_PROCESS)
    ledger.forEach((move, i) => expect(move.from).toBe(i === 0 ? undefined : ledger[i - 1].to))
    expect((await registry.aliases()).live).toBe(ledger.at(-1)!.to)
    expect(existsSync(join(dir, 'registry/write.lock'))).toBe(false)
  })
})
