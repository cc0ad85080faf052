import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Chart, ChartPoint, PointMarker } from './chart.js'
import { loadEcharts, renderChartSvgs } from './chart-render.js'

/**
 * Property tests for the chart renderer: whatever the metric series (empty, one point, constant,
 * one ulp apart, NaN/Infinity, 10k points, huge and tiny magnitudes), a chart is drawn, quickly,
 * with distinct y tick labels and rollback markers that never overlap.
 */
const BUDGET_MS = 2_000

function nextUp(x: number, steps = 1): number {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const bits = view.getBigInt64(0)
  view.setBigInt64(0, x >= 0 ? bits + BigInt(steps) : bits - BigInt(steps))
  return view.getFloat64(0)
}

function chart(ys: (number | null)[], options: { events?: number[]; kind?: 'metric' | 'monitor'; markers?: (PointMarker | undefined)[] } = {}): Chart {
  const points: ChartPoint[] = ys.map((y, x) => ({ x, y, label: `1.${x}.0`, title: `1.${x}.0: ${y}`, marker: options.markers?.[x] }))
  return { id: 'c', kind: options.kind ?? 'metric', title: 'metric', axis: 'category', series: [{ name: 'metric', points }], events: (options.events ?? []).map((x) => ({ x, label: `rolled back from 1.${x}.0` })) }
}

async function draw(c: Chart): Promise<{ svg: string; ms: number }> {
  const started = performance.now()
  const image = (await renderChartSvgs([c]))[c.id]
  const ms = performance.now() - started
  if (!('svg' in image)) throw new Error(`not drawn: ${image.error}`)
  return { svg: image.svg, ms }
}

/** Y tick labels: right-aligned texts left of the plot (x labels are centred or rotated). */
function yTicks(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*text-anchor="end"[^>]*transform="translate\(([\d.]+) [^)]*\)"[^>]*>([^<]*)<\/text>/g)].map((m) => m[2])
}

/** Rollback marker texts (`↩N`) with their position. */
function markers(svg: string): { text: string; x: number; y: number }[] {
  return [...svg.matchAll(/<text[^>]*transform="translate\(([\d.-]+) ([\d.-]+)\)"[^>]*>(↩\d+)<\/text>/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), text: m[3] }))
}

function expectReadable(svg: string): void {
  const ticks = yTicks(svg)
  // Every y label fits left of the plot: its right end (the anchor) is at least as far right as ~7 px a character.
  for (const m of svg.matchAll(/<text[^>]*text-anchor="end"[^>]*transform="translate\(([\d.]+) [^)]*\)"[^>]*>([^<]*)<\/text>/g)) {
    expect(Number(m[1]), `label ${m[2]} is cut off`).toBeGreaterThanOrEqual(m[2].length * 6.5)
  }
  expect(new Set(ticks).size, `y ticks ${ticks.join(' | ')}`).toBe(ticks.length)
  for (const t of ticks) expect(t.length, t).toBeLessThanOrEqual(12)
  const marks = markers(svg)
  for (const a of marks) {
    for (const b of marks) {
      if (a === b || a.y !== b.y) continue
      // Each marker is at most ~4 characters of 11 px text, centred on its line.
      expect(Math.abs(a.x - b.x), `${a.text} and ${b.text} overlap`).toBeGreaterThanOrEqual((a.text.length + b.text.length) * 3.5)
    }
  }
}

const degenerate: [string, (number | null)[]][] = [
  ['empty', []],
  ['one point', [0.9798]],
  ['constant', [0.5, 0.5, 0.5, 0.5]],
  ['one ulp apart', [0.9798, nextUp(0.9798), nextUp(0.9798, 2), 0.9798]],
  ['zero and -0', [0, -0, 0]],
  ['NaN and Infinity', [NaN, Infinity, -Infinity, 1, null, 2]],
  ['only NaN', [NaN, NaN]],
  ['huge', [1e308, -1e308, Number.MAX_VALUE, -Number.MAX_VALUE]],
  ['tiny', [5e-324, 1e-323, 2e-323]],
  ['huge and tiny', [1e-300, 1e300]],
  ['10k points', Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 50) + i * 1e-4)],
]

describe('chart rendering with degenerate series', () => {
  // Loading ECharts (once per process) is not drawing: the budget is per chart drawn.
  beforeAll(async () => { await loadEcharts() })

  for (const [name, ys] of degenerate) {
    it(`${name}: drawn fast with distinct ticks`, async () => {
      const { svg, ms } = await draw(chart(ys, { events: ys.length > 2 ? [1, 2] : [] }))
      // 10,000 points take ~0.3 s on an idle machine; the budget leaves room for a loaded CI box.
      expect(ms).toBeLessThan(ys.length > 1000 ? 2.5 * BUDGET_MS : BUDGET_MS)
      expect(svg).toMatch(/^<svg class="chart"/)
      expectReadable(svg)
    })
  }

  it('one-ulp series shows more than one tick, each a different label', async () => {
    const { svg } = await draw(chart([0.9798, nextUp(0.9798), nextUp(0.9798, 2)]))
    expect(yTicks(svg).length).toBeGreaterThanOrEqual(3)
  })

  it('any series of doubles is drawn fast, with distinct y ticks (property)', async () => {
    const value = fc.oneof(
      fc.double(),
      fc.double({ min: -1e-3, max: 1e-3, noNaN: true }),
      fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, Number.MAX_VALUE, Number.MIN_VALUE, null),
    )
    const series = fc.oneof(
      fc.array(value, { maxLength: 60 }),
      // Near-constant: a base value and small ulp offsets.
      fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 40 }))
        .map(([base, steps]) => steps.map((s) => nextUp(base, s))),
    )
    await fc.assert(fc.asyncProperty(series, fc.array(fc.nat(59), { maxLength: 30 }), async (ys, events) => {
      const { svg, ms } = await draw(chart(ys, { events: events.filter((x) => x < ys.length) }))
      expect(ms).toBeLessThan(BUDGET_MS)
      expectReadable(svg)
    }), { numRuns: 150 })
  })

  it('rollback markers never overlap, however many and however close (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.uniqueArray(fc.nat(39), { maxLength: 40 }), async (n, xs) => {
      const { svg } = await draw(chart(Array.from({ length: n }, (_, i) => 0.9 + i / 100), { events: xs.filter((x) => x < n) }))
      expect(markers(svg)).toHaveLength(new Set(xs.filter((x) => x < n)).size)
      expectReadable(svg)
    }), { numRuns: 60 })
  })

  it('labels the x axis with versions, marks live and failed points, and carries a tooltip per point', async () => {
    const { svg } = await draw(chart([0.9, 0.92, 0.91], { markers: [undefined, 'failed', 'live'], events: [1] }))
    expect(svg).toContain('>1.0.0</text>')
    expect(svg).toContain('data-point="1.1.0" data-marker="failed"><title>1.1.0: 0.92</title>')
    expect(svg).toContain('data-point="1.2.0" data-marker="live"><title>1.2.0: 0.91</title>')
    expect(svg).toContain('data-event="↩1"><title>↩1 rolled back from 1.1.0</title>')
    expect(svg).not.toMatch(/ecmeta_|<script|href=/)
  })
})
