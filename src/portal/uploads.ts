/** Uploaded files as the services take them: a stream, and a format told by the file's name or type. */
import { Readable } from 'node:stream';
import { problems } from '../http/problem';
import type { InputFormat } from '../mapping/types';

/** A Readable of a buffer, for services that take a stream. */
export const streamOf = (data: Buffer): Readable => Readable.from([data]);

/** The upload format from a file's name or declared type. */
export function formatOf(file: { name: string; type: string }): InputFormat {
  const name = file.name.toLowerCase();
  if (name.endsWith('.csv') || file.type === 'text/csv') return 'csv';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  if (name.endsWith('.json') || file.type === 'application/json') return 'json';
  throw problems.unsupportedMedia('Upload a .csv, .json or .ndjson file.');
}
