/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it; we close before returning). */
export function freePort(): Promise<number>
