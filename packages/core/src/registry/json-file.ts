import { ErrorCode, MlciError } from '../errors.js'

/** Where a JSON text stops being valid, as 1-based line and column. */
export interface JsonPosition {
  line: number
  column: number
  offset: number
  problem: string
}

/**
 * Parse a state file or refuse it. A damaged registry file is never "repaired" or replaced:
 * the error names the file and where parsing stopped so a human can decide (restore it from
 * a backup, or move it aside).
 */
export function parseStateFile(file: string, text: string): unknown {
  try {
    if (text.trim() === '') throw new SyntaxError('empty')
    return JSON.parse(text)
  } catch {
    const at = jsonErrorPosition(text)
    throw corrupt(file, `${at.problem} at ${at.line}:${at.column}`)
  }
}

export function corrupt(file: string, problem: string): MlciError {
  return new MlciError(ErrorCode.STATE_CORRUPT, `Registry file ${file} is damaged: ${problem}.`, {
    hint: 'mlci never rewrites a damaged registry file. Restore it (from a backup or version control), or move it aside if you accept losing what it recorded; then run again.',
  })
}

/**
 * V8's JSON.parse messages often carry no position ("Unexpected token 'x', … is not valid JSON"),
 * so on failure a small validating scanner finds the first offending character itself.
 */
export function jsonErrorPosition(text: string): JsonPosition {
  let i = 0
  const fail = (problem: string): never => {
    throw Object.assign(new Error(problem), { offset: i })
  }
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++
  }
  const literal = (word: string) => {
    for (const ch of word) {
      if (i >= text.length) fail('unexpected end of file')
      if (text[i] !== ch) fail(`unexpected character ${JSON.stringify(text[i])}`)
      i++
    }
  }
  const string = () => {
    i++ // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string')
      const ch = text[i]
      if (ch === '"') return void i++
      if (ch === '\\') {
        i++
        if (i >= text.length) fail('unterminated string')
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('bad \\u escape')
          i += 5
        } else if ('"\\/bfnrt'.includes(text[i])) i++
        else fail('bad escape')
      } else if (ch < ' ') fail('control character in string')
      else i++
    }
  }
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))
    if (!match) fail('bad number')
    i += match![0].length
  }
  const value = (): void => {
    ws()
    if (i >= text.length) fail('unexpected end of file')
    const ch = text[i]
    if (ch === '{') {
      i++
      ws()
      if (text[i] === '}') return void i++
      for (;;) {
        ws()
        if (i >= text.length) fail('unexpected end of file')
        if (text[i] !== '"') fail(`expected a property name, found ${JSON.stringify(text[i])}`)
        string()
        ws()
        if (i >= text.length) fail('unexpected end of file')
        if (text[i] !== ':') fail(`expected ':', found ${JSON.stringify(text[i])}`)
        i++
        value()
        ws()
        if (i >= text.length) fail('unexpected end of file')
        if (text[i] === '}') return void i++
        if (text[i] !== ',') fail(`expected ',' or '}', found ${JSON.stringify(text[i])}`)
        i++
      }
    }
    if (ch === '[') {
      i++
      ws()
      if (text[i] === ']') return void i++
      for (;;) {
        value()
        ws()
        if (i >= text.length) fail('unexpected end of file')
        if (text[i] === ']') return void i++
        if (text[i] !== ',') fail(`expected ',' or ']', found ${JSON.stringify(text[i])}`)
        i++
      }
    }
    if (ch === '"') return string()
    if (ch === 't') return literal('true')
    if (ch === 'f') return literal('false')
    if (ch === 'n') return literal('null')
    if (ch === '-' || (ch >= '0' && ch <= '9')) return number()
    fail(`unexpected character ${JSON.stringify(ch)}`)
  }
  let problem = 'empty file'
  try {
    if (text.trim() !== '') {
      value()
      ws()
      if (i < text.length) fail(`unexpected ${JSON.stringify(text[i])} after the end of the document`)
      problem = 'invalid JSON'
    }
  } catch (error) {
    problem = (error as Error).message
    i = (error as { offset?: number }).offset ?? i
  }
  const before = text.slice(0, i)
  const line = before.split('\n').length
  const column = i - (before.lastIndexOf('\n') + 1) + 1
  return { line, column, offset: i, problem }
}
