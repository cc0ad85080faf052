import { marked, type Tokens } from 'marked'
import { describe, expect, it } from 'vitest'
import type { RunRecord } from '@mlci/core'
import { buildReport } from './document.js'
import { failingStep, headline, metricRows, outcomeOf } from './facts.js'
import { formatDelta, formatNumber } from './format.js'
import type { RegistrySnapshot } from './history.js'
import { chartsOf, renderHtml } from './html.js'
import { renderChartSvgs } from './chart-render.js'
import type { ReportDoc } from './document.js'
import { REPORT_MARKER, renderMarkdown } from './markdown.js'
import { filterLogByPhase } from '@mlci/core'

const T0 = '2026-11-29T12:00:00.000Z'

function record(over: Partial<RunRecord> = {}): RunRecord {
  return {
    schema: 1, id: '2026-11-29T12-00-00-000Z-42', command: 'mlci build', cwd: '/p', mlciVersion: '0.1.0', startedAt: T0,
    endedAt: '2026-11-29T12:00:05.000Z', durationMs: 5000, status: 'ok', dryRun: false, plugins: [],
    phases: [
      { name: 'test', status: 'ok', durationMs: 1200, taps: [{ name: 'pytest', plugin: 'pytest', version: '1.0.0', status: 'ok', durationMs: 1200 }] },
      { name: 'train', status: 'cached', durationMs: 3, reason: 'inputs unchanged', taps: [] },
      { name: 'gate', status: 'ok', durationMs: 2, taps: [{ name: 'semver', plugin: 'semver', status: 'ok', durationMs: 2 }] },
    ],
    data: {
      tests: { passed: 40, failed: 0, skipped: 2, errors: 0, total: 42, durationMs: 1100, failures: [] },
      metrics: { accuracy: 0.9612, f1: 0.95 },
      gate: { passed: true, liveVersion: '1.1.0', verdicts: [{ metric: 'accuracy', candidate: 0.9612, live: 0.95, threshold: '≥ live − 0.01', pass: true }] },
      candidate: { version: '1.2.0', bump: 'minor', reason: 'metrics improved', previous: '1.1.0' },
    },
    version: '1.2.0',
    ...over,
  }
}

const snapshot: RegistrySnapshot = {
  versions: ['1.0.0', '1.1.0', '1.2.0'].map((version, i) => ({
    version, status: 'ready' as const, createdAt: `2026-11-2${i + 1}T00:00:00.000Z`, updatedAt: T0, runId: `r${i}`, fingerprint: `f${i}`,
    metrics: { accuracy: 0.9 + i * 0.03, f1: 0.9 + i * 0.02 },
  })),
  aliases: { live: '1.2.0', previous: '1.1.0' },
  ledger: [{ time: T0, alias: 'live', from: '1.1.0', to: '1.2.0', by: 'mlci build', runId: '2026-11-29T12-00-00-000Z-42', reason: 'release' }],
}

function tables(md: string): Tokens.Table[] {
  return marked.lexer(md).filter((t): t is Tokens.Table => t.type === 'table')
}

describe('markdown report', () => {
  it('starts with the stable marker and renders phases, metrics and versions as real tables', () => {
    const md = renderMarkdown(buildReport({ record: record(), snapshot }))
    expect(md.split('\n')[0]).toBe(REPORT_MARKER)
    const [phases, metrics, versions] = tables(md)
    expect(phases.header.map((h) => h.text)).toEqual(['Phase', 'Status', 'Duration', 'Cached', 'Plugins', 'Notes'])
    expect(phases.rows.map((r) => r[0].text)).toEqual(['**test**', '**train**', '**gate**'])
    expect(phases.rows[1][3].text).toBe('yes')
    expect(phases.align).toEqual([null, null, 'right', 'center', null, null])
    expect(metrics.header.map((h) => h.text)).toEqual(['Metric', 'Candidate', 'Live', 'Δ', 'Gate'])
    const accuracy = metrics.rows.find((r) => r[0].text === '**accuracy**')!
    expect(accuracy.map((c) => c.text).slice(1, 4)).toEqual(['0.9612', '0.95', '+0.0112 (+1.2%)'])
    expect(accuracy[4].text).toContain('pass')
    expect(metrics.rows.find((r) => r[0].text === '**f1**')![4].text).toContain('not gated')
    expect(versions.rows.map((r) => r[0].text)).toEqual(['**`1.2.0`**', '`1.1.0`', '`1.0.0`'])
    // Bold labels must actually render bold (CommonMark: no space before a closing **).
    const html = marked.parse(md) as string
    expect(html).toContain('<strong>Outcome:</strong>')
    expect(html).not.toContain('**')
  })

  it('keeps hostile test names and messages inside their cell, as text', () => {
    const failures = [{ id: 'tests/test_x.py::test_pipe[a|b]', message: 'assert <script>alert(1)</script> | *bold* `tick`\nsecond line' }]
    const md = renderMarkdown(buildReport({ record: record({ status: 'failed', data: { tests: { passed: 1, failed: 1, skipped: 0, errors: 0, total: 2, durationMs: 5, failures } } }) }))
    const failing = tables(md).find((t) => t.header[0].text === 'Failing test')!
    expect(failing.rows).toHaveLength(1)
    expect(failing.rows[0]).toHaveLength(2)
    const html = marked.parse(md) as string
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;')
    expect(html).not.toContain('second line')
  })

  it('explains a veto and a rollback in the headline and events', () => {
    const vetoed = record({ status: 'vetoed', error: { code: 'MLCI_VETOED', message: 'Vetoed: accuracy fell', phase: 'gate' }, version: undefined })
    expect(outcomeOf(vetoed)).toBe('vetoed')
    expect(headline(vetoed)).toBe('mlci build was vetoed for 1.2.0: accuracy fell')
    const rolled = record({
      status: 'failed',
      error: { code: 'MLCI_UNHEALTHY', message: 'error rate 0.4', phase: 'monitor', plugin: 'monitor' },
      phases: [...record().phases, { name: 'monitor', status: 'failed', durationMs: 9, taps: [] }, { name: 'rollback', status: 'ok', durationMs: 4, taps: [] }],
      data: { ...record().data, rollback: { from: '1.2.0', to: '1.1.0', ok: true, reason: 'monitor failed' } },
    })
    expect(outcomeOf(rolled)).toBe('rolledback')
    expect(failingStep(rolled)).toMatchObject({ phase: 'monitor', plugin: 'monitor' })
    expect(headline(rolled)).toBe('mlci build rolled back 1.2.0 → 1.1.0 after a failure in monitor (monitor)')
    const md = renderMarkdown(buildReport({ record: rolled, snapshot }))
    expect(md).toContain('**Rollback:** done 1.2.0 → 1.1.0')
    expect(md).toContain('<details open><summary>Error in monitor (monitor)</summary>')
  })

  it('compares with the version that was live before the run, not the live alias after deploy', () => {
    const rows = metricRows(record({ data: { ...record().data, gate: undefined } }), snapshot)
    expect(rows.find((r) => r.name === 'f1')).toMatchObject({ candidate: 0.95, live: 0.92 })
  })
})

