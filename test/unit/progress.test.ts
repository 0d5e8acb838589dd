/** The progress line of long commands: drawn on a terminal, nothing at all when piped. */
import { Writable } from 'node:stream';
import { progressText, terminalProgress } from '../../src/runtime/progress';

/** A stream that keeps what is written to it, a terminal or not. */
function sink(isTTY: boolean): Writable & { isTTY: boolean; text: string } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stream.text += chunk.toString();
      done();
    },
  }) as Writable & { isTTY: boolean; text: string };
  stream.isTTY = isTTY;
  stream.text = '';
  return stream;
}

describe('progressText', () => {
  it('gives done of total with the percentage, rounded down', () => {
    expect(progressText('verifying', 12345, 100000)).toBe('verifying: 12,345 of 100,000 entries (12%)');
    expect(progressText('verifying', 100000, 100000)).toBe('verifying: 100,000 of 100,000 entries (100%)');
  });

  it('gives the count alone when the total is not known', () => {
    expect(progressText('exporting', 4096)).toBe('exporting: 4,096 entries');
    expect(progressText('exporting', 0, 0, 'rows')).toBe('exporting: 0 rows');
  });
});

describe('terminalProgress', () => {
  it('writes nothing when the stream is not a terminal (piped or redirected)', async () => {
    const out = sink(false);
    const progress = terminalProgress(out, 'verifying');
    progress.update(10, 100);
    progress.update(100, 100);
    progress.end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text).toBe('');
  });

  it('redraws one line on a terminal, at most once per interval and at the end, and clears it', async () => {
    let now = 0;
    const out = sink(true);
    const progress = terminalProgress(out, 'verifying', { everyMs: 200, now: () => now });
    progress.update(10, 100);
    now = 50;
    progress.update(20, 100); // too soon: skipped
    now = 250;
    progress.update(30, 100);
    now = 260;
    progress.update(100, 100); // the last one is always drawn
    progress.end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text).toBe(
      '\rverifying: 10 of 100 entries (10%)\x1b[K' +
        '\rverifying: 30 of 100 entries (30%)\x1b[K' +
        '\rverifying: 100 of 100 entries (100%)\x1b[K' +
        '\r\x1b[K',
    );
  });

  it('leaves the terminal alone at the end when it drew nothing', async () => {
    const out = sink(true);
    terminalProgress(out, 'exporting').end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text).toBe('');
  });
});
