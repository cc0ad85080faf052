import { ExitCode, stageName, type HookName } from '@mlci/core'
import { openProject } from '../session.js'
import type { Command } from './index.js'

const command: Command = {
  summary: 'List every hook with its taps in execution order, stage, plugin and version',
  usage: 'mlci plugins [--json]',
  flags: ['json'],
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    const hooks = (Object.keys(mlci.hooks) as HookName[]).map((hook) => ({
      hook,
      taps: mlci.tapsOf(hook).map((t) => ({ name: t.name, plugin: t.plugin, version: t.version, stage: t.stage, stageName: stageName(t.stage), before: t.before })),
    }))
    const known = new Set(mlci.taps.map((t) => t.name))
    const warnings = mlci.taps.flatMap((t) => [t.before ?? []].flat().filter((b) => !known.has(b)).map((b) => `${t.plugin} taps ${t.hook} before "${b}", but no tap has that name`))
    if (args.flags.json) {
      io.stdout.write(JSON.stringify({ config: mlci.config.file, plugins: mlci.config.plugins.map((p) => ({ name: p.plugin.name, version: p.version, source: p.source })), hooks, warnings }, null, 2) + '\n')
      return ExitCode.OK
    }
    const lines = [`config: ${mlci.config.file ?? '(inline)'}`, '']
    for (const { hook, taps } of hooks) {
      lines.push(`${hook}${taps.length ? '' : '  (no taps)'}`)
      taps.forEach((t, i) => lines.push(`  ${i + 1}. ${t.plugin}${t.version ? `@${t.version}` : ''}${t.name !== t.plugin ? ` (${t.name})` : ''}  stage ${t.stageName}`))
    }
    for (const w of warnings) lines.push(`warning: ${w}`)
    io.stdout.write(lines.join('\n') + '\n')
    return ExitCode.OK
  },
}
export default command
