/**
 * The HTTP calls the load tools make to a gateway started by bench/child.ts (`gateway` mode): a
 * lookup and a detail request under stolen-boats, DPO reads of the log, a dataset upload streamed
 * from a file, the readiness probe. Each is timed as one Outcome (open-loop.ts).
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { Staff } from '../child';
import { timed, type Outcome } from './open-loop';

/** What the gateway child reports once it listens. */
export interface BenchGateway {
  url: string;
  /** One token per accredited police-nl analyst. */
  tokens: string[];
  staff: Staff;
  storeFile: string;
}

const UNDER_STOLEN_BOATS = {
  purpose: 'stolen-property-investigation',
  caseRef: 'NL-2026-000123',
};

/** A hit/no-hit lookup of one hull number. */
export function lookupBody(hin: string): string {
  return JSON.stringify({
    agreementId: 'stolen-boats',
    identifiers: [{ type: 'hin', value: hin }],
    ...UNDER_STOLEN_BOATS,
  });
}

/** A detail request to boatreg-nl for one hull number. */
export function detailBody(hin: string): string {
  return JSON.stringify({
    agreementId: 'stolen-boats',
    providerId: 'boatreg-nl',
    datasetId: 'vessels',
    identifiers: [{ type: 'hin', value: hin }],
    fields: ['objectType', 'identifier', 'make', 'model', 'status'],
    ...UNDER_STOLEN_BOATS,
  });
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT';
  token?: string;
  /** A JSON body. */
  json?: string;
  /** A CSV file, streamed as the body. */
  csvFile?: string;
  timeoutMs?: number;
  /** Keep the answer's text in the outcome. */
  keepText?: boolean;
}

/** One request to `path` on the gateway (127.0.0.1 only), timed. */
export function call(
  url: string,
  kind: string,
  at: number,
  path: string,
  opts: CallOptions = {},
): Promise<Outcome> {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`load goes to 127.0.0.1 only, not ${url}`);
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.json) headers['content-type'] = 'application/json';
  if (opts.csvFile) headers['content-type'] = 'text/csv';
  const body = opts.csvFile
    ? (Readable.toWeb(fs.createReadStream(opts.csvFile)) as ReadableStream)
    : opts.json;
  return timed(
    kind,
    at,
    () =>
      fetch(`${url}${path}`, {
        method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        body,
        duplex: 'half',
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      } as RequestInit),
    opts.keepText,
  );
}

/** A responder's upload of a boatreg-nl CSV to boatreg-nl's vessels dataset. */
export function uploadCsv(
  gateway: BenchGateway,
  at: number,
  file: string,
  mode: 'replace' | 'upsert',
  timeoutMs: number,
): Promise<Outcome> {
  return call(gateway.url, 'upload', at, `/api/v1/datasets/vessels/records?adapter=boatreg-nl&mode=${mode}`, {
    method: 'PUT',
    token: gateway.staff.responder,
    csvFile: file,
    timeoutMs,
    keepText: true,
  });
}
