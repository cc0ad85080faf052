import { ErrorCode, MlciError, type Exec, type ExecOptions, type ExecResult } from '@mlci/core'

/** One command a plugin ran through `ctx.exec` while the stub was in place. */
export interface ExecCall {
  argv: string[]
  options?: ExecOptions
  /** The plugin whose context ran it. */
  plugin?: string
  phase?: string
}

/** What a stub answers: any part of an ExecResult (exit code 0 and empty output by default). */
export type ExecStub = (argv: string[], options: ExecOptions | undefined, call: ExecCall) => Partial<ExecResult> | void | Promise<Partial<ExecResult> | void>

/**
 * An `exec` that records the call and answers with the stub's result instead of starting a
 * process. Like the real one, a non-zero exit throws MLCI_EXEC_FAILED unless `reject: false`.
 */
export function stubExec(stub: ExecStub, calls: ExecCall[], where: { plugin?: string; phase?: string }): Exec {
  return async (argv, options) => {
    const call: ExecCall = { argv: [...argv], options, ...where }
    calls.push(call)
    const answer = (await stub(argv, options, call)) ?? {}
    const result: ExecResult = { argv: [...argv], exitCode: 0, signal: null, stdout: '', stderr: '', durationMs: 0, ...answer }
    if (result.exitCode !== 0 && options?.reject !== false) {
      throw new MlciError(ErrorCode.EXEC_FAILED, `Command failed (exit ${result.exitCode}): ${argv.join(' ')}`, { details: result.stderr || undefined })
    }
    return result
  }
}
