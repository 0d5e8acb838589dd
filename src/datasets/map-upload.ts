/**
 * An upload's mapping: a partner-format stream through the partner's adapter into dataset records,
 * every row accounted for (records or quarantine), the records handed on in batches as they come. The
 * same code runs on the upload's mapping thread (mapping-thread.ts) and, where that is not compiled,
 * on the event loop in slices.
 */
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { keyedHash } from '../config/secrets';
import { identifierKey } from '../identifiers';
import { mapStream, withLine } from '../mapping';
import type { Adapter, InputFormat, QuarantineEntry } from '../mapping/types';
import { recordDigest } from '../requests/release';
import type { DatasetRecord } from './types';

/** How many quarantine entries an upload keeps and returns in full (the counts are always complete). */
export const QUARANTINE_REPORT_LIMIT = 1000;
/** Records mapped before they are handed to the store (which writes them in short transactions). */
const BATCH_RECORDS = 500;

export interface UploadScope {
  providerId: string;
  datasetId: string;
}

/** What an upload's mapping counted; the records themselves went to the store as they were mapped. */
export interface MappedUpload {
  /** The input broke off: rows after the last one read were never seen. */
  truncated: boolean;
  quarantine: QuarantineEntry[];
  quarantineCodes: Record<string, number>;
  read: number;
  mapped: number;
  quarantined: number;
  records: number;
  /** sha256 over the record digests, in upload order. */
  digest: string;
}

export interface UploadMapping {
  adapter: Adapter;
  format: InputFormat;
  /** The object types the dataset may hold. */
  allowedTypes: Set<string>;
  scope: UploadScope;
  /** The key of the opaque record references (secrets.identifierKey). */
  refKey: Buffer;
  /** Called between rows: resolves when the mapping may go on (a turn of the event loop). */
  pace?: () => Promise<void> | undefined;
}

/** Maps `input`, handing the records to `write` in batches; the stream is read no faster than they are written. */
export async function mapUploadStream(
  m: UploadMapping,
  input: Readable,
  write: (records: DatasetRecord[]) => Promise<void>,
): Promise<MappedUpload> {
  const out: MappedUpload = {
    truncated: false,
    quarantine: [],
    quarantineCodes: {},
    read: 0,
    mapped: 0,
    quarantined: 0,
    records: 0,
    digest: '',
  };
  const digest = crypto.createHash('sha256');
  const quarantine = (entries: QuarantineEntry[]) => {
    out.quarantined += 1;
    for (const entry of entries) {
      out.quarantineCodes[entry.code] = (out.quarantineCodes[entry.code] ?? 0) + 1;
      if (out.quarantine.length < QUARANTINE_REPORT_LIMIT) out.quarantine.push(entry);
    }
  };
  let batch: DatasetRecord[] = [];
  for await (const event of mapStream(m.adapter, input, m.format)) {
    out.read += 1;
    if (event.kind === 'quarantine') {
      out.truncated ||= event.truncated === true;
      quarantine(event.entries);
    } else {
      const outside = event.records.find((r) => !m.allowedTypes.has(r.objectType));
      if (outside) {
        quarantine([
          withLine(
            {
              row: event.row,
              field: null,
              code: 'OBJECT_TYPE_NOT_IN_DATASET',
              message: `A ${outside.objectType} record does not belong in dataset ${m.scope.datasetId}.`,
            },
            event.line,
          ),
        ]);
      } else {
        out.mapped += 1;
        for (const record of event.records) {
          digest.update(out.records === 0 ? recordDigest(record) : `\n${recordDigest(record)}`);
          out.records += 1;
          batch.push(indexed(record, m));
        }
        if (batch.length >= BATCH_RECORDS) {
          await write(batch);
          batch = [];
        }
      }
    }
    const paced = m.pace?.();
    if (paced) await paced;
  }
  if (batch.length) await write(batch);
  out.digest = digest.digest('hex');
  return out;
}

function indexed(record: DatasetRecord['record'], m: UploadMapping): DatasetRecord {
  return {
    identifierKey: identifierKey(record.identifier.type, record.identifier.value),
    identifierType: record.identifier.type,
    objectType: record.objectType,
    recordRef: opaqueRef(m.refKey, m.scope, record.sourceRef),
    sourceRef: record.sourceRef,
    linkId: record.linkId ?? null,
    record,
  };
}

/**
 * A hit carries a reference the analyst can cite but not read: keyed, so it reveals nothing of the
 * provider's own reference, and stable, so the same source record gets the same reference.
 */
export function opaqueRef(key: Buffer, scope: UploadScope, sourceRef: string): string {
  return `rr_${keyedHash(key, `${scope.providerId}/${scope.datasetId}/${sourceRef}`).slice(0, 32)}`;
}
