/** A writable copy of the demo policy bundle, to break on purpose, and the problems the loader finds. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BundleError } from '../../src/policy/bundle-error';
import { readBundleSources } from '../../src/policy/load';

export const DEMO_POLICIES = path.resolve(__dirname, '../../policies');

/** A writable copy of the demo bundle in a temporary folder. */
export function copyOfDemo(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-bundle-'));
  fs.cpSync(DEMO_POLICIES, path.join(root, 'policies'), { recursive: true });
  return path.join(root, 'policies');
}

/** Every problem the loader reports, as "file: path: message" relative to the bundle folder. */
export function problemsOf(dir: string): string[] {
  try {
    readBundleSources(dir);
  } catch (error) {
    if (error instanceof BundleError)
      return error.problems.map((p) => `${path.relative(dir, p.file)}: ${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected the bundle to be refused');
}

/** Replaces text in a file, failing when the text is not there (so a test cannot edit nothing). */
export function edit(file: string, from: string | RegExp, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`edit did not apply to ${file}`);
  fs.writeFileSync(file, next);
}
