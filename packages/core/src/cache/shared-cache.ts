import { createHmac, timingSafeEqual } from 'node:crypto'
import type { PhaseContext } from '../context.js'
import { errorMessage } from '../errors.js'
import type { Mlci } from '../mlci.js'
import type { PhaseName } from '../phases.js'
import type { SharedStoreSettings } from '../shared/settings.js'
import type { SharedContentStore } from '../store/shared-store.js'
import { ENTRY_SCHEMA, EntryStore, type CacheEntry } from './entries.js'
import type { FingerprintParts } from './fingerprint.js'
import { cacheLayout } from './layout.js'
import { ContentPhaseCache } from './phase-cache.js'
import type { CacheCheck, CacheRestore, PhaseCache } from './types.js'

/** After this many failed requests the rest of the run uses the local cache only. */
const BREAKER_LIMIT = 3
const REMOTE_SCHEMA = 1

/** What is stored at `cache/<phase>/<fingerprint>.json`: the payload as text and its HMAC. */
interface SignedEntry {
  schema: typeof REMOTE_SCHEMA
  /** hex HMAC-SHA256 of `payload` with the cache key. */
  signature: string
  /** JSON of { entry, parts }. */
  payload: string
}

export function createSharedPhaseCache(mlci: Mlci, store: SharedContentStore, settings: SharedStoreSettings): PhaseCache {
  if (!settings.key) {
    // No key, no trust: every remote entry would be unverifiable. Run on the local cache.
    return new WarnOnce(new ContentPhaseCache(mlci), `Shared cache off: ${settings.keyEnv} is not set, so entries in ${store.remote.target.display} cannot be signed or verified. Set it (the same secret on every runner) to share the phase cache.`)
  }
  // Env values are hashed with a key every runner shares, or fingerprints would differ per checkout.
  const envKey = createHmac('sha256', settings.key).update('mlci.cache.env-key').digest('hex')
  return new SharedPhaseCache(new ContentPhaseCache(mlci, { envKey }), new EntryStore(cacheLayout(mlci.stateDir).entries), store, settings.key, settings.readOnly)
}

/**
 * The phase cache shared through the S3 store, over the local one. A local miss looks for a
 * signed entry in the bucket; a verified entry's blobs are downloaded (sha256-checked) and the
 * entry is written locally, so the local cache then restores it exactly like its own hit: no
 * process starts. After a local run the entry is signed and uploaded (never in read-only mode).
 * Under --dry-run a signed remote entry counts as a hit but nothing is downloaded (so
 * `--dry-run --check` on a fresh runner is accurate). A missing or bad signature is a miss with a warning. Bucket failures never fail the build:
 * each is a warning, and after BREAKER_LIMIT the run stops asking the bucket.
 */
export class SharedPhaseCache implements PhaseCache {
  private failures = 0
  private toldReadOnly = false
  private readonly dryRunEntries = new WeakMap<CacheCheck, CacheEntry>()

  constructor(
    private readonly local: ContentPhaseCache,
    private readonly entries: EntryStore,
    private readonly store: SharedContentStore,
    private readonly key: string,
    private readonly readOnly: boolean,
  ) {}

  private get open(): boolean {
    return this.failures < BREAKER_LIMIT
  }

  async check(phase: PhaseName, ctx: PhaseContext, upstream: Record<string, string>): Promise<CacheCheck> {
    const check = await this.local.check(phase, ctx, upstream)
    if (check.hit || check.cacheable === false || !this.open) return check
    if (ctx.dryRun) {
      // --dry-run writes nothing: a signed remote entry only answers "restorable" (and gives its data).
      const found = await this.read(phase, check.fingerprint, ctx)
      if (!found) return check
      const remote: CacheCheck = { ...check, hit: true, reasons: [] }
      this.dryRunEntries.set(remote, found.entry)
      return remote
    }
    if (!(await this.pull(phase, check.fingerprint, ctx))) return check
    const again = await this.local.check(phase, ctx, upstream)
    if (again.hit) ctx.log.child({ phase, plugin: 'cache' }).info(`${phase}: restored from the shared cache (${this.store.remote.target.display}).`)
    return again
  }

  async restore(check: CacheCheck, ctx: PhaseContext): Promise<CacheRestore | undefined> {
    const remote = this.dryRunEntries.get(check)
    if (remote && ctx.dryRun) return { data: structuredClone(remote.data), log: remote.log }
    return this.local.restore(check, ctx)
  }

