import { packageVersion } from './package-version.js'

/** This package's version (for plugin compatibility checks and run records). */
export const CORE_VERSION: string = packageVersion(import.meta.url, '@mlci/core')
