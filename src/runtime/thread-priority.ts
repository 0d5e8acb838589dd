/**
 * Background threads (an upload's mapping and writing) run below the requests: on a busy machine the
 * event loop gets the CPU first and the background takes what is left.
 */
import fs from 'node:fs';
import os from 'node:os';

/** The nice value of a background thread (19 is the lowest priority). */
export const BACKGROUND_NICE = 19;

/**
 * Lowers the calling thread's CPU priority. On Linux a thread's id is a valid target for setpriority;
 * where the id cannot be read (no /proc), the thread keeps the process's priority: false.
 */
export function runInBackground(): boolean {
  try {
    const [, , tid] = fs.readlinkSync('/proc/thread-self').split('/');
    os.setPriority(Number(tid), BACKGROUND_NICE);
    return true;
  } catch {
    return false;
  }
}
