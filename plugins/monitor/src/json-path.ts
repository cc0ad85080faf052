/**
 * Paths into a JSON document: `a.b[0].c`, `$.a.b`, `metrics["p95.ms"]`. Only own keys are read
 * (`__proto__`, `constructor` and friends never resolve to something that was not in the document).
 */

export class JsonPathError extends Error {}

export type PathStep = string | number

export function parseJsonPath(path: string): PathStep[] {
  const steps: PathStep[] = []
  let i = path.startsWith('$') ? 1 : 0
  if (!path.trim()) throw new JsonPathError('the path is empty')
  while (i < path.length) {
    const ch = path[i]
    if (ch === '.') {
      const m = /^[^.[\]]+/.exec(path.slice(i + 1))
      if (!m) throw new JsonPathError(`expected a key after "." at column ${i + 1} of "${path}"`)
      steps.push(m[0])
      i += 1 + m[0].length
    } else if (ch === '[') {
      const index = /^\[(\d+)\]/.exec(path.slice(i))
      const quoted = /^\[(["'])((?:\\.|(?!\1).)*)\1\]/.exec(path.slice(i))
      if (index) {
        steps.push(Number(index[1]))
        i += index[0].length
      } else if (quoted) {
        steps.push(quoted[2].replace(/\\(.)/g, '$1'))
        i += quoted[0].length
      } else throw new JsonPathError(`expected [number] or ["key"] at column ${i + 1} of "${path}"`)
    } else if (i === 0) {
      const m = /^[^.[\]]+/.exec(path)!
      steps.push(m[0])
      i = m[0].length
    } else throw new JsonPathError(`unexpected "${ch}" at column ${i + 1} of "${path}"`)
  }
  return steps
}

/** The value at `steps`, or undefined when any step is missing. */
export function getPath(document: unknown, steps: PathStep[]): unknown {
  let node = document
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(node) || step >= node.length) return undefined
      node = node[step]
    } else {
      if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, step)) return undefined
      node = (node as Record<string, unknown>)[step]
    }
  }
  return node
}
