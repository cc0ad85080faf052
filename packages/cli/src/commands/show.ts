import { ExitCode, num, type ModelVersion } from '@mlci/core'
import { openProject } from '../session.js'
import type { Command } from './index.js'
import { aliasesByVersion, resolveRef, show as text, time } from './registry-view.js'

const USAGE = 'mlci show <version|alias> [--json]'

const command: Command = {
  usage: USAGE,
  flags: ['json'],
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    const version = await resolveRef(mlci.registry, args.positionals[0], USAGE)
    const aliases = aliasesByVersion(await mlci.registry.aliases()).get(version.version.split('+')[0]) ?? []
    if (args.flags.json) {
      // Records written before redaction was enforced may hold a secret: mask on the way out too.
      io.stdout.write(mlci.redact(JSON.stringify({ ...version, aliases }, null, 2)) + '\n')
      return ExitCode.OK
    }
    io.stdout.write(mlci.redact(lineage(version, aliases)) + '\n')
    return ExitCode.OK
  },
}
export default command

function lineage(v: ModelVersion, aliases: string[]): string {
  const lines: string[] = []
  const field = (name: string, value: string | undefined) => {
    if (value) lines.push(`${name.padEnd(12)} ${value}`)
  }
  const section = (name: string, entries: [string, string][]) => {
    if (!entries.length) return
    lines.push(`${name}:`)
    const width = Math.max(...entries.map(([k]) => k.length))
    for (const [k, value] of entries) lines.push(`  ${k.padEnd(width)}  ${value}`)
  }
  const semver = v.extra?.semver as { bump?: string; reason?: string; previous?: string } | undefined
  field('version', v.version)
  field('status', v.status === 'failed' ? `failed — ${v.reason ?? 'no reason recorded'}` : v.status)
  field('aliases', aliases.join(', ') || undefined)
  field('created', `${time(v.createdAt)} by run ${v.runId}`)
  if (v.updatedAt !== v.createdAt) field('updated', time(v.updatedAt))
  field('git', v.git ? `${v.git.commit}${v.git.dirty ? ' (uncommitted changes)' : ''}` : 'not in a git repository')
  field('fingerprint', v.fingerprint)
  if (semver) field('bump', `${semver.bump ?? '?'}${semver.previous ? ` from ${semver.previous}` : ''} — ${semver.reason ?? ''}`)
  section('phases', Object.entries(v.fingerprints ?? {}))
  section('params', Object.entries(v.params ?? {}).map(([k, value]) => [k, text(value)]))
  section('metrics', Object.entries(v.metrics ?? {}).map(([k, value]) => [k, num(value)]))
  section('artifacts', (v.artifacts ?? []).map((a) => [a.path, `${a.digest}  ${a.size} bytes`]))
  if (v.signature) {
    section('signature', [
      ['inputs', (v.signature.inputs ?? []).map((i) => `${i.name}:${i.type}`).join(', ')],
      ['outputs', text(v.signature.outputs)],
    ])
  }
  if (v.image) section('image', Object.entries(v.image).filter(([, value]) => value).map(([k, value]) => [k, String(value)]))
  section('analysis', (v.analysis ?? []).map((a) => [a.name, `${a.verdict}${a.message ? ` — ${a.message}` : ''}`]))
  const extra = Object.entries(v.extra ?? {}).filter(([k]) => k !== 'semver')
  section('extra', extra.map(([k, value]) => [k, text(value)]))
  return lines.join('\n')
}
