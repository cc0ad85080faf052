import { createRequire } from 'node:module'

/** This package's version (for plugin compatibility checks and run records). */
export const CORE_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version
