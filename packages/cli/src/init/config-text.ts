/** Tiny helpers for writing TypeScript source by hand: quoting, lists, wrapped comments. */

export function q(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

export function list(values: string[]): string {
  return `[${values.map(q).join(', ')}]`
}

/** `text` as `// ` comment lines no wider than `width` (long words are never split). */
export function comment(text: string, indent = '', width = 100): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + 3 + line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line ? `${line} ${word}` : word
    }
  }
  if (line) lines.push(line)
  return lines.map((l) => `${indent}// ${l}`)
}

/** Code lines turned into comments at their common indentation: a block the user can uncomment as it is. */
export function commentedOut(lines: string[]): string[] {
  const depth = Math.min(...lines.map((l) => l.length - l.trimStart().length))
  return lines.map((l) => `${l.slice(0, depth)}// ${l.slice(depth)}`)
}

/** `a`, `a and b`, `a, b and c`. */
export function phrase(parts: string[]): string {
  return parts.length < 2 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`
}

export function indent(lines: string[], by: string): string[] {
  return lines.map((l) => (l ? by + l : l))
}
