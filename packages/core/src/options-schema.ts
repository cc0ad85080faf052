import { ErrorCode, MlciError } from './errors.js'
import { formatPath, shapeIssues, type Shape } from './options.js'

/**
 * The Standard Schema interface (standardschema.dev, v1), copied as its authors intend so core
 * needs no dependency: valibot, zod, arktype and others implement it, so a plugin author can
 * declare options with the validator they already use. mlci's own shape language is exposed
 * through the same interface (`optionsSchema`), plus the shape itself, which the options
 * reference (docs/options.md) is generated from.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardIssue[] }
export interface StandardIssue {
  readonly message: string
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined
}

/** A shape-language schema: a Standard Schema that also carries its shape (for docs and "did you mean"). */
export interface ShapeSchema<T = Record<string, unknown>> extends StandardSchemaV1<T, T> {
  readonly shape: Shape
  readonly required: readonly string[]
}

/** Expose a shape (`{ greeting: 'string' }`) as a Standard Schema that core validates. */
export function optionsSchema<T = Record<string, unknown>>(shape: Shape, options: { required?: readonly string[] } = {}): ShapeSchema<T> {
  const required = options.required ?? []
  return {
    shape,
    required,
    '~standard': {
      version: 1,
      vendor: 'mlci',
      validate: (value) => {
        const issues = shapeIssues(value, shape, required)
        return issues.length ? { issues } : { value: (value ?? {}) as T }
      },
    },
  }
}

export function isShapeSchema(schema: unknown): schema is ShapeSchema {
  return typeof schema === 'object' && schema !== null && 'shape' in schema && '~standard' in schema
}

/**
 * Validate one plugin's options. Returns the (possibly transformed) value or every issue as
 * `owner.key.path message`. An async validator is refused: options are checked synchronously,
 * when the config is evaluated, before anything runs.
 */
export function checkPluginOptions(owner: string, schema: StandardSchemaV1, value: unknown): { value: unknown } | { problems: string[] } {
  const result = schema['~standard'].validate(value)
  if (result instanceof Promise) {
    result.catch(() => undefined)
    return { problems: [`${owner}'s options schema validates asynchronously, which mlci does not support (use a synchronous schema)`] }
  }
  if (!result.issues) return { value: result.value }
  return { problems: result.issues.map((issue) => issueText(owner, issue)) }
}

function issueText(owner: string, issue: StandardIssue): string {
  const path = (issue.path ?? []).map((seg) => {
    const key = typeof seg === 'object' && seg !== null ? seg.key : seg
    return typeof key === 'number' ? key : String(key)
  })
  // The shape language's messages continue the path ("owner.key must be …"); other
  // validators' messages are sentences of their own ("owner.key: Invalid type …").
  const own = /^(must|is) /.test(issue.message)
  return `${formatPath(owner, path)}${own ? ' ' : ': '}${issue.message}`
}

/** Problems of one plugin instance, as core reports them. */
export interface PluginProblems {
  plugin: string
  problems: string[]
}

/** One error for every plugin's option problems (exit 2): all plugins, all keys, at once. */
export function pluginOptionsError(all: PluginProblems[], configFile: string): MlciError {
  const count = all.reduce((n, p) => n + p.problems.length, 0)
  const lines = all.flatMap((p) => p.problems.map((text) => `  - ${text}`))
  const message = count === 1
    ? `Invalid option: ${all[0].problems[0]}.`
    : all.length === 1 ? `Invalid options for ${all[0].plugin}:\n${lines.join('\n')}`
    : `Invalid options in ${configFile} (${count} problem${count === 1 ? '' : 's'} in ${all.length} plugin${all.length === 1 ? '' : 's'}):\n${lines.join('\n')}`
  return new MlciError(ErrorCode.PLUGIN_OPTIONS, message, {
    hint: `Fix the options of ${all.map((p) => p.plugin).join(', ')} in ${configFile}; docs/options.md lists every option of the first-party plugins.`,
    plugin: all.length === 1 ? all[0].plugin : undefined,
  })
}
