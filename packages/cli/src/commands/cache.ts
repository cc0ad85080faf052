import { join } from 'node:path'
import {
  DEFAULT_MAX_SIZE_MB, ErrorCode, ExitCode, MlciError, acquireLock, cacheStatus, clearCache, collectGarbage,
} from '@mlci/core'
import type { ParsedArgs } from '../options.js'
import { openProject } from '../session.js'
import type { Command, CommandIo } from './index.js'

const ACTIONS = ['status', 'gc', 'clear'] as const
type Action = (typeof ACTIONS)[number]

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 2 : 0)} MB`
}

function maxSizeMB(args: ParsedArgs, configured: number | undefined): number {
  const flag = args.flags['max-size']
  if (flag === undefined) return configured ?? DEFAULT_MAX_SIZE_MB
  const value = Number(flag)
  if (!Number.isFinite(value) || value < 0) {
    throw new MlciError(ErrorCode.USAGE, `--max-size must be a number of megabytes, got "${String(flag)}".`, { hint: 'For example: mlci cache gc --max-size 500' })
  }
  return value
}

async function run(action: Action, args: ParsedArgs, io: CommandIo): Promise<number> {
  const { config, stateDir } = await openProject(args, io.env)
  const maxBytes = Math.floor(maxSizeMB(args, config.cache?.maxSizeMB) * 1024 * 1024)
  const json = Boolean(args.flags.json)
  const print = (value: unknown, lines: string[]) => io.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : lines.join('\n') + '\n')
  if (action === 'status') {
    const status = await cacheStatus(stateDir, maxBytes)
    const lines = [`cache: ${status.entries.length} entr${status.entries.length === 1 ? 'y' : 'ies'}, ${megabytes(status.bytes)} of ${megabytes(status.maxBytes)}`,
      `store: ${status.blobs.count} blob(s), ${megabytes(status.blobs.bytes)} (shared with the model registry)`]
    for (const e of status.entries) lines.push(`  ${e.phase.padEnd(9)} ${e.fingerprint.slice(0, 12)}  last used ${e.lastUsed}  ${e.outputs} output(s), ${megabytes(e.size)}${e.valid ? '' : '  (unreadable: removed by gc)'}`)
    print(status, lines)
    return ExitCode.OK
  }
  // Writers hold the repo lock: a build storing blobs while gc sweeps would lose them.
  const lock = await acquireLock(join(stateDir, 'lock'), { command: io.commandLine, wait: Boolean(args.flags['wait-for-lock']), signal: io.signal })
  try {
    if (action === 'gc') {
      const r = await collectGarbage(stateDir, maxBytes)
      print(r, [
        `evicted ${r.evicted.length} entr${r.evicted.length === 1 ? 'y' : 'ies'} (cache ${megabytes(r.bytesBefore)} → ${megabytes(r.bytesAfter)}, limit ${megabytes(maxBytes)})`,
        `removed ${r.removedBlobs + r.unreferencedBlobs} blob(s) no entry or registry version names (${megabytes(r.freedBlobBytes)} unreferenced)`,
        `removed ${r.staleTemps} stale temp file(s), ${r.orphanParts} orphaned fingerprint file(s), ${r.prunedStatRows} stat row(s) of deleted files`,
      ])
    } else {
      const r = await clearCache(stateDir)
      print(r, [`cleared ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'}, removed ${r.removedBlobs} blob(s); kept ${r.keptBlobs} blob(s) the model registry names`])
    }
  } finally {
    await lock.release()
  }
  return ExitCode.OK
}

const command: Command = {
  usage: 'mlci cache <status|gc|clear> [--max-size MB] [--json] [--wait-for-lock]',
  flags: ['json', 'max-size', 'wait-for-lock'],
  async run(args, io) {
    const [action, ...extra] = args.positionals
    if (!ACTIONS.includes(action as Action) || extra.length) {
      throw new MlciError(ErrorCode.USAGE, action ? `Unknown cache action "${[action, ...extra].join(' ')}".` : 'Missing cache action.', {
        hint: `Use one of: ${ACTIONS.map((a) => `mlci cache ${a}`).join(', ')}.`,
      })
    }
    return run(action as Action, args, io)
  },
}
export default command
