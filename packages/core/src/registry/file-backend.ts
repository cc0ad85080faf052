import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../atomic.js'
import type { AliasState, RegistryBackend } from './backend.js'
import { decodeAliases, decodeVersion, encodeAliases, encodeVersion } from './documents.js'
import type { ModelVersion } from './types.js'
import { withWriteLock } from './write-lock.js'
import { isProcessAlive } from '../process-alive.js'

/**
 * The embedded registry backend, under `.mlci/registry/`:
 *
 *   versions/<version>.json   one file per version, created once with link() (create-if-absent,
 *                             and visible only complete), later replaced atomically under the lock
 *   aliases.json              aliases + their append-only ledger, replaced atomically under the lock
 *   write.lock                the short-lived write lock (write-lock.ts)
 *
 * Every write goes to a temp file, is fsynced, then linked/renamed into place: a reader sees the
 * old or the new document, never half of one, and a crash leaves at most a temp file, which
 * readers ignore and a later writer sweeps.
 */
export class FileRegistryBackend implements RegistryBackend {
  readonly location: string
  private readonly versionsDir: string
  private readonly aliasesFile: string
  private readonly lockFile: string
  private swept = false

  constructor(readonly dir: string) {
    this.location = dir
    this.versionsDir = join(dir, 'versions')
    this.aliasesFile = join(dir, 'aliases.json')
    this.lockFile = join(dir, 'write.lock')
  }

  async listVersions(): Promise<ModelVersion[]> {
    const names = await readdir(this.versionsDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[]
      throw error
    })
    const keys = names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => n.slice(0, -'.json'.length))
    const docs = await Promise.all(keys.map((key) => this.readVersion(key)))
    return docs.filter((d): d is ModelVersion => d !== undefined)
  }

  async readVersion(key: string): Promise<ModelVersion | undefined> {
    const file = this.versionFile(key)
    const text = await readText(file)
    return text === undefined ? undefined : decodeVersion(file, text, key)
  }

  async createVersion(key: string, doc: ModelVersion): Promise<boolean> {
    await mkdir(this.versionsDir, { recursive: true })
    const tmp = join(this.versionsDir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
    const handle = await open(tmp, 'wx')
    try {
      await handle.writeFile(encodeVersion(doc))
      await handle.sync()
      await handle.close()
      // Stryker disable next-line all: a crash point for the kill -9 tests, which run in child processes on dist; in-process its mutants either never fire or SIGKILL the test runner (docs/mutation-survivors.md)
      if (process.env.MLCI_TEST_CRASH_AT === 'registry-link') process.kill(process.pid, 'SIGKILL')
      try {
        await link(tmp, this.versionFile(key))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
        throw error
      }
      await syncDir(this.versionsDir)
      return true
    } finally {
      await handle.close().catch(() => undefined)
      await rm(tmp, { force: true })
    }
  }

  async replaceVersion(key: string, doc: ModelVersion): Promise<void> {
    await writeFileAtomic(this.versionFile(key), encodeVersion(doc))
  }

  async readAliases(): Promise<AliasState> {
    const text = await readText(this.aliasesFile)
    return text === undefined ? { revision: 0, aliases: {}, ledger: [] } : decodeAliases(this.aliasesFile, text)
  }

  async writeAliases(state: AliasState): Promise<void> {
    // Stryker disable next-line all: a crash point for the kill -9 tests, which run in child processes on dist; in-process its mutants either never fire or SIGKILL the test runner (docs/mutation-survivors.md)
    if (process.env.MLCI_TEST_CRASH_AT === 'aliases-write') process.kill(process.pid, 'SIGKILL')
    await writeFileAtomic(this.aliasesFile, encodeAliases(state))
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return withWriteLock(this.lockFile, async () => {
      await this.sweepOnce()
      return fn()
    })
  }

  private versionFile(key: string): string {
    return join(this.versionsDir, `${key}.json`)
  }

  /** Temp files left by a killed writer (named `….<pid>.<random>.tmp`) are removed once their PID is gone. */
  private async sweepOnce(): Promise<void> {
    if (this.swept) return
    this.swept = true
    for (const dir of [this.dir, this.versionsDir]) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const pid = /\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name)?.[1]
        if (!pid || isProcessAlive(Number(pid))) continue
        const age = await stat(join(dir, name)).then((s) => Date.now() - s.mtimeMs, () => 0)
        if (age > 10_000) await rm(join(dir, name), { force: true })
      }
    }
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined)
  await handle?.sync().catch(() => undefined)
  await handle?.close()
}

