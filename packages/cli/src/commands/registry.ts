import { ErrorCode, ExitCode, MlciError, closePools, listModels, migrateRegistry, registrySchema } from '@mlci/core'
import { openProject } from '../session.js'
import type { Command } from './index.js'
import { textTable, time } from './registry-view.js'

const ACTIONS = ['migrate', 'models', 'status'] as const
type Action = (typeof ACTIONS)[number]

const command: Command = {
  usage: 'mlci registry <migrate [--to N]|models|status> [--json]',
  flags: ['json', 'to'],
  async run(args, io) {
    const [action, ...extra] = args.positionals
    if (!ACTIONS.includes(action as Action) || extra.length) {
      throw new MlciError(ErrorCode.USAGE, action ? `Unknown registry action "${[action, ...extra].join(' ')}".` : 'Missing registry action.', {
        hint: `Use one of: ${ACTIONS.map((a) => `mlci registry ${a}`).join(', ')}.`,
      })
    }
    const { config } = await openProject(args, io.env)
    const json = Boolean(args.flags.json)
    const print = (value: unknown, text: string) => io.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text + '\n')
    try {
      if (action === 'migrate') {
        const to = args.flags.to === undefined ? undefined : Number(args.flags.to)
        const r = await migrateRegistry(config, io.env, to)
        print(r, r.applied.length
          ? `${r.location}: schema ${r.from} → ${r.to}\n${r.applied.map((m) => `  applied ${m.version}: ${m.description}`).join('\n')}`
          : `${r.location}: schema ${r.from}, already up to date`)
      } else if (action === 'status') {
        const s = await registrySchema(config, io.env)
        print(s, `${s.location}: schema ${s.schema} of ${s.latest}${s.schema < s.latest ? ' (run `mlci registry migrate`)' : ''}; this project's model: ${s.model}`)
      } else {
        const models = await listModels(config, io.env)
        print({ models }, models.length
          ? textTable(['model', 'versions', 'ready', 'live', 'last version'], models.map((m) => [m.name, String(m.versions), String(m.ready), m.live ?? '—', m.lastCreated ? time(m.lastCreated) : '—']))
          : 'No models in the shared registry yet.')
      }
    } finally {
      await closePools()
    }
    return ExitCode.OK
  },
}
export default command