/** The HTML with its charts drawn in this thread (the CLI draws them in a worker). */
async function html(doc: ReportDoc): Promise<string> {
  return renderHtml(doc, await renderChartSvgs(chartsOf(doc)))
}

describe('html report', () => {
  it('is self-contained: no scripts, no external references, a CSP that forbids fetches, print CSS', async () => {
    const page = await html(buildReport({ record: record({ data: { ...record().data, analysis: [{ name: 'probe', version: '1.2.0', verdict: 'success', samples: [{ index: 0, time: T0, values: { error_rate: 0.01 }, verdict: 'success' }, { index: 1, time: '2026-11-29T12:00:10.000Z', values: { error_rate: null }, verdict: 'inconclusive' }] }] } }), snapshot }))
    expect(page).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)/i) // url(#clip) is an in-page reference
    expect(page.match(/(?:src|href)=/g)).toBeNull()
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`)
    expect(page).toContain('@media print')
    expect(page.match(/<svg class="chart"[^>]*data-chart="metric"/g)).toHaveLength(2)
    expect(page.match(/<svg class="chart"[^>]*data-chart="monitor"/g)).toHaveLength(1)
    expect(page.match(/data-marker="live"/g)).toHaveLength(2)
    // A browser tooltip per point: the version and value.
    expect(page).toContain('<title>1.2.0 (live): accuracy = 0.96</title>')
  })

  it('writes a note in place of a chart that could not be drawn', () => {
    const doc = buildReport({ record: record(), snapshot })
    const page = renderHtml(doc, { 'metric-accuracy': { error: 'boom' } })
    expect(page).toContain('<p class="chart-missing" data-chart="metric" data-metric="accuracy">Chart “accuracy” could not be drawn: boom.</p>')
    expect(page).toContain('data-metric="f1">Chart “f1” could not be drawn.</p>')
  })

  it('plots a vetoed candidate that was never recorded as a hollow point after the versions', async () => {
    const vetoed = record({ status: 'vetoed', version: undefined, data: { metrics: { accuracy: 0.8, f1: 0.7 }, gate: { passed: false, liveVersion: '1.2.0', verdicts: [] } } })
    const page = await html(buildReport({ record: vetoed, snapshot }))
    const accuracy = page.slice(page.indexOf('data-metric="accuracy"'), page.indexOf('</svg>', page.indexOf('data-metric="accuracy"')))
    expect([...accuracy.matchAll(/data-point="([^"]+)"/g)].map((m) => m[1])).toEqual(['1.0.0', '1.1.0', '1.2.0', 'candidate'])
    expect(accuracy).toMatch(/data-point="candidate" data-marker="candidate"/)
  })

  it('escapes text everywhere, including inside charts', async () => {
    const page = await html(buildReport({ record: record({ data: { metrics: { '<b>x</b>': 1 } } }) }))
    expect(page).not.toContain('<b>x</b>')
    expect(page).toContain('&lt;b&gt;x&lt;/b&gt;')
  })
})

describe('helpers', () => {
  it('formats numbers and deltas', () => {
    expect(formatNumber(0.961234)).toBe('0.9612')
    expect(formatNumber(12)).toBe('12')
    expect(formatNumber(undefined)).toBe('—')
    expect(formatDelta(-0.02, 0.95)).toBe('−0.02 (−2.1%)')
    expect(formatDelta(5, 39)).toBe('+5 (+13%)')
  })

  it('filters a log by phase, keeping continuation lines with their entry', () => {
    const log = [
      '2026-11-29T12:00:00.000Z info   [test/pytest] ran',
      '2026-11-29T12:00:01.000Z error  [monitor/probe] failed:',
      '  line two of the message',
      '2026-11-29T12:00:02.000Z warn   [mlci:alerts] something',
      '2026-11-29T12:00:03.000Z info   [monitor] done',
    ].join('\n')
    expect(filterLogByPhase(log, 'monitor')).toBe([
      '2026-11-29T12:00:01.000Z error  [monitor/probe] failed:', '  line two of the message', '2026-11-29T12:00:03.000Z info   [monitor] done', '',
    ].join('\n'))
    expect(filterLogByPhase(log, 'deploy')).toBe('')
  })
})
