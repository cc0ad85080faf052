import { ExitCode, num, openReleases, releaseJournal } from '@mlci/core'
import { openProject } from '../session.js'
import type { Command } from './index.js'
import { aliasesByVersion, mainMetrics, textTable, time } from './registry-view.js'

const command: Command = {
  usage: 'mlci versions [--json]',
  flags: ['json'],
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    const [versions, aliases, unproven] = await Promise.all([mlci.registry.list(), mlci.registry.aliases(), servingUnproven(mlci)])
    const byVersion = aliasesByVersion(aliases)
    if (args.flags.json) {
      const out = versions.map((v) => ({ ...v, aliases: byVersion.get(v.version.split('+')[0]) ?? [] }))
      io.stdout.write(JSON.stringify({ versions: out, aliases, ...(unproven ? { serving: { version: unproven.candidate, unproven: true, why: unproven.unproven?.why } } : {}) }, null, 2) + '\n')
      return ExitCode.OK
    }
    if (!versions.length) {
      io.stdout.write('No model versions recorded yet. A build records one when a plugin taps `version` (e.g. @mlci/plugin-semver).\n')
      return ExitCode.OK
    }
    const metrics = mainMetrics(versions)
    const rows = [...versions].reverse().map((v) => [
      v.version, v.status, time(v.createdAt),
      ...metrics.map((m) => (v.metrics?.[m] === undefined ? '—' : num(v.metrics[m]))),
      (byVersion.get(v.version.split('+')[0]) ?? []).join(', '),
      v.status === 'failed' ? truncate(v.reason ?? '', 60) : v.version === unproven?.candidate ? 'serving, unproven' : '',
    ])
    io.stdout.write(textTable(['version', 'status', 'created', ...metrics, 'aliases', 'note'], rows) + '\n')
    if (unproven) {
      io.stdout.write(`\nServing: ${unproven.candidate}, unproven (${unproven.unproven?.why ?? 'its analysis could not decide'}); live names ${aliases.live ?? 'nothing'}. The next \`mlci build\`, \`mlci monitor\` or \`mlci rollback\` resolves it.\n`)
    }
    return ExitCode.OK
  },
}
export default command

/** The release a run left serving unproven (open in the release journal), if any: what actually serves. */
async function servingUnproven(mlci: Awaited<ReturnType<typeof openProject>>) {
  const journal = releaseJournal(mlci.registry, mlci.stateDir, { runId: 'versions' })
  return openReleases(await journal.pending((e) => e.step === 'release')).filter((r) => r.unproven).at(-1)
}

function truncate(text: string, max: number): string {
  const line = text.split('\n')[0]
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}
