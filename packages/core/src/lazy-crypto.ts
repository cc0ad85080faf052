import type * as Crypto from 'node:crypto'

/**
 * The few node:crypto functions core uses, loaded on first call. Importing node:crypto loads
 * ~20 of Node's modules (~14 M instructions, a tenth of `node -e 0`); a start that never hashes
 * or signs — a no-op build, `mlci versions` — should not pay for it, and a bundle evaluates
 * every static import at startup.
 */
let crypto: typeof Crypto | undefined
const load = (): typeof Crypto => (crypto ??= process.getBuiltinModule('node:crypto'))

export const randomBytes = (size: number): Buffer => load().randomBytes(size)
export const createHash = (algorithm: string): Crypto.Hash => load().createHash(algorithm)
export const createHmac = (algorithm: string, key: Crypto.BinaryLike): Crypto.Hmac => load().createHmac(algorithm, key)
export const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean => load().timingSafeEqual(a, b)
