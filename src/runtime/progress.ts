/**
 * Progress of a long command on a terminal: one line on standard error, redrawn in place. Piped or
 * redirected, nothing is written: scripts and the tests read the command's output as before.
 */
import type { Writable } from 'node:stream';

export interface Progress {
  /** `done` of `total` (when it is known) so far. */
  update(done: number, total?: number): void;
  /** Clears the line, so what the command prints next starts on a clean one. */
  end(): void;
}

const NUMBER = new Intl.NumberFormat('en-US');

/** `label: 12,345 of 100,000 entries (12%)`, or `label: 12,345 entries` without a total. */
export function progressText(label: string, done: number, total?: number, unit = 'entries'): string {
  if (total === undefined || total <= 0) return `${label}: ${NUMBER.format(done)} ${unit}`;
  const percent = Math.min(100, Math.floor((done / total) * 100));
  return `${label}: ${NUMBER.format(done)} of ${NUMBER.format(total)} ${unit} (${percent}%)`;
}

export const NO_PROGRESS: Progress = { update: () => undefined, end: () => undefined };

export interface ProgressOptions {
  unit?: string;
  /** Least time between two redraws: a redraw per page would cost more than the page. */
  everyMs?: number;
  now?: () => number;
}

/** Progress on `stream` when it is a terminal (isTTY); NO_PROGRESS otherwise. */
export function terminalProgress(
  stream: Writable & { isTTY?: boolean },
  label: string,
  options: ProgressOptions = {},
): Progress {
  if (stream.isTTY !== true) return NO_PROGRESS;
  const { unit = 'entries', everyMs = 200, now = Date.now } = options;
  let drawnAt: number | undefined;
  return {
    update(done, total) {
      const at = now();
      if (drawnAt !== undefined && at - drawnAt < everyMs && done !== total) return;
      drawnAt = at;
      // Back to the line's start, the text, then the rest of the old line erased.
      stream.write(`\r${progressText(label, done, total, unit)}\x1b[K`);
    },
    end() {
      if (drawnAt !== undefined) stream.write('\r\x1b[K');
      drawnAt = undefined;
    },
  };
}
