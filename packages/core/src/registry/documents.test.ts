// Registry documents: which names are valid, and every way a version or aliases file can be
// damaged, refused with a message naming the file and the field (mlci never misreads one).
import { describe, expect, it } from 'vitest'
import { checkAliasName, decodeAliases, decodeVersion, encodeAliases, encodeVersion, versionKey } from './documents.js'
import type { ModelVersion } from './types.js'

const FILE = '/state/registry/versions/1.0.0.json'
const damaged = (problem: string) => ({ code: 'MLCI_STATE_CORRUPT', message: `Registry file ${FILE} is damaged: ${problem}.` })

const version: ModelVersion = {
  version: '1.0.0+data.abc', status: 'ready', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
  runId: 'r1', fingerprint: 'fp', params: { lr: 0.1 }, metrics: { accuracy: 0.9 }, artifacts: [],
} as ModelVersion

const versionText = (patch: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(encodeVersion(version)), ...patch })

describe('registry names', () => {
  it('a version key is the version without build metadata; anything else is refused with a hint', () => {
    expect(versionKey('1.2.0+data.abc')).toBe('1.2.0')
    expect(versionKey('1.2.0-rc.1')).toBe('1.2.0-rc.1')
    expect(versionKey(`a${'b'.repeat(127)}`)).toHaveLength(128)
    for (const bad of ['', '.hidden', '1.0.0/..', '1.0.0 ', `a${'b'.repeat(128)}`, '1.0.0.tmp', '1.0.0.tmp+x']) {
      expect(() => versionKey(bad), bad).toThrow(expect.objectContaining({
        code: 'MLCI_USAGE', message: `"${bad}" is not a valid model version name.`,
        hint: 'Use a semantic version such as 1.2.0 or 1.2.0-rc.1 (letters, digits, ".", "-", optional "+build").',
      }))
    }
    expect(versionKey('tmp.1')).toBe('tmp.1')
  })

  it('an alias starts with a letter', () => {
    for (const ok of ['live', 'staging-eu', 'x.y_z']) expect(() => checkAliasName(ok)).not.toThrow()
    expect(() => checkAliasName('1live')).toThrow(expect.objectContaining({
      code: 'MLCI_USAGE', message: '"1live" is not a valid alias name.', hint: 'Aliases start with a letter: live, previous, champion, staging-eu.',
    }))
  })
})

describe('version documents', () => {
  it('round-trip with schema and kind on disk, not in the document', () => {
    const text = encodeVersion(version)
    expect(JSON.parse(text)).toMatchObject({ schema: 1, kind: 'mlci.model-version', version: '1.0.0+data.abc' })
    expect(text.endsWith('}\n')).toBe(true)
    expect(text).toContain('\n  "kind"')
    expect(decodeVersion(FILE, text, '1.0.0')).toEqual(version)
  })

  it('name the damaged field and what it should be', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ version: 7 }, 'field "version" must be a string, found 7'],
      [{ version: '2.0.0' }, 'field "version" must be version 1.0.0 (the file name), found "2.0.0"'],
      [{ status: 'live' }, 'field "status" must be one of pending, ready, failed, found "live"'],
      ...['createdAt', 'updatedAt', 'runId', 'fingerprint'].map((name): [Record<string, unknown>, string] => [{ [name]: undefined }, `field "${name}" must be a string, found nothing`]),
      ...['params', 'metrics', 'fingerprints', 'git', 'signature', 'image', 'extra'].flatMap((name): [Record<string, unknown>, string][] => [
        [{ [name]: null }, `field "${name}" must be an object, found null`],
        [{ [name]: 'x' }, `field "${name}" must be an object, found "x"`],
      ]),
      [{ artifacts: {} }, 'field "artifacts" must be a list, found {}'],
      [{ kind: 'mlci.aliases' }, 'field "kind" must be "mlci.model-version", found "mlci.aliases"'],
      [{ schema: 'one' }, 'no "schema" field'],
    ]
    for (const [patch, problem] of cases) expect(() => decodeVersion(FILE, versionText(patch), '1.0.0'), problem).toThrow(expect.objectContaining(damaged(problem)))
    for (const text of ['[]', 'null', '"text"']) expect(() => decodeVersion(FILE, text, '1.0.0'), text).toThrow(expect.objectContaining(damaged('expected a JSON object')))
  })

  it('a newer schema is refused (upgrade mlci), never misread', () => {
    expect(() => decodeVersion(FILE, versionText({ schema: 2 }), '1.0.0')).toThrow(expect.objectContaining({
      code: 'MLCI_STATE_CORRUPT', message: `Registry file ${FILE} has schema 2; this mlci reads up to 1.`,
      hint: 'It was written by a newer mlci: upgrade mlci. The file was left as it is.',
    }))
  })
})

describe('aliases documents', () => {
  const state = { revision: 3, aliases: { live: '1.0.0' }, ledger: [{ time: 't', alias: 'live', to: '1.0.0' }] }
  const text = (patch: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(encodeAliases(state)), ...patch })

  it('round-trip', () => {
    expect(JSON.parse(encodeAliases(state))).toMatchObject({ schema: 1, kind: 'mlci.aliases' })
    expect(encodeAliases(state).endsWith('}\n')).toBe(true)
    expect(decodeAliases(FILE, encodeAliases(state))).toEqual(state)
  })

  it('name the damaged part', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ revision: 1.5 }, 'field "revision" must be an integer'],
      [{ aliases: null }, 'field "aliases" must be an object'],
      [{ aliases: [] }, 'field "aliases" must be an object'],
      [{ aliases: 'live' }, 'field "aliases" must be an object'],
      [{ aliases: { live: 1 } }, 'alias "live" must name a version'],
      [{ ledger: {} }, 'field "ledger" must be a list'],
      [{ ledger: [...state.ledger, null] }, 'ledger entry 2 must have "alias" and "time"'],
      [{ ledger: ['x'] }, 'ledger entry 1 must have "alias" and "time"'],
      [{ ledger: [{ time: 't' }] }, 'ledger entry 1 must have "alias" and "time"'],
      [{ ledger: [{ alias: 'live' }] }, 'ledger entry 1 must have "alias" and "time"'],
      [{ kind: 'mlci.model-version' }, 'field "kind" must be "mlci.aliases", found "mlci.model-version"'],
    ]
    for (const [patch, problem] of cases) expect(() => decodeAliases(FILE, text(patch)), problem).toThrow(expect.objectContaining(damaged(problem)))
  })
})
