import type { Redactor } from './redact.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'output'

/** One line of a run's log; also what the CLI renders. Messages are already redacted. */
export interface LogEntry {
  time: number
  level: LogLevel
  message: string
  phase?: string
  plugin?: string
}

/** A logger scoped to one plugin (and phase, inside a tap). */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
  /** A line of a child process's output. */
  output(line: string): void
  /** Progress of the current tap, 0..1, with an optional label; shown as a bar in the UI. */
  progress(fraction: number, label?: string): void
  /** Replace the one-line status shown beside the running tap (e.g. live test counts). */
  status(text: string): void
  child(scope: { phase?: string; plugin?: string }): Logger
}

export type LogSink = (entry: LogEntry) => void
export type ProgressSink = (update: { phase?: string; plugin?: string; fraction?: number; label?: string; status?: string }) => void

export function createLogger(
  sinks: { log: LogSink; progress: ProgressSink },
  redactor: Redactor,
  scope: { phase?: string; plugin?: string } = {},
): Logger {
  const emit = (level: LogLevel, message: string) =>
    sinks.log({ time: Date.now(), level, message: redactor.redact(message), ...scope })
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    output: (m) => emit('output', m),
    progress: (fraction, label) =>
      sinks.progress({ ...scope, fraction: Math.max(0, Math.min(1, fraction)), label: label && redactor.redact(label) }),
    status: (text) => sinks.progress({ ...scope, status: redactor.redact(text) }),
    child: (next) => createLogger(sinks, redactor, { ...scope, ...next }),
  }
}
