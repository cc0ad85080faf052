import { ErrorCode, MlciError } from '../errors.js'
import type { AliasState } from './backend.js'
import { corrupt, parseStateFile } from './json-file.js'
import type { AliasMove, ModelVersion, VersionStatus } from './types.js'

/**
 * Schema of every registry document. Bump only when a field changes meaning; adding optional
 * fields is not a change. A document with a higher schema was written by a newer mlci and is
 * refused rather than misread.
 */
export const REGISTRY_SCHEMA = 1

const VERSION_KIND = 'mlci.model-version'
const ALIASES_KIND = 'mlci.aliases'
const STATUSES: readonly VersionStatus[] = ['pending', 'ready', 'failed']

/**
 * The storage key of a version: the version without build metadata, because `1.2.0+data.a`
 * and `1.2.0+data.b` are the same version to semver and must not both exist.
 */
export function versionKey(version: string): string {
  const key = version.split('+')[0]
  if (!/^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$/.test(key) || key.endsWith('.tmp')) {
    throw new MlciError(ErrorCode.USAGE, `"${version}" is not a valid model version name.`, {
      hint: 'Use a semantic version such as 1.2.0 or 1.2.0-rc.1 (letters, digits, ".", "-", optional "+build").',
    })
  }
  return key
}

/** Alias names live in a JSON object and in command lines: keep them simple. */
export function checkAliasName(alias: string): void {
  if (!/^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(alias)) {
    throw new MlciError(ErrorCode.USAGE, `"${alias}" is not a valid alias name.`, { hint: 'Aliases start with a letter: live, previous, champion, staging-eu.' })
  }
}

export function encodeVersion(doc: ModelVersion): string {
  return JSON.stringify({ schema: REGISTRY_SCHEMA, kind: VERSION_KIND, ...doc }, null, 2) + '\n'
}

export function decodeVersion(file: string, text: string, key: string): ModelVersion {
  const raw = parseStateFile(file, text) as Record<string, unknown>
  checkEnvelope(file, raw, VERSION_KIND)
  const field = (name: string, ok: boolean, expected: string) => {
    if (!ok) throw corrupt(file, `field "${name}" must be ${expected}, found ${JSON.stringify(raw[name]) ?? 'nothing'}`)
  }
  field('version', typeof raw.version === 'string', 'a string')
  field('version', (raw.version as string).split('+')[0] === key, `version ${key} (the file name)`)
  field('status', STATUSES.includes(raw.status as VersionStatus), `one of ${STATUSES.join(', ')}`)
  for (const name of ['createdAt', 'updatedAt', 'runId', 'fingerprint']) field(name, typeof raw[name] === 'string', 'a string')
  for (const name of ['params', 'metrics', 'fingerprints', 'git', 'signature', 'image', 'extra']) {
    field(name, raw[name] === undefined || (typeof raw[name] === 'object' && raw[name] !== null), 'an object')
  }
  field('artifacts', raw.artifacts === undefined || Array.isArray(raw.artifacts), 'a list')
  const { schema: _schema, kind: _kind, ...doc } = raw
  return doc as unknown as ModelVersion
}

export function encodeAliases(state: AliasState): string {
  return JSON.stringify({ schema: REGISTRY_SCHEMA, kind: ALIASES_KIND, ...state }, null, 2) + '\n'
}

export function decodeAliases(file: string, text: string): AliasState {
  const raw = parseStateFile(file, text) as Record<string, unknown>
  checkEnvelope(file, raw, ALIASES_KIND)
  if (!Number.isInteger(raw.revision)) throw corrupt(file, 'field "revision" must be an integer')
  const aliases = raw.aliases as Record<string, unknown>
  if (typeof aliases !== 'object' || aliases === null || Array.isArray(aliases)) throw corrupt(file, 'field "aliases" must be an object')
  for (const [name, to] of Object.entries(aliases)) if (typeof to !== 'string') throw corrupt(file, `alias "${name}" must name a version`)
  if (!Array.isArray(raw.ledger)) throw corrupt(file, 'field "ledger" must be a list')
  raw.ledger.forEach((entry: AliasMove, i: number) => {
    if (typeof entry !== 'object' || entry === null || typeof entry.alias !== 'string' || typeof entry.time !== 'string') {
      throw corrupt(file, `ledger entry ${i + 1} must have "alias" and "time"`)
    }
  })
  return { revision: raw.revision as number, aliases: aliases as Record<string, string>, ledger: raw.ledger as AliasMove[] }
}

function checkEnvelope(file: string, raw: Record<string, unknown>, kind: string): void {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw corrupt(file, 'expected a JSON object')
  if (!Number.isInteger(raw.schema)) throw corrupt(file, 'no "schema" field')
  if ((raw.schema as number) > REGISTRY_SCHEMA) {
    throw new MlciError(ErrorCode.STATE_CORRUPT, `Registry file ${file} has schema ${raw.schema}; this mlci reads up to ${REGISTRY_SCHEMA}.`, {
      hint: 'It was written by a newer mlci: upgrade mlci. The file was left as it is.',
    })
  }
  if (raw.kind !== kind) throw corrupt(file, `field "kind" must be "${kind}", found ${JSON.stringify(raw.kind)}`)
}
