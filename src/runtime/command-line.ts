/** What the `fsg` commands share: the error for bad input, the line printer, the `--db` argument. */
import path from 'node:path';
import { isStoreUrl } from '../store/open';

/** Errors we expect from bad input end the command with their message; anything else is a bug. */
export class UsageError extends Error {}

/** One line of a command's output on standard output. */
export const printLine = (line: string): void => void process.stdout.write(`${line}\n`);

/** A repeatable option's values, in the order given. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A `--db` value: a PostgreSQL URL as given, a SQLite file resolved against the current folder. */
export const resolveFile = (db: string): string => (isStoreUrl(db) ? db : path.resolve(db));
