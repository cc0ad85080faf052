import { describe, expect, it } from 'vitest'
import { compileCondition } from './condition.js'

describe('compileCondition', () => {
  it('evaluates comparisons, logic, precedence, parentheses and isNaN', () => {
    const cases: [string, number, boolean][] = [
      ['result < 0.05', 0.01, true],
      ['result < 0.05', 0.05, false],
      ['result <= 0.05', 0.05, true],
      ['result > 1e-3', 0.002, true],
      ['result >= .9', 0.9, true],
      ['result == 1', 1, true],
      ['result != 1', 2, true],
      ['result > -1', -0.5, true],
      ['result < 0.1 || result > 0.9', 0.95, true],
      ['result > 0.1 && result < 0.9', 0.95, false],
      // && binds tighter than ||
      ['result > 5 || result > 1 && result < 2', 1.5, true],
      ['(result > 5 || result > 1) && result < 2', 6, false],
      ['!(result < 0.5)', 0.7, true],
      ['!!(result < 0.5)', 0.2, true],
      ['not (result < 0.5) and result < 1 or result == 7', 7, true],
      ['isNaN(result)', Number.NaN, true],
      ['isNaN(result)', 3, false],
      ['isNaN(result) || result > 0.05', Number.NaN, true],
      ['!isNaN(result) && result < 0.05', Number.NaN, false],
      ['result < 0.05', Number.NaN, false],
    ]
    for (const [source, value, expected] of cases) expect(compileCondition(source)(value), `${source} @ ${value}`).toBe(expected)
  })

  it('rejects anything that is not a condition over result, with the column', () => {
    const cases: [string, RegExp][] = [
      ['result = 1', /use "==" to compare/],
      ['result', /must compare/],
      ['0.5', /must compare/],
      ['1 < result < 2', /chained comparison/],
      ['result && 1', /combines conditions, not numbers/],
      ['result + 1 > 2', /unexpected "\+" at column 8/],
      ['process.exit(1)', /unexpected "\." at column 8/],
      ['process > 1', /unknown name "process"/],
      ['eval(1) > 0', /unknown name "eval"/],
      ['constructor', /unknown name "constructor"/],
      ['result.constructor', /unexpected "\."/],
      ['Math.max(result) > 1', /unexpected "\."/],
      ['result < 1; 2', /unexpected ";"/],
      ['`${result}` > 1', /unexpected "`"/],
      ["result < '1'", /unexpected "'"/],
      ['result[0] > 1', /unexpected "\["/],
      ['isNaN(result < 1)', /isNaN\(\) takes a number/],
      ['(result < 1', /expected "\)"/],
      ['result <', /expected a value/],
      ['', /empty/],
      ['!result', /combines conditions/],
      ['result < 1 '.repeat(60), /longer than 500/],
      ['('.repeat(60) + 'result < 1' + ')'.repeat(60), /nested deeper/],
    ]
    for (const [source, message] of cases) expect(() => compileCondition(source), source).toThrow(message)
  })
})
