import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'
import { NOTIFIER } from './plugin.js'

function project(plugins: string): string {
  return testdir({
    'plugins.mjs': NOTIFIER,
    'data.txt': 'a\nb\n',
    'mlci.config.mjs': `import { work, notifier } from './plugins.mjs'\nexport default { plugins: [${plugins}] }\n`,
  })
}

const notes = (dir: string): Record<string, any>[] => readFileSync(join(dir, 'notes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))

describe('run-level hooks a notifier needs', () => {
  it('recorded: fires after the record, log and report are written, with their paths; ctx.command is build; its log lines reach the log file', async () => {
    const dir = project('work(), notifier()')
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    const [done, recorded] = notes(dir)
    // done sees the record before it is written: no paths yet.
    expect(done).toMatchObject({ hook: 'done', command: 'build' })
    expect(done.files?.record).toBeUndefined()
    expect(recorded).toMatchObject({ hook: 'recorded', command: 'build', status: 'ok', noOp: false, sameAsOnDisk: true, logExists: true, reportExists: true })
    expect(recorded.files.record).toMatch(/\.mlci\/runs\/.+\.json$/)
    expect(recorded.files.report).toMatch(/\.mlci\/runs\/.+\.html$/)
    expect(readFileSync(recorded.files.log, 'utf8')).toMatch(/notifier notified about run /)
  })

  it('isNoOp: false for a build that trained, true for the rebuild with nothing changed, false again after an input changed', async () => {
    const dir = project('work(), notifier()')
    expect((await runCli(['build'], { cwd: dir })).code).toBe(0)
    const again = await runCli(['build'], { cwd: dir })
    expect(again.code, again.output).toBe(0)
    writeFileSync(join(dir, 'data.txt'), 'a\nb\nc\n')
    expect((await runCli(['build'], { cwd: dir })).code).toBe(0)
    const recorded = notes(dir).filter((n) => n.hook === 'recorded')
    expect(recorded.map((n) => n.noOp)).toEqual([false, true, false])
    // #15: the no-op run keeps its record and log but renders no report; `mlci report` renders it on demand.
    expect(recorded.map((n) => n.reportExists)).toEqual([true, false, true])
    expect(recorded[1]).toMatchObject({ sameAsOnDisk: true, logExists: true })
    expect(again.stdout).not.toMatch(/report: /)
    const runId = JSON.parse(readFileSync(recorded[1].files.record, 'utf8')).id
    const onDemand = await runCli(['report', runId, '--out', 'noop.html'], { cwd: dir })
    expect(onDemand.code, onDemand.output).toBe(0)
    expect(readFileSync(join(dir, 'noop.html'), 'utf8')).toMatch(/nothing new: no phase had work to do and nothing changed/)
  })

  it('a manual `mlci rollback` arrives as { trigger: "manual" } (no candidate: nothing is live), and ctx.command is rollback', async () => {
    const dir = project("work(), notifier({ rollback: true })")
    const r = await runCli(['rollback'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    const rollback = notes(dir).find((n) => n.hook === 'rollback')
    expect(rollback).toEqual({ hook: 'rollback', command: 'rollback', request: { trigger: 'manual', failedPhase: 'manual', allowSignatureChange: false, error: null } })
    expect(notes(dir).find((n) => n.hook === 'recorded')).toMatchObject({ command: 'rollback', noOp: false })
  })

  it('a throwing recorded tap is isolated: the next notifier still runs, the failure names its plugin, the build stays ok', async () => {
    const dir = project("work(), notifier({ name: 'broken-chat', throws: true }), notifier({ name: 'pager' })")
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(r.output).toMatch(/recorded hook of broken-chat failed.*could not reach its chat server/)
    expect(notes(dir).filter((n) => n.hook === 'recorded')).toHaveLength(1)
  })
})
