import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { writeFileAtomic } from '../atomic.js'
import type { PhaseContext } from '../context.js'
import { errorMessage, MlciError } from '../errors.js'
import { StatCache } from '../hash/stat-cache.js'
import type { Mlci } from '../mlci.js'
import type { PhaseName } from '../phases.js'
import { CORE_VERSION } from '../version.js'
import { ENTRY_SCHEMA, EntryStore, type CacheEntry } from './entries.js'
import { explainChange } from './explain.js'
import { computeParts, fingerprintOf, storedParts, type ComputedParts } from './fingerprint.js'
import { pluginCodeId } from './plugin-code.js'
import { evictToLimit } from './gc.js'
import { cacheLayout, DEFAULT_MAX_SIZE_MB, type CacheLayout } from './layout.js'
import { checkBlobs, restoreOutputs, storeOutputs } from './outputs.js'
import { ContentStore } from '../store/content-store.js'
import { SharedContentStore } from '../store/shared-store.js'
import { storeSettings } from '../shared/settings.js'
import type { CacheCheck, CacheRestore, PhaseCache, PhaseDeclaration } from './types.js'

/** A captured log longer than this keeps its last lines (a cache entry is not a log archive). */
const MAX_LOG_ENTRIES = 2000
const UNCACHEABLE = 'uncacheable-'

interface CheckState {
  declarations: PhaseDeclaration[]
  parts?: ComputedParts
  entry?: CacheEntry
}

/** Cache messages carry the phase, so the UI shows them beside it. */
function cacheLog(ctx: PhaseContext) {
  return ctx.log.child({ phase: ctx.phase, plugin: 'cache' })
}

/** The local cache, wrapped by the shared (S3) one when a store URL is configured. */
export async function createPhaseCache(mlci: Mlci): Promise<PhaseCache> {
  const shared = storeSettings(mlci.config, mlci.env)
  if (!shared || !(mlci.store instanceof SharedContentStore)) return new ContentPhaseCache(mlci)
  const { createSharedPhaseCache } = await import('./shared-cache.js')
  return createSharedPhaseCache(mlci, mlci.store, shared)
}

export interface ContentPhaseCacheOptions {
  /**
   * The key for env value hashes. Default: a random key kept in .mlci/cache/env-key (one checkout).
   * A shared cache derives it from its signing key, so every runner computes the same fingerprints.
   */
  envKey?: string
}

/**
 * The content-addressed phase cache: a phase whose fingerprint (inputs, params, env, plugins,
 * upstream) matches a stored entry is skipped and its outputs restored from the content store.
 */
export class ContentPhaseCache implements PhaseCache {
  private readonly layout: CacheLayout
  private readonly entries: EntryStore
  private readonly states = new WeakMap<CacheCheck, CheckState>()
  /** Run and phase pairs already warned about being uncacheable (upstream checks ask again). */
  private readonly warnedUncacheable = new Set<string>()
  private statCache: StatCache | undefined
  private envKey: string | undefined

  /** Always the local store: blobs of a shared cache are fetched and pushed by SharedPhaseCache. */
  private readonly store: ContentStore

  constructor(private readonly mlci: Mlci, options: ContentPhaseCacheOptions = {}) {
    this.layout = cacheLayout(mlci.stateDir)
    this.entries = new EntryStore(this.layout.entries)
    this.store = new ContentStore(this.layout.objects)
    this.envKey = options.envKey
  }

  private get root(): string {
    return this.mlci.config.root
  }

  private stats(): StatCache {
    return (this.statCache ??= StatCache.load(this.layout.statFile))
  }

  /** The env-hash key, created on first use (in memory only under --dry-run: it writes nothing). */
  private async key(dryRun: boolean): Promise<string> {
    if (this.envKey) return this.envKey
    try {
      this.envKey = readFileSync(this.layout.keyFile, 'utf8').trim()
    } catch {
      // first use
    }
    if (!this.envKey) {
      this.envKey = randomBytes(32).toString('hex')
      if (!dryRun) await writeFileAtomic(this.layout.keyFile, this.envKey)
    }
    return this.envKey
  }

