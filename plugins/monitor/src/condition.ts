/**
 * A tiny, safe expression language for success/failure conditions, e.g.
 * `result < 0.05`, `!isNaN(result) && result >= 0.9 || result == 1`.
 *
 * Grammar (precedence low → high):
 *   or      := and ( ('||' | 'or') and )*
 *   and     := not ( ('&&' | 'and') not )*
 *   not     := ('!' | 'not') not | compare
 *   compare := operand ( ('<' | '<=' | '>' | '>=' | '==' | '!=') operand )?
 *   operand := number | '-' operand | 'result' | 'isNaN' '(' or ')' | '(' or ')'
 *
 * It is parsed into closures, never passed to eval/Function, and type-checked at parse time so
 * `result` alone, `1 < result < 2` or `result && 1` are rejected before anything runs.
 */

export type ConditionFn = (result: number) => boolean

type Type = 'number' | 'boolean'
interface Node { type: Type; eval(result: number): number | boolean }

const MAX_LENGTH = 500
const MAX_DEPTH = 40

export class ConditionError extends Error {}

type Token = { kind: 'num'; value: number; at: number } | { kind: 'id' | 'op'; value: string; at: number }

const OPERATORS = ['<=', '>=', '==', '!=', '&&', '||', '<', '>', '!', '(', ')', '-']
// A Map, not an object literal: `WORDS['constructor']` must not find Object's constructor.
const WORDS = new Map([['and', '&&'], ['or', '||'], ['not', '!']])

function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const ch = source[i]
    if (/\s/.test(ch)) { i++; continue }
    const number = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i))
    if (number) {
      tokens.push({ kind: 'num', value: Number(number[0]), at: i })
      i += number[0].length
      continue
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))
    if (word) {
      const w = word[0]
      const op = WORDS.get(w)
      tokens.push(op ? { kind: 'op', value: op, at: i } : { kind: 'id', value: w, at: i })
      i += w.length
      continue
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i))
    // `=` alone is the classic typo for `==`; say so instead of "unexpected =".
    if (!op) throw new ConditionError(ch === '=' ? `"=" at column ${i + 1} (use "==" to compare)` : `unexpected ${JSON.stringify(ch)} at column ${i + 1}`)
    tokens.push({ kind: 'op', value: op, at: i })
    i += op.length
  }
  return tokens
}

class Parser {
  private pos = 0
  private depth = 0
  constructor(private readonly tokens: Token[], private readonly source: string) {}

  parse(): Node {
    const node = this.or()
    const extra = this.tokens[this.pos]
    if (extra) throw new ConditionError(`unexpected ${JSON.stringify(String(extra.value))} at column ${extra.at + 1}`)
    if (node.type !== 'boolean') throw new ConditionError('a condition must compare, e.g. "result < 0.05" (got a plain number)')
    return node
  }

  private peek(): Token | undefined { return this.tokens[this.pos] }
  private isOp(value: string): boolean {
    const t = this.peek()
    return t?.kind === 'op' && t.value === value
  }
  private expect(value: string): void {
    if (!this.isOp(value)) throw new ConditionError(`expected "${value}" ${this.where()}`)
    this.pos++
  }
  private where(): string {
    const t = this.peek()
    return t ? `at column ${t.at + 1}` : `at the end of "${this.source}"`
  }
  private nest<T>(fn: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new ConditionError(`nested deeper than ${MAX_DEPTH} levels`)
    try { return fn() } finally { this.depth-- }
  }

  private or(): Node {
    return this.nest(() => {
      let left = this.and()
      while (this.isOp('||')) {
        this.pos++
        const l = bool(left, '||'), r = bool(this.and(), '||')
        left = { type: 'boolean', eval: (x) => (l.eval(x) as boolean) || (r.eval(x) as boolean) }
      }
      return left
    })
  }

  private and(): Node {
    let left = this.not()
    while (this.isOp('&&')) {
      this.pos++
      const l = bool(left, '&&'), r = bool(this.not(), '&&')
      left = { type: 'boolean', eval: (x) => (l.eval(x) as boolean) && (r.eval(x) as boolean) }
    }
    return left
  }

  private not(): Node {
    if (this.isOp('!')) {
      this.pos++
      const inner = bool(this.nest(() => this.not()), '!')
      return { type: 'boolean', eval: (x) => !inner.eval(x) }
    }
    return this.compare()
  }

  private compare(): Node {
    const left = this.operand()
    const t = this.peek()
    if (t?.kind !== 'op' || !['<', '<=', '>', '>=', '==', '!='].includes(t.value)) return left
    this.pos++
    const right = this.operand()
    const op = t.value
    if (left.type !== 'number' || right.type !== 'number') throw new ConditionError(`"${op}" compares two numbers (at column ${t.at + 1})`)
    const next = this.peek()
    if (next?.kind === 'op' && ['<', '<=', '>', '>=', '==', '!='].includes(next.value)) {
      throw new ConditionError(`chained comparison at column ${next.at + 1}; write "a < result && result < b"`)
    }
    const l = left.eval, r = right.eval
    const compare: Record<string, (a: number, b: number) => boolean> = {
      '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b,
      '>=': (a, b) => a >= b, '==': (a, b) => a === b, '!=': (a, b) => a !== b,
    }
    const fn = compare[op]
    return { type: 'boolean', eval: (x) => fn(l(x) as number, r(x) as number) }
  }

  private operand(): Node {
    const t = this.peek()
    if (!t) throw new ConditionError(`expected a value ${this.where()}`)
    this.pos++
    if (t.kind === 'num') return { type: 'number', eval: () => t.value }
    if (t.kind === 'op' && t.value === '-') {
      const inner = this.nest(() => this.operand())
      if (inner.type !== 'number') throw new ConditionError(`"-" needs a number (at column ${t.at + 1})`)
      return { type: 'number', eval: (x) => -(inner.eval(x) as number) }
    }
    if (t.kind === 'op' && t.value === '(') {
      const inner = this.or()
      this.expect(')')
      return inner
    }
    if (t.kind === 'id' && t.value === 'result') return { type: 'number', eval: (x) => x }
    if (t.kind === 'id' && t.value === 'isNaN') {
      this.expect('(')
      const inner = this.or()
      this.expect(')')
      if (inner.type !== 'number') throw new ConditionError(`isNaN() takes a number (at column ${t.at + 1})`)
      return { type: 'boolean', eval: (x) => Number.isNaN(inner.eval(x)) }
    }
    if (t.kind === 'id') throw new ConditionError(`unknown name "${t.value}" at column ${t.at + 1} (only "result" and isNaN() are allowed)`)
    throw new ConditionError(`unexpected "${t.value}" at column ${t.at + 1}`)
  }
}

function bool(node: Node, op: string): Node {
  if (node.type !== 'boolean') throw new ConditionError(`"${op}" combines conditions, not numbers`)
  return node
}

/** Parse a condition once; the returned function is pure and cheap to call per sample. */
export function compileCondition(source: string): ConditionFn {
  if (typeof source !== 'string' || !source.trim()) throw new ConditionError('the condition is empty')
  if (source.length > MAX_LENGTH) throw new ConditionError(`longer than ${MAX_LENGTH} characters`)
  const node = new Parser(tokenize(source), source).parse()
  return (result) => node.eval(result) as boolean
}
