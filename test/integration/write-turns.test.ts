/**
 * Turns at the write lock between threads (src/store/sqlite/write-turns.ts, compiled): an upload step
 * on another thread sees at once that a writer waits and ends early, and the writer begins as soon as
 * the step has ended, not when a sleep of SQLite's busy handler would next have woken it; a step's
 * mark cleared by hand (its thread gone mid-step) frees the writer too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as TurnsModule from '../../src/store/sqlite/write-turns';

const COMPILED = path.resolve(__dirname, '../../dist/src/store/sqlite/write-turns.js');
if (!fs.existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run npm run build first`);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const turnsModule = require(COMPILED) as typeof TurnsModule;

/**
 * A thread that runs one upload step: begins, then works until a writer waits (or `maxMs`), records in
 * `log` [1] when it saw a writer wait and [2] when its step ended (ms since `log` [0]).
 */
function uploadStepOnThread(turns: Int32Array, log: Float64Array, maxMs: number, clearMark = false): Worker {
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const t = require(${JSON.stringify(COMPILED)});
    const turns = new Int32Array(workerData.turns);
    const log = new Float64Array(workerData.log);
    const now = () => Date.now() - log[0];
    const step = () => {
      const until = Date.now() + workerData.maxMs;
      parentPort.postMessage('holding');
      while (Date.now() < until && !t.othersWaiting(turns)) {}
      if (t.othersWaiting(turns)) log[1] = now();
      // The step's commit.
      const end = Date.now() + 20;
      while (Date.now() < end) {}
    };
    if (workerData.clearMark) {
      // Marks the lock held and never clears it, as a thread ended mid-step would.
      Atomics.store(turns, 1, 1);
      parentPort.postMessage('holding');
    } else {
      t.uploadStep(turns, () => undefined, step);
      log[2] = now();
    }
  `;
  return new Worker(code, {
    eval: true,
    workerData: { turns: turns.buffer, log: log.buffer, maxMs, clearMark },
  });
}

const holding = (worker: Worker) => new Promise<void>((resolve) => worker.once('message', () => resolve()));

describe('turns at the write lock', () => {
  it('a writer that waits ends the upload step early and begins as soon as it has ended', async () => {
    const turns = turnsModule.createWriteTurns();
    const log = new Float64Array(new SharedArrayBuffer(3 * 8));
    log[0] = Date.now();
    const worker = uploadStepOnThread(turns, log, 5_000);
    await holding(worker);
    let begunAt = 0;
    turnsModule.beginInTurn(turns, () => void (begunAt = Date.now() - log[0]));
    await new Promise((resolve) => worker.once('exit', resolve));
    expect(log[1]).toBeGreaterThan(0); // the step saw the writer wait
    expect(log[2]).toBeGreaterThan(0);
    expect(begunAt).toBeGreaterThanOrEqual(log[2]); // the writer began after the step had ended
    expect(begunAt).toBeLessThan(log[1] + 400); // woken by the step, not by the 500 ms fallback
    expect(turnsModule.othersWaiting(turns)).toBe(false);
  });

  it('with no step holding the lock, a writer begins at once', () => {
    const turns = turnsModule.createWriteTurns();
    let waitedWhileBeginning = false;
    turnsModule.beginInTurn(turns, () => void (waitedWhileBeginning = turnsModule.othersWaiting(turns)));
    expect(waitedWhileBeginning).toBe(true); // counted while it begins
    expect(turnsModule.othersWaiting(turns)).toBe(false);
  });

  it('a mark left by a thread that ended mid-step, once cleared, frees the waiting writer', async () => {
    const turns = turnsModule.createWriteTurns();
    const log = new Float64Array(new SharedArrayBuffer(3 * 8));
    const worker = uploadStepOnThread(turns, log, 0, true);
    await holding(worker);
    await new Promise((resolve) => worker.once('exit', resolve));
    turnsModule.uploadHoldReleased(turns); // what the upload thread's exit handler does
    const started = Date.now();
    let begun = false;
    turnsModule.beginInTurn(turns, () => void (begun = true));
    expect(begun).toBe(true);
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('a begin that throws still stops counting the writer as waiting', () => {
    const turns = turnsModule.createWriteTurns();
    expect(() =>
      turnsModule.beginInTurn(turns, () => {
        throw new Error('SQLITE_BUSY');
      }),
    ).toThrow('SQLITE_BUSY');
    expect(turnsModule.othersWaiting(turns)).toBe(false);
  });
});
