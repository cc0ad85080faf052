import { ErrorCode, MlciError } from './errors.js'

/**
 * Run data (`ctx.data`) is stored as JSON — in the run record and, for cacheable phases, in the
 * phase cache entry that a later run replays. A value JSON cannot carry would come back
 * different (a Date as a string, a Map or Set as `{}`, NaN as null), so it is refused when it
 * is published, with the key path, instead of surprising the next run.
 */
export function jsonProblem(value: unknown, path: string, seen = new Set<object>()): string | undefined {
  switch (typeof value) {
    case 'string': case 'boolean': return undefined
    case 'number': return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON stores as null (publish a finite number, or null/undefined for "none")`
    case 'undefined': return undefined
    case 'bigint': return `${path} is a bigint, which JSON cannot store (publish a number or a string)`
    case 'function': case 'symbol': return `${path} is a ${typeof value}, which JSON cannot store`
  }
  if (value === null) return undefined
  const obj = value as object
  if (seen.has(obj)) return `${path} refers back to itself (a cycle), which JSON cannot store`
  if (Array.isArray(obj)) {
    seen.add(obj)
    for (let i = 0; i < obj.length; i++) {
      if (obj[i] === undefined) return `${path}[${i}] is undefined, which JSON stores as null`
      const problem = jsonProblem(obj[i], `${path}[${i}]`, seen)
      if (problem) return problem
    }
    seen.delete(obj)
    return undefined
  }
  const proto = Object.getPrototypeOf(obj)
  if (proto !== Object.prototype && proto !== null) {
    const kind = obj instanceof Date ? 'a Date, which comes back from JSON as a string (publish date.toISOString())'
      : obj instanceof Map ? 'a Map, which JSON stores as {} (publish Object.fromEntries(map))'
      : obj instanceof Set ? 'a Set, which JSON stores as {} (publish [...set])'
      : `a ${proto?.constructor?.name ?? 'class'} instance, which comes back from JSON as a plain object without its prototype (publish plain data)`
    return `${path} is ${kind}`
  }
  seen.add(obj)
  for (const [key, v] of Object.entries(obj)) {
    const problem = jsonProblem(v, `${path}.${key}`, seen)
    if (problem) return problem
  }
  seen.delete(obj)
  return undefined
}

export function runDataError(problem: string): MlciError {
  return new MlciError(ErrorCode.RUN_DATA_INVALID, `Run data must be JSON: ${problem}.`, {
    hint: 'ctx.data is stored as JSON in the run record and the phase cache (a cached phase replays it); publish plain objects, arrays, strings, finite numbers, booleans and null.',
  })
}

const CHECKED = Symbol.for('mlci.checkedRunData')

/**
 * `data` behind a proxy that checks every top-level assignment (`ctx.data.x = …`) when it is
 * made, so the error names the key and fails the tap that published it. Nested mutation
 * (`ctx.data.analysis.push(…)`) is checked at the end of each phase (checkRunData).
 */
export function checkedRunData<T extends object>(data: T): T {
  if ((data as Record<symbol, unknown>)[CHECKED]) return data
  return new Proxy(data, {
    get: (target, key, receiver) => (key === CHECKED ? true : Reflect.get(target, key, receiver)),
    set: (target, key, value, receiver) => {
      if (typeof key === 'string') {
        const problem = jsonProblem(value, `ctx.data.${key}`)
        if (problem) throw runDataError(problem)
      }
      return Reflect.set(target, key, value, receiver)
    },
  })
}

/** Throw for the first value in `data` that JSON cannot carry. */
export function checkRunData(data: object): void {
  const problem = jsonProblem(data, 'ctx.data')
  if (problem) throw runDataError(problem)
}
