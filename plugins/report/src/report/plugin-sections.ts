import type { RunRecord } from '@mlci/core'
import type { Block } from './document.js'

/**
 * Sections plugins contributed through the `sections` hook (stored in the run record, so
 * `mlci report` renders them too). Their text is data, escaped by each renderer like any other.
 */
export function pluginSectionBlocks(record: RunRecord): Block[] {
  return (record.sections ?? []).flatMap((section, index): Block[] => {
    const blocks: Block[] = [{
      kind: 'heading', level: 3, id: `plugin-section-${index + 1}`,
      text: [section.title, section.plugin ? { text: ` (${section.plugin})`, tone: 'muted' } : ''],
    }]
    if (section.text) blocks.push({ kind: 'paragraph', text: section.text })
    if (section.items?.length) blocks.push({ kind: 'list', items: section.items })
    if (section.table) {
      blocks.push({
        kind: 'table',
        columns: section.table.columns.map((title) => ({ title })),
        rows: section.table.rows.map((row) => row.map((cell) => (cell === null ? '' : String(cell)))),
      })
    }
    return blocks
  })
}
