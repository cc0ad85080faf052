import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { marked, type Tokens } from 'marked'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCli, type CliResult } from './helpers/cli.js'
import { REPO, testdir } from './helpers/testdir.js'
import { build, lastRecord, pipelineProject, runFiles } from './report-helpers.js'

const tables = (md: string) => marked.lexer(md).filter((t): t is Tokens.Table => t.type === 'table')
const table = (md: string, firstHeader: string) => tables(md).find((t) => t.header[0].text === firstHeader)

describe('mlci report on a release, a rollback and a veto (one history, built once)', () => {
  // Saved state: four real builds, then each test reads it on its own (runs alone with -t).
  let dir: string
  let second: CliResult
  let secondRecord: Record<string, any>
  beforeAll(async () => {
    dir = pipelineProject()
    const first = await build(dir, { accuracy: 0.91, f1: 0.88 })
    expect(first.code, first.output).toBe(0)
    second = await build(dir, { accuracy: 0.93, f1: 0.9 })
    expect(second.code, second.output).toBe(0)
    secondRecord = lastRecord(dir)
    const rolled = await build(dir, { accuracy: 0.94, f1: 0.91 }, { errorRates: [0.01, 0.3, 0.4] })
    expect(rolled.code, rolled.output).toBe(1)
    const vetoed = await build(dir, { accuracy: 0.8, f1: 0.7 })
    expect(vetoed.code, vetoed.output).toBe(3)
  })

  it('a build ends with one line saying where the report and the full log are, relative to where mlci started', () => {
    const where = second.stdout.trim().split('\n').pop()!
    expect(where).toBe(`report: .mlci/runs/${secondRecord.id}.html · log: .mlci/runs/${secondRecord.id}.log`)
    const files = secondRecord.files
    expect(existsSync(files.report) && existsSync(files.markdown) && existsSync(files.log)).toBe(true)
  })

  it('the rollback run: phases, metrics with deltas and versions as markdown tables', async () => {
    const md = (await runCli(['report', '1.2.0'], { cwd: dir })).stdout
    expect(md.split('\n')[0]).toBe('<!-- mlci-report -->')
    expect(md).toContain('## ↩️ mlci build rolled back 1.2.0 → 1.1.0 after a failure in monitor (pipeline)')
    const phases = table(md, 'Phase')!
    expect(Object.fromEntries(phases.rows.map((r) => [r[0].text.replace(/\*/g, ''), r[1].text]))).toMatchObject({ monitor: '❌ failed', rollback: '✅ ok', deploy: '✅ ok' })
    const metrics = table(md, 'Metric')!
    expect(metrics.rows.map((r) => r.slice(0, 4).map((c) => c.text))).toEqual([
      ['**accuracy**', '0.94', '0.93', '+0.01 (+1.1%)'],
      ['**f1**', '0.91', '0.9', '+0.01 (+1.1%)'],
    ])
    const versions = table(md, 'Version')!
    expect(versions.rows.map((r) => [r[0].text, r[1].text, r.at(-1)!.text])).toEqual([
      ['`1.2.0`', 'failed', 'rolled back, this run'], ['**`1.1.0`**', 'ready', 'live'], ['`1.0.0`', 'ready', 'previous'], // the release state keeps previous
    ])
    expect(md).toContain('- **Rollback:** done 1.2.0 → 1.1.0 — monitor failed')
  })

  it('the latest run (the veto): the failing metric and the gate', async () => {
    const vetoMd = (await runCli(['report'], { cwd: dir })).stdout
    expect(table(vetoMd, 'Metric')!.rows[0][4].text).toContain('fail')
    expect(vetoMd).toContain('**Gate:** vetoed')
  })

  it('--format json prints exactly the stored run record, every field of which docs/run-record.md documents', async () => {
    const json = await runCli(['report', '--format', 'json'], { cwd: dir })
    const stored = lastRecord(dir)
    expect(JSON.parse(json.stdout)).toEqual(stored)
    expect(stored.schema).toBe(1)
    const docs = readFileSync(join(REPO, 'docs/run-record.md'), 'utf8')
    const documented = (key: string) => new RegExp(`^\\| \`${key}\\??\``, 'm').test(docs)
    const rolledRecord = JSON.parse((await runCli(['report', '1.2.0', '--format', 'json'], { cwd: dir })).stdout)
    const keys = new Set([...Object.keys(stored), ...Object.keys(rolledRecord), ...Object.keys(rolledRecord.data), ...rolledRecord.phases.flatMap(Object.keys)])
    expect([...keys].filter((k) => !documented(k))).toEqual([])
  })

  it('--since: versions and runs from that version on; an unknown version is a usage error', async () => {
    const since = (await runCli(['report', '--since', '1.1.0'], { cwd: dir })).stdout
    expect(table(since, 'Version')!.rows.map((r) => r[0].text)).toEqual(['`1.2.0`', '**`1.1.0`**'])
    expect(table(since, 'Started')!.rows).toHaveLength(3)
    const sinceJson = JSON.parse((await runCli(['report', '--format', 'json', '--since', '1.1.0'], { cwd: dir })).stdout)
    expect(sinceJson.map((r: { status: string }) => r.status)).toEqual(['ok', 'failed', 'vetoed'])
    const unknown = await runCli(['report', '--since', '9.9.9'], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('--since 9.9.9: no such version in the registry.')
  })

  it('a version names the run that created it; --out picks the format from the extension; an unknown format exits 2', async () => {
    const byVersion = await runCli(['report', '1.2.0', '--out', 'r.html'], { cwd: dir })
    expect(byVersion.stdout).toBe('report: r.html\n')
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain('rolled back 1.2.0 → 1.1.0')
    expect((await runCli(['report', '--format', 'pdf'], { cwd: dir })).code).toBe(2)
  })
})

describe('mlci report and the step summary', () => {
  it('mlci build (and mlci report) append the summary to $GITHUB_STEP_SUMMARY, once per run', async () => {
    const dir = pipelineProject()
    const summary = join(testdir(), 'step-summary.md')
    writeFileSync(summary, '# An earlier step\n')
    const env = { GITHUB_STEP_SUMMARY: summary }
    expect((await build(dir, { accuracy: 0.9 }, { env })).code).toBe(0)
    expect((await build(dir, { accuracy: 0.91 }, { env, errorRates: [0.5] })).code).toBe(1)
    const text = readFileSync(summary, 'utf8')
    expect(text.startsWith('# An earlier step\n\n<!-- mlci-report -->')).toBe(true)
    expect(text.match(/<!-- mlci-report -->/g)).toHaveLength(2)
    expect(tables(text).filter((t) => t.header[0].text === 'Phase')).toHaveLength(2)
    expect(text).toContain('rolled back 1.1.0 → 1.0.0')
    // The same run is not appended twice (build + report in one CI job).
    expect((await runCli(['report'], { cwd: dir, env })).code).toBe(0)
    expect(readFileSync(summary, 'utf8')).toBe(text)
    // A dry run (`--check` in CI) summarises too, but writes no run files.
    const before = runFiles(dir)
    const dry = await runCli(['build', '--dry-run'], { cwd: dir, env })
    expect(dry.code, dry.output).toBe(0)
    expect(runFiles(dir)).toEqual(before)
    const withDry = readFileSync(summary, 'utf8')
    expect(withDry.match(/<!-- mlci-report -->/g)).toHaveLength(3)
    expect(withDry).toContain('(dry run)')
    // Opt out.
    writeFileSync(join(dir, 'mlci.config.mjs'), readFileSync(join(dir, 'mlci.config.mjs'), 'utf8').replace('plugins:', 'report: { stepSummary: false },\n  plugins:'))
    expect((await build(dir, { accuracy: 0.92 }, { env })).code).toBe(0)
    expect(readFileSync(summary, 'utf8')).toBe(withDry)
  })
})

describe('mlci logs', () => {
  it('prints the latest (or a given) run log, filters by phase, redacts secrets, works with a broken config; runs.keep prunes', async () => {
    const dir = pipelineProject({ runs: { keep: 2 } })
    const env = { DEPLOY_TOKEN: 'tok-3f9a8c7d1e' }
    expect((await build(dir, { accuracy: 0.9 }, { env })).code).toBe(0)
    const firstId = lastRecord(dir).id
    expect((await build(dir, { accuracy: 0.91 }, { env, errorRates: [0.5] })).code).toBe(1)
    const log = await runCli(['logs'], { cwd: dir })
    expect(log.code).toBe(0)
    expect(log.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z info {3}\[test\/pipeline\] ran 13 tests$/m)
    expect(log.stdout).toContain('[monitor/pipeline]')
    expect(log.stdout).toContain('[rollback/pipeline]')
    expect(log.stdout).toContain('using deploy token [redacted]')
    expect(log.stdout).not.toContain(env.DEPLOY_TOKEN)
    for (const file of runFiles(dir)) expect(readFileSync(join(dir, '.mlci/runs', file), 'utf8')).not.toContain(env.DEPLOY_TOKEN)

    const monitor = await runCli(['logs', '--phase', 'monitor'], { cwd: dir })
    const lines = monitor.stdout.trim().split('\n')
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.every((l) => l.includes('[monitor'))).toBe(true)
    const older = await runCli(['logs', firstId.slice(0, 22)], { cwd: dir })
    expect(older.stdout).not.toContain('[rollback')
    expect((await runCli(['logs', '--phase', 'nope'], { cwd: dir })).code).toBe(2)
    expect((await runCli(['logs', 'no-such-run'], { cwd: dir })).code).toBe(1)

    // A third build prunes the oldest run: record, log and reports go together.
    expect((await build(dir, { accuracy: 0.92 })).code).toBe(0)
    const files = runFiles(dir)
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(2)
    expect(files.some((f) => f.startsWith(firstId))).toBe(false)
    expect(files.map((f) => f.split('.').pop()).sort()).toEqual(['html', 'html', 'json', 'json', 'log', 'log', 'md', 'md'])

    // Logs are readable exactly when the config is broken.
    writeFileSync(join(dir, 'mlci.config.mjs'), 'export default { plugins: [ oops')
    expect((await runCli(['build'], { cwd: dir })).code).toBe(2)
    const broken = await runCli(['logs'], { cwd: join(dir) })
    expect(broken.code).toBe(0)
    expect(broken.stdout).toContain('ran 13 tests')
  })
})
