import { describe, expect, it } from 'vitest'
import { closest } from './options.js'
import { checkPluginOptions, optionsSchema, type StandardSchemaV1 } from './options-schema.js'
import { definePlugin } from './plugin.js'
import { jsonProblem } from './run-data.js'

describe('options schemas', () => {
  it('suggests the known key a typo meant, and nothing for an unrelated key', () => {
    expect(closest('agrs', ['args', 'python'])).toBe('args')
    expect(closest('timout', ['timeout', 'cwd'])).toBe('timeout')
    expect(closest('Port', ['port'])).toBe('port')
    expect(closest('banana', ['args', 'python'])).toBeUndefined()
  })

  it('reports every issue of a shape schema with its key path', () => {
    const schema = optionsSchema({ a: 'string', nested: { shape: { n: 'integer' } }, list: { array: { shape: { x: 'boolean' } } } }, { required: ['a'] })
    const result = checkPluginOptions('p', schema, { nested: { n: 1.5 }, list: [{ x: 1 }], extra: true })
    expect(result).toEqual({ problems: [
      'p.a is required (a string)',
      'p.nested.n must be an integer, got a number (1.5)',
      'p.list[0].x must be a boolean, got a number (1)',
      'p.extra is not a known option (known: a, nested, list)',
    ] })
  })

  it('refuses an asynchronous Standard Schema, and formats foreign issues with their path', () => {
    const async: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'x', validate: async () => ({ value: {} }) } }
    expect(checkPluginOptions('p', async, {})).toMatchObject({ problems: [expect.stringContaining('asynchronously')] })
    const foreign: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'x', validate: () => ({ issues: [{ message: 'Expected a number', path: [{ key: 'limits' }, 0] }] }) } }
    expect(checkPluginOptions('p', foreign, {})).toEqual({ problems: ['p.limits[0]: Expected a number'] })
  })

  it('a factory called outside config loading throws all its problems; `name` makes an instance identity', () => {
    const factory = definePlugin({ name: 'pkg', options: optionsSchema<{ size?: number }>({ size: 'integer' }) }, () => ({ name: 'pkg', apply() {} }))
    expect(() => factory({ size: 'x' } as never)).toThrow('Invalid option: pkg.size must be an integer, got the string "x".')
    const named = factory({ name: 'small', size: 1 })
    expect([named.name, named.package, named.instance]).toEqual(['pkg#small', 'pkg', 'small'])
    expect(() => factory({ name: 'a b' })).toThrow(/pkg\.name \(the instance name\)/)
  })
})

describe('run data must be JSON', () => {
  class Model { weights = [1] }
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  it.each([
    [{ at: new Date(0) }, 'x.at is a Date'],
    [{ m: new Map() }, 'x.m is a Map'],
    [{ s: new Set([1]) }, 'x.s is a Set'],
    [{ n: [1, Number.NaN] }, 'x.n[1] is NaN'],
    [{ i: Infinity }, 'x.i is Infinity'],
    [{ a: [undefined] }, 'x.a[0] is undefined'],
    [{ model: new Model() }, 'x.model is a Model instance'],
    [cyclic, 'x.self refers back to itself'],
    [{ b: 1n }, 'x.b is a bigint'],
  ])('refuses %o', (value, message) => {
    expect(jsonProblem(value, 'x')).toContain(message)
  })
  it('accepts plain JSON data (and undefined object values, which JSON drops)', () => {
    expect(jsonProblem({ a: 1, b: 'x', c: [true, null, { d: 0.5 }], e: undefined, f: Object.create(null) }, 'x')).toBeUndefined()
  })
})
