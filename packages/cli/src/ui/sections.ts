import type { ReportSection } from '@mlci/core'
import type { Palette } from './color.js'

/**
 * Report sections plugins contributed (the `sections` hook), as plain terminal text under the
 * run's summary: a bold title naming the plugin, then its text, bullets and an aligned table.
 * Control characters are dropped, so a plugin's text cannot move the cursor or recolour the terminal.
 */
export function formatSections(sections: ReportSection[] | undefined, c: Palette): string {
  if (!sections?.length) return ''
  const out: string[] = []
  for (const section of sections) {
    out.push('', `${c.bold(clean(section.title))}${section.plugin ? c.dim(` (${clean(section.plugin)})`) : ''}`)
    if (section.text) out.push(...clean(section.text, true).split('\n').map((line) => `  ${line}`))
    for (const item of section.items ?? []) out.push(`  • ${clean(item)}`)
    if (section.table) out.push(...table(section.table.columns, section.table.rows, c))
  }
  return out.join('\n') + '\n'
}

function table(columns: string[], rows: ReportSection['table'] extends infer T ? T extends { rows: infer R } ? R : never : never, c: Palette): string[] {
  const cells = [columns.map((t) => clean(t)), ...rows.map((r) => r.map((v) => clean(v === null ? '' : String(v))))]
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => `  ${r.map((v, i) => (v ?? '').padEnd(widths[i])).join('  ')}`.trimEnd()
  return [c.dim(line(cells[0])), ...cells.slice(1).map(line)]
}

function clean(text: string, keepNewlines = false): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(keepNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g : /[\u0000-\u001f\u007f-\u009f]/g, ' ')
}
