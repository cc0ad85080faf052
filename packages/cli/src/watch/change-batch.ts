/**
 * Collects changed paths and hands them over once the files have been quiet for `delayMs`
 * (an editor's save is often several events). A writer that never pauses still gets a batch
 * every `maxWaitMs`, so a busy file cannot starve the loop.
 */
export class ChangeBatch {
  private readonly paths = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private firstAt = 0

  constructor(
    public delayMs: number,
    private readonly flush: (paths: string[]) => void,
    private readonly maxWaitMs = () => Math.max(1000, this.delayMs * 10),
  ) {}

  add(path: string): void {
    if (!this.paths.size) this.firstAt = performance.now()
    this.paths.add(path)
    if (this.timer) clearTimeout(this.timer)
    const overdue = performance.now() - this.firstAt >= this.maxWaitMs()
    this.timer = setTimeout(() => this.fire(), overdue ? 0 : this.delayMs)
  }

  private fire(): void {
    this.timer = undefined
    const paths = [...this.paths]
    this.paths.clear()
    if (paths.length) this.flush(paths)
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.paths.clear()
  }
}
