import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Journal } from './journal.js'

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
