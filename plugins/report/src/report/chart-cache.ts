import { createHash } from 'node:crypto'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '@mlci/core'
import type { Chart } from './chart.js'
import { CHART_STYLE } from './chart-option.js'

/**
 * Drawn charts by the hash of their data and style, under `.mlci/report-charts/`. A cached no-op
 * build reports the same history as the build before it: its charts are read back instead of
 * starting a worker and loading ECharts (a few hundred ms on every build otherwise).
 * Best-effort both ways: a read or write that fails only means drawing again.
 */
const KEEP = 200

export function chartCacheDir(stateDir: string): string {
  return join(stateDir, 'report-charts')
}

export function chartKey(chart: Chart): string {
  return createHash('sha256').update(CHART_STYLE).update('\0').update(JSON.stringify(chart, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))).digest('hex').slice(0, 32)
}

export async function readCachedCharts(dir: string, charts: Chart[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  await Promise.all(charts.map(async (c) => {
    try {
      out[c.id] = await readFile(join(dir, `${chartKey(c)}.svg`), 'utf8')
    } catch {
      // not drawn before
    }
  }))
  return out
}

/** Store new drawings; past KEEP files, drop every file this report did not use. */
export async function writeCachedCharts(dir: string, charts: Chart[], svgs: Record<string, string>): Promise<void> {
  try {
    await Promise.all(charts.filter((c) => svgs[c.id]).map((c) => writeFileAtomic(join(dir, `${chartKey(c)}.svg`), svgs[c.id], { durable: false })))
    const files = await readdir(dir)
    if (files.length <= KEEP) return
    const used = new Set(charts.map((c) => `${chartKey(c)}.svg`))
    await Promise.all(files.filter((f) => !used.has(f)).map((f) => rm(join(dir, f), { force: true })))
  } catch {
    // a cache that cannot be written is only slower next time
  }
}
