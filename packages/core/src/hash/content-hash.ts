import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { createRequire } from 'node:module'

/**
 * Content hashes for change detection: XXH3-64 as 16 hex chars. Not a security boundary (the
 * content store keeps sha256 for that); 64 bits make an accidental collision between two
 * versions of one file vanishingly unlikely, and the streaming XXH3 class runs at memory speed
 * (the one-shot napi functions measured ~3× slower here, so everything goes through the class).
 */
export type ContentHash = string

const CHUNK = 4 << 20
// Reading synchronously is ~1.5× faster than fs.promises here (no thread-pool hop per chunk);
// yield every 64 MiB so Ctrl-C and the UI stay responsive while a big dataset is hashed.
const CHUNKS_PER_YIELD = 16
let shared: Buffer | undefined

type Xxh3Class = typeof import('@node-rs/xxhash').xxh3.Xxh3
let Xxh3: Xxh3Class | undefined
/** The native module loads on first use: commands that never hash do not pay for it. */
function xxh3(): Xxh3Class {
  return (Xxh3 ??= (createRequire(import.meta.url)('@node-rs/xxhash') as typeof import('@node-rs/xxhash')).xxh3.Xxh3)
}

function hex(value: bigint): ContentHash {
  return value.toString(16).padStart(16, '0')
}

export function hashBytes(data: string | Uint8Array): ContentHash {
  return hex(xxh3().withSeed().update(data).digest())
}

/** Hash a file's content. Small files in one read; big ones streamed in chunks. */
export async function hashFile(path: string, signal?: AbortSignal): Promise<ContentHash> {
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
    const hasher = xxh3().withSeed()
    const yields = size > CHUNK * CHUNKS_PER_YIELD
    // A file that yields gets its own buffer: another hash may run while this one waits.
    const buffer = yields ? Buffer.allocUnsafe(CHUNK) : (shared ??= Buffer.allocUnsafe(CHUNK))
    let position = 0
    let chunks = 0
    for (;;) {
      const read = readSync(fd, buffer, 0, CHUNK, position)
      if (read === 0) break
      position += read
      hasher.update(read === CHUNK ? buffer : buffer.subarray(0, read))
      if (yields && ++chunks % CHUNKS_PER_YIELD === 0) {
        await yieldToEventLoop()
        signal?.throwIfAborted()
      }
    }
    return hex(hasher.digest())
  } finally {
    closeSync(fd)
  }
}
