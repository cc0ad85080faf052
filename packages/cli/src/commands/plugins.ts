import { ExitCode, listRunIds, readRunRecord, stageName, type HookName, type RunRecord } from '@mlci/core'
import { formatDuration } from '../ui/color.js'
import { openProject } from '../session.js'
import type { Command } from './index.js'

const command: Command = {
  usage: 'mlci plugins [--json]',
  flags: ['json'],
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    const last = await lastRun(mlci.stateDir)
    const timing = (hook: string, tap: string) => last?.phases.find((p) => p.name === hook)?.taps.find((t) => t.name === tap)
    const hooks = (Object.keys(mlci.hooks) as HookName[]).map((hook) => ({
      hook,
      taps: mlci.tapsOf(hook).map((t) => {
        const ran = timing(hook, t.name)
        return {
          name: t.name, plugin: t.plugin, version: t.version, stage: t.stage, stageName: stageName(t.stage), before: t.before,
          lastRun: ran && { status: ran.status, durationMs: ran.durationMs },
        }
      }),
    }))
    const known = new Set(mlci.taps.map((t) => t.name))
    const warnings = mlci.taps.flatMap((t) => [t.before ?? []].flat().filter((b) => !known.has(b)).map((b) => `${t.plugin} taps ${t.hook} before "${b}", but no tap has that name`))
    if (args.flags.json) {
      io.stdout.write(JSON.stringify({ config: mlci.config.file, lastRun: last?.id, plugins: mlci.config.plugins.map((p) => ({ name: p.plugin.name, version: p.version, source: p.source })), hooks, warnings }, null, 2) + '\n')
      return ExitCode.OK
    }
    const lines = [`config: ${mlci.config.file ?? '(inline)'}`, last ? `timings: last run ${last.id} (${last.status})` : 'timings: no run recorded yet', '']
    for (const { hook, taps } of hooks) {
      lines.push(`${hook}${taps.length ? '' : '  (no taps)'}`)
      taps.forEach((t, i) => lines.push(`  ${i + 1}. ${t.plugin}${t.version ? `@${t.version}` : ''}${t.name !== t.plugin ? ` (${t.name})` : ''}  stage ${t.stageName}${t.lastRun ? `  ${t.lastRun.status} ${formatDuration(t.lastRun.durationMs)}` : ''}`))
    }
    for (const w of warnings) lines.push(`warning: ${w}`)
    io.stdout.write(lines.join('\n') + '\n')
    return ExitCode.OK
  },
}
/** The newest run record, for per-tap timings; none when nothing ran yet or it can't be read. */
async function lastRun(stateDir: string): Promise<RunRecord | undefined> {
  const ids = await listRunIds(stateDir)
  return ids.length ? readRunRecord(stateDir, ids[ids.length - 1]).catch(() => undefined) : undefined
}

export default command
