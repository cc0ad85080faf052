import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Journal, openReleases } from './journal.js'

const root = mkdtempSync(join(tmpdir(), 'mlci-journal-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const fresh = () => join(root, `j${n++}`, 'journal.jsonl')

describe('Journal', () => {
  it('reports intents without an outcome, with the later entries of their run', async () => {
    const file = fresh()
    const a = new Journal(file, { runId: 'run-a' })
    const release = await a.intent('release', { candidate: '0.2.0', from: '0.1.0' })
    await a.step('alias.live', { to: '0.2.0' }, async () => 'moved')
    await a.note('release.deployed', { version: '0.2.0' })
    const b = new Journal(file, { runId: 'run-b' })
    const done = await b.intent('release', { candidate: '0.3.0' })
    await b.commit(done, 'release', { outcome: 'released' })

    const pending = await new Journal(file, { runId: 'reader' }).pending()
    expect(pending).toHaveLength(1)
    expect(pending[0].intent).toMatchObject({ id: release, step: 'release', runId: 'run-a', data: { candidate: '0.2.0' } })
    expect(pending[0].after.map((e) => `${e.type}:${e.step}`)).toEqual(['intent:alias.live', 'commit:alias.live', 'note:release.deployed'])
  })

  it('step() aborts with the error and rethrows it', async () => {
    const file = fresh()
    const j = new Journal(file, { runId: 'r' })
    await expect(j.step('local.swap', { to: 'x' }, async () => { throw new Error('port busy') })).rejects.toThrow('port busy')
    expect(await j.pending()).toEqual([])
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(lines[1]).toMatchObject({ type: 'abort', step: 'local.swap', data: { error: 'port busy' } })
  })

  it('ignores a torn last line but refuses a damaged middle line, naming file and line', async () => {
    const file = fresh()
    const j = new Journal(file, { runId: 'r' })
    await j.intent('release', { candidate: '1.0.0' })
    appendFileSync(file, '{"v":1,"id":"r:x","type":"com')
    expect(await j.pending()).toHaveLength(1)
    writeFileSync(file, 'garbage\n' + readFileSync(file, 'utf8'))
    await expect(j.read()).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:1 is not a valid journal line`))
  })

  it('cuts a torn tail before the next append, so no entry is ever glued to a fragment', async () => {
    const file = fresh()
    const j = new Journal(file, { runId: 'r' })
    await j.intent('release', { candidate: '1.0.0' })
    appendFileSync(file, '{"v":1,"id":"r:x","type":"inte')
    expect((await j.scan()).problems).toMatchObject([{ kind: 'torn', line: 2 }])
    await j.note('after', {})
    await j.note('after.again', {})
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
    expect(lines).toHaveLength(3)
    expect(lines.map((l) => JSON.parse(l).step)).toEqual(['release', 'after', 'after.again'])
    expect((await j.scan()).problems).toEqual([])
  })

  it('reads a line glued to a torn fragment (written by older versions) and repair() rewrites the file', async () => {
    const file = fresh()
    const j = new Journal(file, { runId: 'r' })
    await j.intent('release', { candidate: '1.0.0' })
    const whole = readFileSync(file, 'utf8')
    writeFileSync(file, '{"v":1,"id":"r:torn","ty' + whole + 'not json\n' + whole)
    expect((await j.scan()).problems.map((p) => [p.kind, p.line])).toEqual([['glued', 1], ['damaged', 2]])
    await expect(j.read()).rejects.toThrow(/:2 is not a valid journal line/)
    expect((await j.repair()).map((p) => p.kind)).toEqual(['glued', 'damaged'])
    expect(await j.read()).toHaveLength(2)
    expect(readFileSync(`${file}.damaged`, 'utf8')).toContain('not json')
  })

  it('missing journal = nothing pending', async () => {
    expect(await new Journal(fresh(), { runId: 'r' }).pending()).toEqual([])
  })
})

describe('Journal entries and file handling', () => {
  it('links commits and aborts to their intent by id, and stamps every entry with schema, run, pid and time', async () => {
    const file = fresh()
    const j = new Journal(file, { runId: 'run-7', pid: 4242 })
    const ok = await j.intent('alias.live', { to: '1.0.0' })
    const bad = await j.intent('local.swap')
    await j.commit(ok, 'alias.live', { moved: true })
    await j.abort(bad, 'local.swap', { error: 'x' })
    await j.note('release.deployed')
    const entries = await j.read()
    expect(ok).toMatch(/^run-7:[0-9a-f]{8}$/)
    expect(entries.map((e) => [e.id, e.type, e.ref])).toEqual([
      [ok, 'intent', undefined], [bad, 'intent', undefined], [`${ok}:c`, 'commit', ok], [`${bad}:a`, 'abort', bad], [expect.stringMatching(/^run-7:[0-9a-f]{8}$/), 'note', undefined],
    ])
    for (const e of entries) expect(e).toMatchObject({ v: 1, runId: 'run-7', pid: 4242, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })
    const own = new Journal(fresh(), { runId: 'r' })
    await own.note('n')
    expect((await own.read())[0].pid).toBe(process.pid)
  })

  it('Journal.at() is the journal.jsonl of a state folder', async () => {
    const dir = join(root, `state${n++}`)
    await Journal.at(dir, { runId: 'r' }).note('n')
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toContain('"step":"n"')
  })

  it('pending(filter) keeps only the intents the filter accepts; openReleases reads candidate, run and unproven note', async () => {
    const file = fresh()
    const j = new Journal(file, { runId: 'run-1', pid: 11 })
    await j.intent('release', { candidate: '2.0.0' })
    await j.intent('image.push', { tag: 't' })
    await j.note('release.unproven', { why: 'no data', live: '1.0.0' })
    const releases = await j.pending((e) => e.step === 'release')
    expect(releases.map((p) => p.intent.step)).toEqual(['release'])
    expect(openReleases(await j.pending())).toEqual([{ candidate: '2.0.0', runId: 'run-1', pid: 11, unproven: { why: 'no data', live: '1.0.0' } }])
    const other = new Journal(fresh(), { runId: 'run-2', pid: 12 })
    await other.intent('release')
    expect(openReleases(await other.pending())).toEqual([{ candidate: '', runId: 'run-2', pid: 12 }])
  })

  it('a missing journal scans empty; an unreadable one is an error, not an empty journal', async () => {
    expect(await new Journal(fresh(), { runId: 'r' }).scan()).toEqual({ entries: [], problems: [] })
    const dir = join(root, `dir${n++}`)
    mkdirSync(join(dir, 'journal.jsonl'), { recursive: true })
    await expect(Journal.at(dir, { runId: 'r' }).scan()).rejects.toMatchObject({ code: 'EISDIR' })
  })

  it('skips blank lines; says why each bad line is bad (JSON error, not an entry, torn, glued) and how to repair', async () => {
    const file = fresh()
    const j = new Journal(file, { runId: 'r' })
    await j.note('first')
    const whole = readFileSync(file, 'utf8')
    appendFileSync(file, '   \n')
    expect((await j.scan()).problems).toEqual([])
    const notEntries = ['{"step":"s","type":"note"}', '{"id":"i","type":"note"}', '{"id":"i","step":"s"}', '{"id":1,"step":"s","type":"note"}']
    writeFileSync(file, [...notEntries, 'not json', `{"v":1,"id":"r:to${whole.trim()}`, '{"v":1,"id":"r:torn"'].join('\n'))
    const scan = await j.scan()
    expect(scan.entries.map((e) => e.step)).toEqual(['first'])
    expect(scan.problems).toEqual([
      ...notEntries.map((_, i) => ({ kind: 'damaged', line: i + 1, detail: 'not a journal entry' })),
      { kind: 'damaged', line: 5, detail: expect.stringContaining('is not valid JSON') },
      { kind: 'glued', line: 6, detail: 'a torn fragment of 17 bytes precedes an entry; the fragment is ignored' },
      { kind: 'torn', line: 7, detail: 'the last write was cut off (no newline); ignored' },
    ])
    await expect(j.read()).rejects.toMatchObject({ code: 'MLCI_STATE_CORRUPT', hint: expect.stringContaining('`mlci registry repair`') })
  })

  it('repair() keeps exactly the entries, moves exactly the bad lines aside, and does nothing to a clean journal', async () => {
    const file = fresh()
    const j = new Journal(file, { runId: 'r' })
    await j.note('a')
    await j.note('b')
    const [a, b] = readFileSync(file, 'utf8').trim().split('\n')
    expect(await j.repair()).toEqual([])
    expect(existsSync(`${file}.damaged`)).toBe(false)
    writeFileSync(file, `${a}\nbroken one\n${b}\nbroken two\n`)
    expect((await j.repair()).map((p) => p.line)).toEqual([2, 4])
    expect(readFileSync(file, 'utf8')).toBe(`${a}\n${b}\n`)
    expect(readFileSync(`${file}.damaged`, 'utf8')).toBe('broken one\nbroken two\n')
  })

  it('rotate() moves a journal of 512 KiB or more aside only when nothing is pending', async () => {
    expect(await new Journal(fresh(), { runId: 'r' }).rotate()).toBe(false) // no file yet
    const file = fresh()
    const j = new Journal(file, { runId: 'r' })
    await j.note('small')
    expect(await j.rotate()).toBe(false)
    const open = await j.intent('release')
    await j.note('pad', { pad: 'x'.repeat(600_000) })
    expect(await j.rotate()).toBe(false) // large, but a release is open
    await j.commit(open, 'release')
    // Shorten the pad so the file is exactly 512 KiB: the limit itself rotates.
    const over = statSync(file).size - 512 * 1024
    writeFileSync(file, readFileSync(file, 'utf8').replace('x'.repeat(600_000), 'x'.repeat(600_000 - over)))
    expect(statSync(file).size).toBe(512 * 1024)
    expect(await j.rotate()).toBe(true)
    expect(existsSync(file)).toBe(false)
    expect(readFileSync(`${file}.1`, 'utf8')).toContain('"step":"pad"')
  })

  it('appending to a journal over 1 MiB keeps every line (the torn-tail check reads only the end)', async () => {
    const file = fresh()
    const j = new Journal(file, { runId: 'r' })
    for (let i = 0; i < 3; i++) await j.note('big', { pad: 'y'.repeat(400_000) })
    expect(statSync(file).size).toBeGreaterThan(1 << 20)
    await j.note('last')
    expect((await j.read()).map((e) => e.step)).toEqual(['big', 'big', 'big', 'last'])
  })
})
