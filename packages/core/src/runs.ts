import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ErrorCode, MlciError, errorMessage } from './errors.js'
import { RUN_RECORD_SCHEMA, type RunRecord } from './run-record.js'

/** Run records and logs under `.mlci/runs/`, as the `report` and `logs` commands read them. */
export function runsDir(stateDir: string): string {
  return join(stateDir, 'runs')
}

/** Ids of the stored runs, oldest first (ids start with an ISO timestamp). */
export async function listRunIds(stateDir: string): Promise<string[]> {
  const names = await readdir(runsDir(stateDir)).catch(() => [] as string[])
  return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)).sort()
}

/** `ref`: a run id, a unique prefix of one, or nothing for the latest run. */
export async function findRun(stateDir: string, ref?: string): Promise<string> {
  const ids = await listRunIds(stateDir)
  if (!ids.length) {
    throw new MlciError(ErrorCode.NOT_FOUND, `No runs recorded in ${runsDir(stateDir)}.`, { hint: 'Run `mlci build` first.' })
  }
  if (!ref || ref === 'latest') return ids[ids.length - 1]
  if (ids.includes(ref)) return ref
  const matches = ids.filter((id) => id.startsWith(ref))
  if (matches.length === 1) return matches[0]
  throw new MlciError(ErrorCode.NOT_FOUND, matches.length ? `Run "${ref}" is ambiguous (${matches.length} runs match).` : `No run "${ref}" in ${runsDir(stateDir)}.`, {
    hint: `Recent runs: ${ids.slice(-5).reverse().join(', ')}. Give a longer prefix, or no run for the latest.`,
  })
}

export async function readRunRecord(stateDir: string, id: string): Promise<RunRecord> {
  const file = join(runsDir(stateDir), `${id}.json`)
  let record: RunRecord
  try {
    record = JSON.parse(await readFile(file, 'utf8')) as RunRecord
  } catch (error) {
    throw new MlciError(ErrorCode.STATE_CORRUPT, `Cannot read run record ${file}: ${errorMessage(error)}`, {
      hint: 'Delete the file (it is only history) or restore it from a backup.', cause: error,
    })
  }
  if (typeof record.schema !== 'number' || record.schema > RUN_RECORD_SCHEMA) {
    throw new MlciError(ErrorCode.STATE_CORRUPT, `Run record ${file} has schema ${JSON.stringify(record.schema)}; this mlci reads schema ${RUN_RECORD_SCHEMA}.`, {
      hint: 'It was written by a newer mlci: upgrade mlci to read it.',
    })
  }
  return record
}

/** Every readable record, oldest first; unreadable ones are skipped (history is best-effort). */
export async function readRunRecords(stateDir: string): Promise<RunRecord[]> {
  const out: RunRecord[] = []
  for (const id of await listRunIds(stateDir)) {
    try {
      out.push(await readRunRecord(stateDir, id))
    } catch {
      // a corrupt or foreign record must not hide the rest
    }
  }
  return out
}

export async function readRunLog(stateDir: string, id: string): Promise<string> {
  const file = join(runsDir(stateDir), `${id}.log`)
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new MlciError(ErrorCode.NOT_FOUND, `Run ${id} has no log (${file}).`, { hint: 'Logs are pruned with their run records (config `runs.keep`).', cause: error })
  }
}

const ENTRY_START = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /
const SCOPE = /^\S+ \S+\s+\[([^\]/]+)(?:\/[^\]]*)?\] /

/**
 * Keep the entries of one phase. A message can span lines; continuation lines (no timestamp)
 * belong to the entry above them.
 */
export function filterLogByPhase(text: string, phase: string): string {
  const out: string[] = []
  let keep = false
  for (const line of text.split('\n')) {
    if (ENTRY_START.test(line)) keep = SCOPE.exec(line)?.[1] === phase
    if (keep) out.push(line)
  }
  return out.length ? out.join('\n') + '\n' : ''
}
