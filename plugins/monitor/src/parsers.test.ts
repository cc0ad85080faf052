import { describe, expect, it } from 'vitest'
import { parseCsv } from './csv.js'
import { parseDuration } from './duration.js'
import { getPath, parseJsonPath } from './json-path.js'
import { percentile } from './probe.js'

describe('json paths', () => {
  const doc = { a: { b: [{ c: 3 }, { c: 4 }] }, 'p95.ms': 12, list: [[1, 2]] }
  it('reads a.b[0].c, $.x, ["dotted.key"] and nested indexes', () => {
    expect(getPath(doc, parseJsonPath('a.b[0].c'))).toBe(3)
    expect(getPath(doc, parseJsonPath('$.a.b[1].c'))).toBe(4)
    expect(getPath(doc, parseJsonPath('["p95.ms"]'))).toBe(12)
    expect(getPath(doc, parseJsonPath('list[0][1]'))).toBe(2)
    expect(getPath(doc, parseJsonPath('a.missing.c'))).toBeUndefined()
    expect(getPath(doc, parseJsonPath('a.b[9]'))).toBeUndefined()
  })
  it('never reads inherited properties', () => {
    expect(getPath(doc, parseJsonPath('a.constructor'))).toBeUndefined()
    expect(getPath(doc, parseJsonPath('__proto__'))).toBeUndefined()
    expect(getPath([1], parseJsonPath('[0].toString'))).toBeUndefined()
  })
  it('rejects malformed paths', () => {
    expect(() => parseJsonPath('a..b')).toThrow(/expected a key/)
    expect(() => parseJsonPath('a[x]')).toThrow(/expected \[number\]/)
    expect(() => parseJsonPath('')).toThrow(/empty/)
  })
})

describe('csv', () => {
  it('handles quotes, escaped quotes, embedded commas/newlines and CRLF', () => {
    expect(parseCsv('a,b\r\n1,"x, ""y"""\n2,"multi\nline"\n\n')).toEqual([['a', 'b'], ['1', 'x, "y"'], ['2', 'multi\nline']])
    expect(parseCsv('a,b\n1,2')).toEqual([['a', 'b'], ['1', '2']])
    expect(() => parseCsv('a\n"open')).toThrow(/unterminated/)
  })
})

describe('durations and percentiles', () => {
  it('parses durations', () => {
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('1.5s')).toBe(1500)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('1h')).toBe(3_600_000)
    expect(parseDuration(42)).toBe(42)
    expect(() => parseDuration('30')).toThrow(/500ms, 30s, 5m or 1h/)
    expect(() => parseDuration(-1)).toThrow(/non-negative/)
  })
  it('interpolates percentiles like numpy', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(percentile([5], 0.95)).toBe(5)
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBeCloseTo(9.55)
    expect(percentile([], 0.5)).toBeNaN()
  })
})
