/** The keys watch mode understands, as vitest users expect them. */
export type WatchKey = 'rerun' | 'force' | 'quit' | 'interrupt' | 'help'

const KEYS: Record<string, WatchKey> = { r: 'rerun', f: 'force', q: 'quit', '\u0003': 'interrupt', h: 'help' }

/**
 * Raw-mode stdin, one key at a time (no Enter needed). In raw mode Ctrl-C arrives as a byte,
 * not as SIGINT, so it is reported as `interrupt`. Returns a function restoring the terminal.
 */
export function listenForKeys(stdin: NodeJS.ReadStream, onKey: (key: WatchKey) => void): () => void {
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') return () => undefined
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  const onData = (data: string) => {
    for (const char of data) {
      const key = KEYS[char.toLowerCase()] ?? KEYS[char]
      if (key) onKey(key)
    }
  }
  stdin.on('data', onData)
  stdin.resume()
  return () => {
    stdin.off('data', onData)
    stdin.setRawMode(false)
    stdin.pause()
  }
}
