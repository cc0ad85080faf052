import { ErrorCode, ExitCode, MlciError, closePools, listModels, migrateRegistry, pushRegistry, registrySchema } from '@mlci/core'
import { openProject } from '../session.js'
import type { ParsedArgs } from '../options.js'
import type { CommandIo } from './index.js'
import { textTable, time } from './registry-view.js'

const ACTIONS = ['migrate', 'models', 'status', 'push'] as const

export const SHARED_ACTIONS: readonly string[] = ACTIONS
export const SHARED_USAGE = 'migrate [--to N] | models | status | push'

/** Shared registry (PostgreSQL) administration. */
export async function runSharedAction(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [action, ...extra] = args.positionals
  if (extra.length) {
    throw new MlciError(ErrorCode.USAGE, `Unexpected arguments after "mlci registry ${action}": ${extra.join(' ')}.`, { hint: `Usage: mlci registry ${SHARED_USAGE}` })
  }
  const mlci = await openProject(args, io.env)
  const { config } = mlci
  const json = Boolean(args.flags.json)
  const print = (value: unknown, text: string) => io.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text + '\n')
  try {
    if (action === 'migrate') {
      const to = args.flags.to === undefined ? undefined : Number(args.flags.to)
      const r = await migrateRegistry(config, io.env, to)
      print(r, r.applied.length
        ? `${r.location}: schema ${r.from} → ${r.to}\n${r.applied.map((m) => `  applied ${m.version}: ${m.description}`).join('\n')}`
        : `${r.location}: schema ${r.from}, already up to date`)
    } else if (action === 'push') {
      const r = await pushRegistry(mlci)
      const ledger = r.ledger.status === 'diverged'
        ? 'aliases NOT copied: the shared ledger has moves this checkout does not know (see `mlci history` with and without MLCI_REGISTRY_URL)'
        : r.ledger.status === 'copied' ? `${r.ledger.appended} alias move(s) appended` : 'aliases already up to date'
      print(r, [`pushed .mlci/registry to ${r.to}:`,
        `  versions: ${r.versions.copied.length} copied, ${r.versions.present.length} already there${r.versions.conflicting.length ? `, ${r.versions.conflicting.length} CONFLICTING (kept the shared one): ${r.versions.conflicting.join(', ')}` : ''}`,
        `  blobs: ${r.blobs} in the shared store`, `  ${ledger}`].join('\n'))
      if (r.versions.conflicting.length || r.ledger.status === 'diverged') return ExitCode.FAILED
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
}
