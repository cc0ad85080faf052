import { ExitCode, diffVersions, markdownTable, type DiffRow, type VersionDiff } from '@mlci/core'
import { openProject } from '../session.js'
import type { Command } from './index.js'
import { resolveRef, show, signed, textTable } from './registry-view.js'

const USAGE = 'mlci diff <a> <b> [--md | --json]'

const command: Command = {
  usage: USAGE,
  flags: ['md', 'json'],
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    const [refA, refB] = args.positionals
    const a = await resolveRef(mlci.registry, refA, USAGE)
    const b = await resolveRef(mlci.registry, refB, USAGE)
    const diff = diffVersions(a, b)
    // Masked on the way out too: records written before redaction was enforced may hold a secret.
    const text = args.flags.json ? JSON.stringify(diff, null, 2) : args.flags.md ? markdown(diff) : plain(diff)
    io.stdout.write(mlci.redact(text) + '\n')
    return ExitCode.OK
  },
}
export default command

function cells(rows: DiffRow[], mark: (row: DiffRow) => string): string[][] {
  return rows.map((r) => [r.name, show(r.a), show(r.b), mark(r)])
}

const metricMark = (r: DiffRow) => (r.delta !== undefined ? signed(r.delta) : r.changed ? 'changed' : '')
const paramMark = (r: DiffRow) => (r.delta !== undefined && r.delta !== 0 ? signed(r.delta) : r.changed ? 'changed' : '')

/** Two GitHub tables (PR comments): metrics with Δ, then params/signature/artifacts. */
function markdown(d: VersionDiff): string {
  const parts = [`### ${d.a} → ${d.b}`, '']
  parts.push(d.metrics.length ? markdownTable(['metric', d.a, d.b, 'Δ'], cells(d.metrics, metricMark)) : '_No metrics recorded._', '')
  parts.push(d.params.length ? markdownTable(['param', d.a, d.b, 'Δ'], cells(d.params, paramMark)) : '_No params recorded._')
  return parts.join('\n')
}

function plain(d: VersionDiff): string {
  const parts: string[] = []
  if (d.metrics.length) parts.push(textTable(['metric', d.a, d.b, 'delta'], cells(d.metrics, metricMark)))
  if (d.params.length) parts.push(textTable(['param', d.a, d.b, ''], cells(d.params, paramMark)))
  return parts.join('\n\n') || 'Nothing recorded to compare.'
}