  async save(check: CacheCheck, ctx: PhaseContext, result: CacheRestore): Promise<void> {
    await this.local.save(check, ctx, result)
    if (this.readOnly && !this.toldReadOnly && !ctx.dryRun && check.cacheable !== false) {
      this.toldReadOnly = true
      ctx.log.child({ phase: check.phase, plugin: 'cache' }).info('Shared cache is read-only in this run: results stay in the local cache, nothing is uploaded.')
    }
    if (this.readOnly || ctx.dryRun || check.cacheable === false || !this.open) return
    try {
      const entry = await this.entries.read(check.phase, check.fingerprint)
      const parts = await this.entries.readParts(check.phase, check.fingerprint)
      if (!entry || entry === 'invalid' || !parts) return // the local save failed and said so
      // Blobs first, entry last: a runner that finds the entry finds its blobs.
      for (const output of entry.outputs) await this.store.push(output.digest)
      const payload = JSON.stringify({ entry, parts })
      const signed: SignedEntry = { schema: REMOTE_SCHEMA, signature: this.sign(payload), payload }
      await this.store.remote.putText(entryName(check.phase, check.fingerprint), JSON.stringify(signed))
    } catch (error) {
      this.fail(ctx, check.phase, `could not upload its entry: ${errorMessage(error)}`)
    }
  }

  /** Fetch and verify a remote entry; undefined (with a warning when suspicious) when absent or not trustworthy. */
  private async read(phase: PhaseName, fingerprint: string, ctx: PhaseContext): Promise<{ entry: CacheEntry; parts: FingerprintParts } | undefined> {
    const log = ctx.log.child({ phase, plugin: 'cache' })
    let text: string | undefined
    try {
      text = await this.store.remote.getText(entryName(phase, fingerprint))
    } catch (error) {
      this.fail(ctx, phase, errorMessage(error))
      return undefined
    }
    if (text === undefined) return undefined
    const where = `shared cache entry for ${phase} (${fingerprint.slice(0, 12)})`
    try {
      const signed = JSON.parse(text) as SignedEntry
      if (signed.schema !== REMOTE_SCHEMA || typeof signed.payload !== 'string' || !this.verify(signed.payload, signed.signature)) {
        log.warn(`The ${where} has a missing or bad signature: ignored (a miss). ${phase} runs here.`)
        return undefined
      }
      const found = JSON.parse(signed.payload) as { entry: CacheEntry; parts: FingerprintParts }
      if (found.entry?.schema !== ENTRY_SCHEMA || found.entry.phase !== phase || found.entry.fingerprint !== fingerprint) {
        log.warn(`The ${where} is for another phase or fingerprint: ignored (a miss).`)
        return undefined
      }
      return found
    } catch {
      log.warn(`The ${where} is not valid JSON: ignored (a miss).`)
      return undefined
    }
  }

  /** Install a verified remote entry locally: its blobs (sha256-checked) first, then the entry. */
  private async pull(phase: PhaseName, fingerprint: string, ctx: PhaseContext): Promise<boolean> {
    const found = await this.read(phase, fingerprint, ctx)
    if (!found) return false
    try {
      for (const output of found.entry.outputs) {
        if (!(await this.store.fetch(output.digest))) {
          ctx.log.child({ phase, plugin: 'cache' }).warn(`The shared cache entry for ${phase} (${fingerprint.slice(0, 12)}) names blob ${output.digest.slice(0, 19)}…, which the bucket does not have: ignored (a miss).`)
          return false
        }
      }
      await this.entries.write(found.entry, found.parts)
      return true
    } catch (error) {
      this.fail(ctx, phase, errorMessage(error))
      return false
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('hex')
  }

  private verify(payload: string, signature: unknown): boolean {
    if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/.test(signature)) return false
    return timingSafeEqual(Buffer.from(this.sign(payload), 'hex'), Buffer.from(signature, 'hex'))
  }

  private fail(ctx: PhaseContext, phase: string, problem: string): void {
    this.failures++
    const log = ctx.log.child({ phase, plugin: 'cache' })
    log.warn(`Shared cache: ${problem}`)
    if (!this.open) log.warn(`Shared cache off for the rest of this run after ${this.failures} failures: phases build locally.`)
  }
}

function entryName(phase: string, fingerprint: string): string {
  return `cache/${phase}/${fingerprint}.json`
}

/** The local cache, with one warning on the first check (why the shared cache is not used). */
class WarnOnce implements PhaseCache {
  private warned = false
  constructor(private readonly local: PhaseCache, private readonly message: string) {}

  check(phase: PhaseName, ctx: PhaseContext, upstream: Record<string, string>): Promise<CacheCheck> {
    if (!this.warned) {
      this.warned = true
      ctx.log.child({ phase, plugin: 'cache' }).warn(this.message)
    }
    return this.local.check(phase, ctx, upstream)
  }

  restore(check: CacheCheck, ctx: PhaseContext): Promise<CacheRestore | undefined> {
    return this.local.restore(check, ctx)
  }

  save(check: CacheCheck, ctx: PhaseContext, result: CacheRestore): Promise<void> {
    return this.local.save(check, ctx, result)
  }
}