  private saveStats(ctx: PhaseContext): void {
    if (ctx.dryRun) return
    try {
      if (this.stats().save()) rmSync(this.layout.legacyStatFile, { force: true })
    } catch (error) {
      cacheLog(ctx).debug(`Could not write the stat cache: ${errorMessage(error)}`)
    }
  }

  async check(phase: PhaseName, ctx: PhaseContext, upstream: Record<string, string>): Promise<CacheCheck> {
    const declarations = this.mlci.declarations.filter((d) => d.phase === phase)
    const declared = new Set(declarations.map((d) => d.plugin))
    const undeclared = [...new Set(this.mlci.tapsOf(phase).map((t) => t.plugin))].filter((p) => !declared.has(p))
    const uncacheable = (reason: string): CacheCheck => {
      const check: CacheCheck = { phase, fingerprint: `${UNCACHEABLE}${randomBytes(8).toString('hex')}`, hit: false, cacheable: false, reasons: [reason] }
      this.states.set(check, { declarations })
      return check
    }
    if (undeclared.length) {
      // Said on every run, not only under --explain: the user pays for the re-run each time.
      const warned = `${ctx.runId}\0${phase}`
      if (!this.warnedUncacheable.has(warned)) {
        this.warnedUncacheable.add(warned)
        cacheLog(ctx).warn(`${phase} is not cacheable and runs every time: ${undeclared.join(', ')} ${undeclared.length === 1 ? 'taps it but declares' : 'tap it but declare'} no inputs (mlci.declare({ phase: '${phase}', inputs: [...] }) in apply; docs/plugins.md, "Caching and watch").`)
      }
      return uncacheable(`not cacheable: ${undeclared.join(', ')} declares no inputs for ${phase}`)
    }
    const notCacheableUp = Object.entries(upstream).filter(([, fp]) => fp.startsWith(UNCACHEABLE)).map(([p]) => p)
    if (notCacheableUp.length) return uncacheable(`not cacheable: upstream ${notCacheableUp.join(', ')} is not cacheable`)

    // Version for installed plugins, a hash of the module graph for plugins loaded by path.
    const pluginVersions = new Map(this.mlci.config.plugins.filter((p) => declared.has(p.plugin.name)).map((p) => [p.plugin.name, pluginCodeId(p, this.root)]))
    const parts = await computeParts({
      root: this.root, declarations, pluginVersions, coreVersion: CORE_VERSION, env: ctx.env,
      envKey: await this.key(ctx.dryRun), upstream, statCache: this.stats(), signal: ctx.signal,
    })
    const fingerprint = fingerprintOf(parts)
    const check: CacheCheck = { phase, fingerprint, hit: false, cacheable: true, reasons: [] }
    const state: CheckState = { declarations, parts }
    this.states.set(check, state)
    const entry = await this.entries.read(phase, fingerprint)
    if (entry === 'invalid') {
      await this.unusable(check, ctx, 'its entry file is unreadable', true)
    } else if (entry) {
      state.entry = entry
      check.hit = true
      // A blob whose stat is unchanged since it was verified costs one stat here, not a read.
      const bad = await checkBlobs(this.root, entry, this.store, this.stats(), ctx.signal)
      if (bad) {
        if (!ctx.dryRun) await this.store.remove(bad.digest)
        await this.unusable(check, ctx, bad.problem, true)
      }
    }
    if (!check.hit && !check.reasons.length) {
      const latest = await this.entries.latest(phase)
      const previous = latest && await this.entries.readParts(phase, latest.fingerprint)
      check.reasons = explainChange(previous, storedParts(parts))
    }
    this.saveStats(ctx)
    return check
  }

