// Each rule of the redactor on its own: which strings count as secrets, longest first, every
// URL-encoded spelling (either hex case, `+` for a space), regex characters taken literally.
import { describe, expect, it } from 'vitest'
import { MASK, Redactor, secretsFromEnv } from './redact.js'

describe('Redactor rules', () => {
  it('secrets shorter than 6 characters are ignored (they would mask ordinary words); 6 count', () => {
    const r = new Redactor(['12345', '123456'])
    expect(r.size).toBe(1)
    expect(r.redact('12345 and 123456')).toBe(`12345 and ${MASK}`)
  })

  it('a secret that contains another is masked whole, whatever the order given', () => {
    for (const order of [['abcdef', 'abcdefghij'], ['abcdefghij', 'abcdef']]) {
      expect(new Redactor(order).redact('x abcdefghij y')).toBe(`x ${MASK} y`)
    }
  })

  it('URL-encoded in either hex case, and a space as + or %20', () => {
    const r = new Redactor(['p@ss wörd/Z'])
    const lower = 'p%40ss%20w%c3%b6rd%2fZ'
    expect(r.redact(`a=${encodeURIComponent('p@ss wörd/Z')}`)).toBe(`a=${MASK}`)
    expect(r.redact(`a=${lower}`)).toBe(`a=${MASK}`)
    expect(r.redact('a=p%40ss+w%C3%B6rd%2FZ')).toBe(`a=${MASK}`)
    // A character that was not a space is not matched by +.
    expect(r.redact('a=p%40ss+w%C3%B6rd+Z')).toBe('a=p%40ss+w%C3%B6rd+Z')
  })

  it('encodes digits-only bytes too (%20, %2F and %2f are all the same character)', () => {
    const r = new Redactor(['a/b c/d'])
    expect(r.redact('a%2Fb%20c%2fd')).toBe(MASK)
  })

  it('base64 of the secret is masked', () => {
    const r = new Redactor(['hunter2-secret'])
    expect(r.redact(Buffer.from('hunter2-secret').toString('base64'))).toBe(MASK)
  })

  it('regex characters in a secret are literal', () => {
    const r = new Redactor(['a.b*c+d?e'])
    expect(r.redact('aXbbbcdde')).toBe('aXbbbcdde')
    expect(r.redact('<a.b*c+d?e>')).toBe(`<${MASK}>`)
  })

  it('no secrets: text and values come back as they were (the same object)', () => {
    const r = new Redactor()
    const value = { a: 'x' }
    expect(r.redact('text')).toBe('text')
    expect(r.redactDeep(value)).toBe(value)
    expect(new Redactor(['abcdefg']).redact('')).toBe('')
  })

  it('redactDeep masks inside nested values', () => {
    expect(new Redactor(['abcdefg']).redactDeep({ a: ['x abcdefg'], b: { c: 'abcdefg' } })).toEqual({ a: [`x ${MASK}`], b: { c: MASK } })
  })

  it('secretsFromEnv: values of secret-looking names, never PWD/OLDPWD or empty ones', () => {
    expect(secretsFromEnv({ API_TOKEN: 't0k3n-value', PWD: '/work', OLDPWD: '/', DB_PWD: 'db-pass', EMPTY_SECRET: '', HOME: '/root' }))
      .toEqual(['t0k3n-value', 'db-pass'])
  })
})
