import { ErrorCode, type RunResult } from '@mlci/core'
import { formatDuration, type Palette } from './color.js'

/** The one-line outcome at the end of a run. */
export function summaryLine(result: RunResult, c: Palette): string {
  const r = result.record
  const counts: Record<string, number> = {}
  for (const p of r.phases) counts[p.status] = (counts[p.status] ?? 0) + 1
  const parts = Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')
  // `mlci monitor …` → "monitor": the summary names the command that ran.
  const verb = r.command.split(' ')[1] ?? 'build'
  const head = r.status === 'ok' ? c.green(`✔ ${verb} ok`)
    : r.status === 'vetoed' ? c.yellow('✖ vetoed')
    : r.status === 'interrupted' ? c.yellow('✖ interrupted')
    // `--dry-run --check` found work to do: nothing failed, the tree is out of date.
    : r.error?.code === ErrorCode.STALE ? c.yellow('✖ out of date')
    : c.red(`✖ ${verb} failed`)
  const version = r.version ? ` · version ${r.version}` : ''
  return `${head}${version} · ${parts || 'nothing to do'} · ${formatDuration(r.durationMs ?? 0)}${r.dryRun ? ' · dry run' : ''}`
}