  /** Warn, evict (not under --dry-run) and turn the check into a miss that says why. */
  private async unusable(check: CacheCheck, ctx: PhaseContext, problem: string, evict: boolean): Promise<undefined> {
    const evicted = evict && !ctx.dryRun
    cacheLog(ctx).warn(`Cache entry for ${check.phase} (${check.fingerprint.slice(0, 12)}) is not usable: ${problem}${evicted ? '; it was evicted' : ''}. ${check.phase} runs again.`)
    if (evicted) await this.entries.remove(check.phase, check.fingerprint)
    check.hit = false
    check.reasons = [`cache entry ${evicted ? 'evicted' : 'not usable'}: ${problem}`]
    const state = this.states.get(check)
    if (state) state.entry = undefined
    return undefined
  }

  async restore(check: CacheCheck, ctx: PhaseContext): Promise<CacheRestore | undefined> {
    const entry = this.states.get(check)?.entry
    if (!check.hit || !entry) return undefined
    if (!ctx.dryRun) {
      try {
        // Blobs were verified by check(); store.restore verifies each copy's sha256 again.
        const { written, unchanged } = await restoreOutputs(this.root, entry, this.store, this.stats(), ctx.signal)
        if (written + unchanged) cacheLog(ctx).debug(`Restored ${written} output file(s) of ${check.phase} from the cache (${unchanged} already up to date).`)
        await this.entries.touch(check.phase, check.fingerprint)
      } catch (error) {
        if (ctx.signal.aborted) throw error
        // A blob that changed or vanished since check(), or a path outside the project: corrupt.
        const corrupt = MlciError.is(error) && ['MLCI_STATE_CORRUPT', 'MLCI_NOT_FOUND', 'MLCI_USAGE'].includes(error.code)
        return this.unusable(check, ctx, errorMessage(error), corrupt)
      } finally {
        this.saveStats(ctx)
      }
    }
    return { data: structuredClone(entry.data), log: entry.log }
  }

  async save(check: CacheCheck, ctx: PhaseContext, result: CacheRestore): Promise<void> {
    const state = this.states.get(check)
    if (ctx.dryRun || check.cacheable === false || !state?.parts) return
    try {
      const { outputs, dirs } = await storeOutputs(this.root, state.declarations, this.store, this.stats(), ctx.signal)
      const log = result.log.length > MAX_LOG_ENTRIES
        ? [{ time: result.log[0].time, level: 'info' as const, message: `(${result.log.length - MAX_LOG_ENTRIES} earlier lines not cached)`, phase: check.phase }, ...result.log.slice(-MAX_LOG_ENTRIES)]
        : result.log
      const entry: CacheEntry = {
        schema: ENTRY_SCHEMA, phase: check.phase, fingerprint: check.fingerprint, createdAt: new Date().toISOString(),
        outputs, dirs, size: outputs.reduce((n, o) => n + o.size, 0),
        data: this.mlci.redactor.redactDeep(result.data), log,
      }
      // Blobs are all stored by now; the entry file appears last, in one rename.
      await this.entries.write(entry, storedParts(state.parts))
      this.saveStats(ctx)
    } catch (error) {
      cacheLog(ctx).warn(`Could not cache ${check.phase}: ${errorMessage(error)}. The next build runs it again.`)
      return
    }
    const maxBytes = (this.mlci.config.cache?.maxSizeMB ?? DEFAULT_MAX_SIZE_MB) * 1024 * 1024
    try {
      const report = await evictToLimit(this.mlci.stateDir, maxBytes, new Set([this.entries.entryFile(check.phase, check.fingerprint)]))
      if (report.evicted.length) cacheLog(ctx).debug(`Cache over ${(maxBytes / 1048576).toFixed(0)} MB: evicted ${report.evicted.length} least recently used entr${report.evicted.length === 1 ? 'y' : 'ies'}.`)
    } catch (error) {
      cacheLog(ctx).warn(`Could not keep the cache under cache.maxSizeMB: ${errorMessage(error)}. Run \`mlci cache gc\` to see why.`)
    }
  }
}
