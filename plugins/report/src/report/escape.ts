/** Emoji need an emoji font, which CI machines and printers often lack; these glyphs do not. */
const GLYPHS: Record<string, string> = { '✅': '✓', '❌': '✗', '♻️': '↺', '⏭️': '–', '⚠️': '!', '⏹️': '■', '⛔': '⊘', '↩️': '↩' }
const EMOJI = new RegExp(Object.keys(GLYPHS).join('|'), 'gu')

/** Text for HTML and SVG element content and attribute values. */
export function esc(text: string): string {
  text = text.replace(EMOJI, (e) => GLYPHS[e])
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}
