/**
 * A small, forgiving XML reader: enough for JUnit reports (elements, attributes, text, CDATA,
 * entities), no dependency. Comments, processing instructions and doctypes are skipped. Throws
 * on input that is not XML at all (no root element, unbalanced tags).
 */
export interface XmlElement {
  name: string
  attrs: Record<string, string>
  children: XmlElement[]
  text: string
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole
    }
    return ENTITIES[ref] ?? whole
  })
}

const ATTR = /([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/g

function parseAttrs(source: string): Record<string, string> {
  const attrs: Record<string, string> = {}
  for (const m of source.matchAll(ATTR)) attrs[m[1]] = decodeEntities(m[3] ?? m[4] ?? '')
  return attrs
}

export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' }
  const stack: XmlElement[] = [root]
  let i = 0
  while (i < source.length) {
    const lt = source.indexOf('<', i)
    const top = stack[stack.length - 1]
    if (lt < 0) {
      top.text += decodeEntities(source.slice(i))
      break
    }
    if (lt > i) top.text += decodeEntities(source.slice(i, lt))
    if (source.startsWith('<!--', lt)) {
      i = skipPast(source, '-->', lt)
    } else if (source.startsWith('<![CDATA[', lt)) {
      const end = source.indexOf(']]>', lt)
      if (end < 0) throw new Error('unterminated CDATA section')
      top.text += source.slice(lt + 9, end)
      i = end + 3
    } else if (source.startsWith('<?', lt)) {
      i = skipPast(source, '?>', lt)
    } else if (source.startsWith('<!', lt)) {
      i = skipPast(source, '>', lt)
    } else if (source[lt + 1] === '/') {
      const end = source.indexOf('>', lt)
      if (end < 0) throw new Error('unterminated closing tag')
      const name = source.slice(lt + 2, end).trim()
      if (stack.length < 2 || top.name !== name) throw new Error(`unexpected </${name}>`)
      stack.pop()
      i = end + 1
    } else {
      const end = findTagEnd(source, lt)
      const body = source.slice(lt + 1, end)
      const selfClosing = body.endsWith('/')
      const inner = selfClosing ? body.slice(0, -1) : body
      const name = /^[^\s/>]+/.exec(inner)?.[0]
      if (!name) throw new Error(`malformed tag at offset ${lt}`)
      const element: XmlElement = { name, attrs: parseAttrs(inner.slice(name.length)), children: [], text: '' }
      top.children.push(element)
      if (!selfClosing) stack.push(element)
      i = end + 1
    }
  }
  if (stack.length > 1) throw new Error(`unclosed <${stack[stack.length - 1].name}>`)
  const element = root.children[0]
  if (!element) throw new Error('no root element')
  return element
}

function skipPast(source: string, marker: string, from: number): number {
  const end = source.indexOf(marker, from)
  if (end < 0) throw new Error(`unterminated ${source.slice(from, from + 4)}`)
  return end + marker.length
}

/** The `>` closing a start tag, ignoring any inside quoted attribute values. */
function findTagEnd(source: string, from: number): number {
  let quote: string | undefined
  for (let i = from + 1; i < source.length; i++) {
    const ch = source[i]
    if (quote) {
      if (ch === quote) quote = undefined
    } else if (ch === '"' || ch === "'") quote = ch
    else if (ch === '>') return i
  }
  throw new Error('unterminated tag')
}

/** Every element named `name` below `element` (depth first, document order). */
export function descendants(element: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = []
  for (const child of element.children) {
    if (child.name === name) out.push(child)
    out.push(...descendants(child, name))
  }
  return out
}
