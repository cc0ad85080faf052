import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { flattenMetrics, parseJsonWithNonFinite, readMetrics } from './metrics.js'

const dir = mkdtempSync(join(tmpdir(), 'mlci-metrics-'))
function file(name: string, content: string): string {
  writeFileSync(join(dir, name), content)
  return join(dir, name)
}

describe('metrics', () => {
  it('reads JSON and YAML and flattens nested objects to dotted keys', async () => {
    const json = file('m.json', '{"accuracy": 0.9, "f1": {"red": 0.8, "per_fold": [0.7, 0.75]}}')
    expect(await readMetrics(json, 'm.json')).toEqual({ accuracy: 0.9, 'f1.red': 0.8, 'f1.per_fold.0': 0.7, 'f1.per_fold.1': 0.75 })
    const yaml = file('m.yaml', 'accuracy: 0.9\nloss:\n  train: 0.1\n  test: 0.2\n')
    expect(await readMetrics(yaml, 'm.yaml')).toEqual({ accuracy: 0.9, 'loss.train': 0.1, 'loss.test': 0.2 })
  })

  it("names a NaN that Python's json module wrote as a bare token", async () => {
    const path = file('nan.json', '{\n  "accuracy": NaN,\n  "loss": 0.1\n}\n')
    await expect(readMetrics(path, 'out/metrics.json')).rejects.toThrow('Metric accuracy is NaN in out/metrics.json.')
    expect(parseJsonWithNonFinite('{"a": -Infinity, "b": "NaN and Infinity", "c": [Infinity]}')).toEqual({ a: -Infinity, b: 'NaN and Infinity', c: [Infinity] })
  })

  it('rejects infinities, strings, booleans and nulls, naming each', () => {
    expect(() => flattenMetrics({ loss: Infinity }, 'm.json')).toThrow('Metric loss is Infinity in m.json.')
    expect(() => flattenMetrics({ a: { b: '0.9' } }, 'm.json')).toThrow('Metric a.b is the string "0.9", not a number in m.json.')
    try {
      flattenMetrics({ ok: 1, x: null, y: true }, 'm.json')
      expect.unreachable()
    } catch (error) {
      expect((error as Error).message).toBe('Metric x is null, not a number in m.json (and 1 more).')
      expect((error as { details?: string }).details).toContain('- y is a boolean, not a number')
    }
  })

  it('rejects .nan in YAML too', async () => {
    await expect(readMetrics(file('nan.yaml', 'acc: .nan\n'), 'm.yaml')).rejects.toThrow('Metric acc is NaN in m.yaml.')
  })

  it('rejects a missing file, non-objects, empty objects and broken JSON', async () => {
    await expect(readMetrics(join(dir, 'absent.json'), 'out/absent.json')).rejects.toThrow('Metrics file out/absent.json does not exist.')
    expect(() => flattenMetrics([1, 2], 'm.json')).toThrow('must hold an object of name: number, got an array')
    expect(() => flattenMetrics({}, 'm.json')).toThrow('holds no metrics')
    await expect(readMetrics(file('bad.json', '{"a": 1,'), 'bad.json')).rejects.toThrow(/bad.json is not valid JSON/)
  })
})
