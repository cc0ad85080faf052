// The embedded registry's file layout on a real file system: what readers ignore, what a create
// leaves behind, which read errors are "nothing there" and which are real errors, and the sweep
// of temp files left by killed writers (only dead writers', only old ones, once per backend).
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testdir } from '../../../../test/helpers/testdir.js'
import { encodeVersion } from './documents.js'
import { FileRegistryBackend } from './file-backend.js'
import type { ModelVersion } from './types.js'

const doc = (version: string): ModelVersion => ({
  version, status: 'pending', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', runId: 'r', fingerprint: 'f',
}) as ModelVersion

/** A pid that is certainly not running (above the kernel's pid_max default range). */
const DEAD_PID = 4_194_304 + 17

describe('FileRegistryBackend', () => {
  it('an empty registry: no versions, no aliases; only missing files count as empty', async () => {
    const dir = testdir()
    const backend = new FileRegistryBackend(join(dir, 'registry'))
    expect(await backend.listVersions()).toEqual([])
    expect(await backend.readVersion('1.0.0')).toBeUndefined()
    expect(await backend.readAliases()).toEqual({ revision: 0, aliases: {}, ledger: [] })
    // A file where the versions folder goes, a folder where a document goes: errors, not "empty".
    writeFileSync(join(dir, 'blocked'), '')
    await expect(new FileRegistryBackend(join(dir, 'blocked')).listVersions()).rejects.toMatchObject({ code: 'ENOTDIR' })
    mkdirSync(join(dir, 'registry/versions/2.0.0.json'), { recursive: true })
    await expect(backend.readVersion('2.0.0')).rejects.toMatchObject({ code: 'EISDIR' })
    mkdirSync(join(dir, 'registry/aliases.json'))
    await expect(backend.readAliases()).rejects.toMatchObject({ code: 'EISDIR' })
  })

  it('creates a version once, leaves no temp file, and lists only version documents', async () => {
    const dir = testdir()
    const backend = new FileRegistryBackend(join(dir, 'registry'))
    expect(await backend.createVersion('1.0.0', doc('1.0.0'))).toBe(true)
    expect(await backend.createVersion('1.0.0', doc('1.0.0+other'))).toBe(false)
    expect(readdirSync(join(dir, 'registry/versions'))).toEqual(['1.0.0.json'])
    expect((await backend.readVersion('1.0.0'))?.version).toBe('1.0.0')
    // A temp file of a writer and a stray file are not versions.
    writeFileSync(join(dir, 'registry/versions/.2.0.0.json'), encodeVersion(doc('2.0.0')))
    writeFileSync(join(dir, 'registry/versions/.3.0.0.123.abcd.tmp'), 'half')
    writeFileSync(join(dir, 'registry/versions/notes.txt'), 'x')
    expect((await backend.listVersions()).map((v) => v.version)).toEqual(['1.0.0'])
    await backend.createVersion('1.10.0-rc.1', doc('1.10.0-rc.1'))
    expect((await backend.listVersions()).map((v) => v.version).sort()).toEqual(['1.0.0', '1.10.0-rc.1'])
  })

  it("sweeps, once per backend, temp files of writers that are dead and older than 10 s; a live or recent writer's stay", async () => {
    const dir = testdir()
    const root = join(dir, 'registry')
    mkdirSync(join(root, 'versions'), { recursive: true })
    const old = new Date(Date.now() - 60_000)
    const files = {
      deadOld: join(root, 'versions', `.1.0.0.${DEAD_PID}.beef.tmp`),
      deadOldTop: join(root, `aliases.json.${DEAD_PID}.cafe.tmp`),
      deadNew: join(root, 'versions', `.1.0.1.${DEAD_PID}.f00d.tmp`),
      liveOld: join(root, 'versions', `.1.0.2.${process.pid}.abcd.tmp`),
      notTemp: join(root, 'versions', `.1.0.3.${DEAD_PID}.tmp`),
    }
    for (const file of Object.values(files)) writeFileSync(file, 'x')
    for (const file of [files.deadOld, files.deadOldTop, files.liveOld, files.notTemp]) utimesSync(file, old, old)
    const backend = new FileRegistryBackend(root)
    await backend.exclusive(async () => undefined)
    expect(Object.fromEntries(Object.entries(files).map(([k, f]) => [k, existsSync(f)]))).toEqual({
      deadOld: false, deadOldTop: false, deadNew: true, liveOld: true, notTemp: true,
    })
    const later = join(root, 'versions', `.1.0.4.${DEAD_PID}.aaaa.tmp`)
    writeFileSync(later, 'x')
    utimesSync(later, old, old)
    await backend.exclusive(async () => undefined)
    expect(existsSync(later)).toBe(true)
    await new FileRegistryBackend(root).exclusive(async () => undefined)
    expect(existsSync(later)).toBe(false)
  })
})
