/**
 * Training progress from output lines, in three dialects:
 *
 *   mlci:progress 0.42 [label]       mlci's own protocol (also `mlci:progress 42%`)
 *   {"progress": 0.42, "label": "…"}  JSON lines
 *   Epoch 3:  42%|████▏     | 42/100 [00:01<00:02]   tqdm
 */
export interface ProgressUpdate {
  /** 0..1 */
  fraction: number
  label?: string
}

const PROTOCOL = /^\s*mlci:progress\s+(\d+(?:\.\d*)?|\.\d+)(%?)(?:\s+(.*\S))?\s*$/
const TQDM = /^(.*?)(\d{1,3})%\|/

export function parseProgress(line: string): ProgressUpdate | undefined {
  const protocol = PROTOCOL.exec(line)
  if (protocol) return update(Number(protocol[1]) / (protocol[2] ? 100 : 1), protocol[3])
  const trimmed = line.trim()
  if (trimmed.startsWith('{') && trimmed.includes('"progress"')) return fromJson(trimmed)
  const tqdm = TQDM.exec(line)
  if (tqdm) return update(Number(tqdm[2]) / 100, tqdm[1].trim().replace(/:$/, '') || undefined)
  return undefined
}

function fromJson(text: string): ProgressUpdate | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { progress, label, message } = value as Record<string, unknown>
  if (typeof progress !== 'number') return undefined
  const labelText = typeof label === 'string' ? label : typeof message === 'string' ? message : undefined
  return update(progress, labelText)
}

function update(fraction: number, label?: string): ProgressUpdate | undefined {
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1) return undefined
  return label ? { fraction, label } : { fraction }
}
