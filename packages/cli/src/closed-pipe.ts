/**
 * `mlci build | head` closes mlci's stdout while the run goes on. Node reports that as an
 * 'error' event (EPIPE) on the stream, and unhandled it kills the process mid-run: a release
 * half done, the lock left for the next run to reclaim. The reader is gone, not the work: from
 * then on output to that stream is dropped, and the command finishes with its own exit code.
 */
export function dropOutputWhenReaderCloses(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // A write already on its way when the stream closed reports the stream destroyed.
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error
    stream.write = ((_chunk: unknown, encoding?: unknown, done?: unknown) => {
      const callback = typeof encoding === 'function' ? encoding : done
      if (typeof callback === 'function') process.nextTick(callback as () => void)
      return true
    }) as typeof stream.write
  })
}
