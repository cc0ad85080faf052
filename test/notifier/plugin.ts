/**
 * A third-party notifier written from docs/plugins.md: it taps only public run-level hooks and
 * writes what it saw to `notes.jsonl` so the tests can check what each hook received.
 * `work`: a cacheable train phase on `data.txt` (so a second build with nothing changed is a no-op).
 */
export const NOTIFIER = `
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { MlciError, definePlugin, isNoOp } from '@mlci/core'

const note = (file, entry) => appendFileSync(file, JSON.stringify(entry) + '\\n')

export const work = definePlugin(() => ({ name: 'work', apply(mlci) {
  mlci.declare({ phase: 'train', inputs: ['data.txt'] })
  mlci.hooks.train.tapPromise('work', async (ctx) => {
    appendFileSync('trained.txt', 'x\\n')
    ctx.data.metrics = { rows: readFileSync(ctx.cwd + '/data.txt', 'utf8').split('\\n').length }
  })
} }))

/** A data check in the validate phase: no empty rows in data.txt (declared, so it is cached). */
export const rowsCheck = definePlugin(() => ({ name: 'rows-check', apply(mlci) {
  mlci.declare({ phase: 'validate', inputs: ['data.txt'] })
  mlci.hooks.validate.tapPromise('rows-check', async (ctx) => {
    appendFileSync('validated.txt', 'x\\n')
    const rows = readFileSync(ctx.cwd + '/data.txt', 'utf8').replace(/\\n$/, '').split('\\n')
    const empty = rows.findIndex((r) => !r.trim())
    ctx.data.validation = { passed: empty < 0, checks: [{ name: 'no empty rows', pass: empty < 0, message: empty < 0 ? undefined : 'row ' + (empty + 1) + ' is empty' }] }
    if (empty >= 0) throw new MlciError('MLCI_DATA_INVALID', 'data.txt: row ' + (empty + 1) + ' is empty', { hint: 'Remove empty rows from data.txt.' })
  })
} }))

/** A data check that reports its findings as a report section (the sections hook). */
export const dataCheck = definePlugin((o = {}) => ({ name: 'data-check', apply(mlci) {
  mlci.hooks.sections.tapPromise('data-check', async (sections, record, ctx) => {
    if (o.bad) return { title: 'not a list' }
    const rows = readFileSync(ctx.cwd + '/data.txt', 'utf8').trim().split('\\n')
    return [...sections, {
      title: 'Data quality',
      text: 'Checked data.txt <script>alert(1)</script> for empty rows.',
      items: ['no empty rows', 'status ' + record.status],
      table: { columns: ['file', 'rows', 'ok'], rows: [['data.txt', rows.length, true]] },
    }]
  })
} }))

export const notifier = definePlugin((o = {}) => ({ name: o.name ?? 'notifier', apply(mlci) {
  const file = o.file ?? 'notes.jsonl'
  const name = o.name ?? 'notifier'
  mlci.hooks.done.tapPromise(name, async (record, ctx) => note(file, { hook: 'done', command: ctx.command, files: record.files ?? null }))
  mlci.hooks.recorded.tapPromise(name, async (record, ctx) => {
    if (o.throws) throw new Error(name + ' could not reach its chat server')
    const onDisk = JSON.parse(readFileSync(record.files.record, 'utf8'))
    note(file, {
      hook: 'recorded', command: ctx.command, status: record.status, noOp: isNoOp(record), files: record.files,
      sameAsOnDisk: onDisk.id === record.id && onDisk.status === record.status,
      logExists: existsSync(record.files.log), reportExists: Boolean(record.files.report) && existsSync(record.files.report),
    })
    ctx.log.info(name + ' notified about run ' + record.id)
  })
  if (o.rollback) {
    mlci.hooks.rollback.tapPromise(name, async (request, ctx) => note(file, { hook: 'rollback', command: ctx.command, request: { ...request, error: request.error === undefined ? null : String(request.error) } }))
  }
} }))
`
