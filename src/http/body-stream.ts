import type { IncomingMessage } from 'node:http';
import { Readable, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import bytes from 'bytes';
import type { Request } from 'express';
import type { InputFormat } from '../mapping/types';
import { problems } from './problem';
import { UNREADABLE_BODY } from './problem-response';

const FORMATS: Record<string, InputFormat> = {
  'text/csv': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};

/** The media types an upload may be sent as. */
export const UPLOAD_TYPES = Object.keys(FORMATS);

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

/**
 * "100mb" → bytes, read by `bytes` as express reads server.bodyLimit. Only the forms the configuration
 * schema allows: `bytes` would read more (decimals, gb, no unit), which the schema refuses.
 */
export function parseSize(text: string): number {
  const size = /^\d+(b|kb|mb)$/.test(text) ? bytes.parse(text) : null;
  if (size === null || !Number.isFinite(size)) throw new Error(`not a size: ${text}`);
  return size;
}

/** The decoders of the Content-Encodings an upload may arrive in (body-parser's, for JSON bodies). */
const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/** The decoder a request's Content-Encoding asks for (none for identity), or a 415 problem. */
function decoderOf(req: IncomingMessage): Transform | undefined {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return undefined;
  const decoder = Object.hasOwn(DECODERS, encoding) ? DECODERS[encoding] : undefined;
  if (!decoder) throw problems.unsupportedMedia('Send the upload as it is, or gzip, deflate or br encoded.');
  return decoder();
}

/**
 * The request body, decoded as its Content-Encoding says (a 415 problem, thrown at once, for one not
 * supported), as a stream that fails with a 400 problem when it does not decode and a 413 once the
 * decoded bytes pass `maxBytes` (a small compressed body cannot unpack without bound).
 *
 * Nothing is read before the consumer reads: a failure can only reach a stream that is being read,
 * whose reader listens for it (the readers attach their listeners when they start).
 */
export function limitedBody(req: IncomingMessage, maxBytes: number): Readable {
  const decoder = decoderOf(req);
  let source: Readable | undefined;
  let seen = 0;
  const body = new Readable({
    read() {
      if (source) return void source.resume();
      // A client gone before this was read told no one (nothing listened then): no data or end follows.
      if (req.destroyed) return void body.destroy(problems.badRequest(UNREADABLE_BODY));
      source = decoder ? req.pipe(decoder) : req;
      source.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > maxBytes) body.destroy(problems.tooLarge(`The upload exceeds ${maxBytes} bytes.`));
        else if (!body.push(chunk)) source!.pause();
      });
      source.once('end', () => body.push(null));
      decoder?.on('error', () => body.destroy(problems.badRequest(UNREADABLE_BODY)));
      req.on('error', (error) => body.destroy(error));
    },
    destroy(error, done) {
      if (decoder) {
        req.unpipe(decoder);
        decoder.destroy();
      }
      done(error);
    },
  });
  return body;
}
