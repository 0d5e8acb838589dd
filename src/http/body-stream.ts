import { Transform, type Readable } from 'node:stream';
import type { Request } from 'express';
import type { InputFormat } from '../mapping/types';
import { problems } from './problem';

const FORMATS: Record<string, InputFormat> = {
  'text/csv': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};

/** The upload format a Content-Type names; anything else is a 415. */
export function uploadFormat(req: Request): InputFormat {
  const type = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const format = FORMATS[type];
  if (!format)
    throw problems.unsupportedMedia(
      `Send text/csv, application/json or application/x-ndjson, not "${type || 'nothing'}".`,
    );
  return format;
}

/** "100mb" → bytes (the units express uses in server.bodyLimit / server.uploadLimit). */
export function parseSize(text: string): number {
  const match = /^(\d+)(b|kb|mb)$/.exec(text);
  if (!match) throw new Error(`not a size: ${text}`);
  return Number(match[1]) * { b: 1, kb: 1024, mb: 1024 * 1024 }[match[2] as 'b' | 'kb' | 'mb'];
}

/** The request body as a stream that fails with a 413 problem once it passes `maxBytes`. */
export function limitedBody(req: Readable, maxBytes: number): Readable {
  let seen = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(problems.tooLarge(`The upload exceeds ${maxBytes} bytes.`));
      else done(null, chunk);
    },
  });
  req.on('error', (error) => limiter.destroy(error));
  return req.pipe(limiter);
}
