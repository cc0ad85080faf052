import type { Block, Inline, ReportDoc, Span } from './document.js'
import { OUTCOME_LABEL } from './facts.js'

/** Stable marker: CI finds the pull-request comment that carries it and updates it in place. */
export const REPORT_MARKER = '<!-- mlci-report -->'
/** Identifies the run, so the same run is never appended to a step summary twice. */
export const runMarker = (runId: string): string => `<!-- mlci-run: ${runId.replace(/--/g, '-')} -->`

/** GitHub-flavoured markdown: renders in PR comments, step summaries and any GFM viewer. */
export function renderMarkdown(doc: ReportDoc): string {
  const out = [REPORT_MARKER, runMarker(doc.runId), `## ${OUTCOME_LABEL[doc.outcome].icon} ${escapeText(doc.title)}`, '']
  for (const block of doc.blocks) {
    const text = renderBlock(block)
    if (text !== undefined) out.push(text, '')
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n'
}

function renderBlock(block: Block): string | undefined {
  switch (block.kind) {
    case 'heading': return block.htmlOnly ? undefined : `${'#'.repeat(block.level)} ${inline(block.text)}`
    case 'paragraph': return block.htmlOnly ? undefined : inline(block.text)
    case 'list': return block.items.map((item) => `- ${inline(item)}`).join('\n')
    case 'table': {
      const align = block.columns.map((c) => (c.align === 'right' ? '---:' : c.align === 'center' ? ':---:' : '---'))
      const row = (cells: string[]) => `| ${cells.join(' | ')} |`
      return [row(block.columns.map((c) => cell(escapeText(c.title)))), row(align), ...block.rows.map((r) => row(r.map((c) => cell(inline(c)))))].join('\n')
    }
    case 'details': {
      const fence = '`'.repeat(Math.max(3, longestRun(block.text, '`') + 1))
      return `<details open><summary>${escapeHtml(block.summary)}</summary>\n\n${fence}text\n${block.text}\n${fence}\n\n</details>`
    }
    case 'chart': return undefined // HTML only
  }
}

function inline(text: Inline): string {
  return (Array.isArray(text) ? text : [text]).map(span).join('')
}

function span(s: Span): string {
  if (typeof s === 'string') return escapeText(s)
  if (!s.text) return ''
  let out = s.code ? codeSpan(s.text) : escapeText(s.text)
  // `**a: **` is not bold in CommonMark (a closing ** may not follow a space): keep spaces outside.
  if (s.strong) out = out.replace(/^(\s*)([\s\S]*?)(\s*)$/, (_, lead: string, body: string, trail: string) => (body ? `${lead}**${body}**${trail}` : lead + trail))
  return out
}

/** A table cell is one line; a pipe would end it early. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/(?<!\\)\|/g, '\\|') || ' '
}

function codeSpan(text: string): string {
  const ticks = '`'.repeat(longestRun(text, '`') + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${ticks}${pad}${text.replace(/\r?\n/g, ' ')}${pad}${ticks}`
}

/** Escape markdown syntax and raw HTML in user text (test names, error messages). */
export function escapeText(text: string): string {
  return text.replace(/[\\`*_[\]<>|~&#]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ')
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
}

function longestRun(text: string, char: string): number {
  let best = 0
  let run = 0
  for (const c of text) {
    run = c === char ? run + 1 : 0
    best = Math.max(best, run)
  }
  return best
}
