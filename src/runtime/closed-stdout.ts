/**
 * `fsg audit verify | head`: the reader closes the pipe after the lines it wants, and the next write
 * fails with EPIPE. That is the reader's choice, not a failure of the command: from then on its output
 * is dropped, the command ends as it would have (its run logged, its usual exit status), and no error
 * or stack trace is printed. Any other error on stdout is reported and ends the command with status 2.
 */
import type { Writable } from 'node:stream';

export interface OutputWatch {
  /** True once the reader has closed the pipe. */
  readonly readerClosed: boolean;
}

export function watchClosedOutput(out: Writable, onOtherError: (error: Error) => void): OutputWatch {
  const watch = { readerClosed: false };
  out.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || watch.readerClosed) {
      watch.readerClosed = true;
      return;
    }
    onOtherError(error);
  });
  return watch;
}
