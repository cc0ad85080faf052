import { ErrorCode, MlciError } from './errors.js'
import type { ReportSection } from './run-record.js'

/**
 * Check what a `sections` tap returned and stamp the sections it added with its plugin. A
 * waterfall tap returns the list it was given with its own sections appended (or nothing, which
 * keeps the list). Anything else is the plugin's bug, reported naming it; the list passes on.
 */
export function checkSections(plugin: string, given: unknown, result: unknown): ReportSection[] | undefined {
  if (result === undefined) return undefined
  const fail = (what: string) => new MlciError(ErrorCode.TAP_RESULT_INVALID, `The sections tap of ${plugin} returned ${what}.`, {
    plugin,
    hint: 'Return the list you were given with your sections appended: [...sections, { title: "…", text?: "…", items?: ["…"], table?: { columns: ["…"], rows: [["…"]] } }].',
  })
  if (!Array.isArray(result)) throw fail('something that is not a list of sections')
  const before = new Set(Array.isArray(given) ? given : [])
  return result.map((section: unknown, index) => {
    if (before.has(section)) return section as ReportSection
    const problem = sectionProblem(section)
    if (problem) throw fail(`a section [${index}] whose ${problem}`)
    return { ...(section as ReportSection), plugin }
  })
}

function sectionProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'value is not an object'
  const s = value as Record<string, unknown>
  if (typeof s.title !== 'string' || !s.title.trim()) return 'title is not a non-empty string'
  if (s.text !== undefined && typeof s.text !== 'string') return 'text is not a string'
  if (s.items !== undefined && !(Array.isArray(s.items) && s.items.every((i) => typeof i === 'string'))) return 'items is not a list of strings'
  if (s.table !== undefined) {
    const t = s.table as Record<string, unknown>
    if (typeof t !== 'object' || t === null || !Array.isArray(t.columns) || !t.columns.every((c) => typeof c === 'string')) return 'table.columns is not a list of strings'
    if (!Array.isArray(t.rows) || !t.rows.every((r) => Array.isArray(r) && r.every(isCell))) return 'table.rows is not a list of rows of strings/numbers/booleans'
  }
  return undefined
}

function isCell(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value)
}
