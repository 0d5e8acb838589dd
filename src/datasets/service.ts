/**
 * Shared datasets: a responder uploads its organisation's records through its own adapter; every row
 * ends as records or as quarantine; the records are indexed by normalised identifier for lookups.
 */
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { AuditEventInput } from '../audit/types';
import type { Identity } from '../auth/identity';
import { keyedHash, type Secrets } from '../config/secrets';
import { ProblemError, problems } from '../http/problem';
import { identifierKey } from '../identifiers';
import { mapStream, withLine } from '../mapping';
import type { InputFormat, QuarantineEntry } from '../mapping/types';
import type { Bundle } from '../policy/types';
import { recordDigest } from '../requests/release';
import type { Store } from '../store/port';
import { partnerAdapter } from './partner-adapter';
import type { DatasetRecord, DatasetUpload, UploadMode } from './types';

/** How many quarantine entries an upload keeps and returns in full (the counts are always complete). */
export const QUARANTINE_REPORT_LIMIT = 1000;
/** Records mapped before they are handed to the store (which writes them in short transactions). */
const BATCH_RECORDS = 500;
/** Longest the mapping runs before other requests get a turn of the event loop. */
const SLICE_MS = 1;

export interface DatasetServiceDeps {
  store: Store;
  bundle: () => Bundle;
  secrets: Secrets;
  clock: () => Date;
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

export class DatasetService {
  constructor(private readonly deps: DatasetServiceDeps) {}

  /** The object types a provider's dataset may hold: the union over the agreements that name it. */
  objectTypesOf(providerId: string, datasetId: string): Set<string> | undefined {
    const terms = [...this.deps.bundle().agreements.values()].flatMap((a) =>
      a.datasets.filter((d) => d.provider === providerId && d.id === datasetId),
    );
    return terms.length ? new Set(terms.flatMap((d) => d.objectTypes)) : undefined;
  }

  /**
   * Maps a partner-format stream through the caller's own adapter, keeping every row accounted for,
   * and hands the records to `write` in batches as they come: an upload is never held in memory whole,
   * and the stream is read no faster than the store writes.
   */
  async mapUpload(
    identity: Identity,
    adapterId: string,
    format: InputFormat,
    input: Readable,
    allowedTypes: Set<string>,
    refScope: { providerId: string; datasetId: string },
    write: (records: DatasetRecord[]) => Promise<void>,
  ): Promise<MappedUpload> {
    const adapter = partnerAdapter(identity, adapterId, format);
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
    let slice = performance.now();
    for await (const event of mapStream(adapter, input, format)) {
      out.read += 1;
      if (event.kind === 'quarantine') {
        out.truncated ||= event.truncated === true;
        quarantine(event.entries);
        continue;
      }
      const outside = event.records.find((r) => !allowedTypes.has(r.objectType));
      if (outside) {
        quarantine([
          withLine(
            {
              row: event.row,
              field: null,
              code: 'OBJECT_TYPE_NOT_IN_DATASET',
              message: `A ${outside.objectType} record does not belong in dataset ${refScope.datasetId}.`,
            },
            event.line,
          ),
        ]);
        continue;
      }
      out.mapped += 1;
      for (const record of event.records) {
        digest.update(out.records === 0 ? recordDigest(record) : `\n${recordDigest(record)}`);
        out.records += 1;
        batch.push(this.indexed(record, refScope));
      }
      if (batch.length >= BATCH_RECORDS) {
        await write(batch);
        batch = [];
      }
      if (performance.now() - slice > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
    if (batch.length) await write(batch);
    out.digest = digest.digest('hex');
    return out;
  }

  async upload(
    identity: Identity,
    datasetId: string,
    adapterId: string,
    format: InputFormat,
    mode: UploadMode,
    input: Readable,
  ): Promise<DatasetUpload & { size: number }> {
    const allowed = this.objectTypesOf(identity.partnerId, datasetId);
    // Not a dataset of the caller's partner: to them it does not exist.
    if (!allowed) throw problems.notFound(`Your organisation shares no dataset "${datasetId}".`);
    const scope = { providerId: identity.partnerId, datasetId };
    const id = crypto.randomUUID();
    const staged = await this.deps.store.datasets.stage(scope, mode, id).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== 'DATASET_BUSY') throw error;
      throw new ProblemError({
        code: 'upload-in-progress',
        title: 'Upload in progress',
        status: 409,
        detail: `Another upload to dataset "${datasetId}" is being written; send this one when it has finished.`,
        retryAfter: 5,
      });
    });
    let mapped: MappedUpload;
    try {
      mapped = await this.mapUpload(identity, adapterId, format, input, allowed, scope, (r) => staged.add(r));
      // A replace swaps the whole dataset: never for a file that broke off or mapped nothing at all.
      if (mode === 'replace' && (mapped.truncated || (mapped.read > 0 && mapped.mapped === 0))) {
        throw new ProblemError({
          code: 'upload-refused',
          title: 'Upload refused',
          status: 422,
          detail: mapped.truncated
            ? 'The file broke off before its end; the dataset was left as it was.'
            : 'No row of the file could be mapped; the dataset was left as it was.',
          extensions: {
            read: mapped.read,
            mapped: mapped.mapped,
            quarantined: mapped.quarantined,
            quarantine: mapped.quarantine,
          },
        });
      }
    } catch (error) {
      await staged.discard();
      throw error;
    }
    const upload: DatasetUpload = {
      id,
      providerId: identity.partnerId,
      datasetId,
      adapterId,
      mode,
      read: mapped.read,
      mapped: mapped.mapped,
      quarantined: mapped.quarantined,
      records: mapped.records,
      digest: mapped.digest,
      uploadedBy: identity.userId,
      uploadedAt: this.deps.clock().toISOString(),
      quarantine: mapped.quarantine,
    };
    const event: AuditEventInput = {
      type: 'dataset.upload',
      actor: { userId: identity.userId, partnerId: identity.partnerId },
      partners: [identity.partnerId],
      outcome: mode,
      data: {
        uploadId: upload.id,
        datasetId,
        adapterId,
        read: upload.read,
        mapped: upload.mapped,
        quarantined: upload.quarantined,
        records: upload.records,
        digest: upload.digest,
        quarantineCodes: mapped.quarantineCodes,
      },
    };
    const size = await staged.publish(upload, [event]);
    return { ...upload, size };
  }

  async status(identity: Identity, datasetId: string) {
    if (!this.objectTypesOf(identity.partnerId, datasetId)) {
      throw problems.notFound(`Your organisation shares no dataset "${datasetId}".`);
    }
    return this.deps.store.datasets.status(identity.partnerId, datasetId);
  }

  /** The datasets the caller's partner provides under any agreement, with their status. */
  async list(identity: Identity) {
    const ids = new Set(
      [...this.deps.bundle().agreements.values()].flatMap((a) =>
        a.datasets.filter((d) => d.provider === identity.partnerId).map((d) => d.id),
      ),
    );
    return Promise.all(
      [...ids].sort().map(async (id) => ({
        datasetId: id,
        ...(await this.deps.store.datasets.status(identity.partnerId, id)),
      })),
    );
  }

  private indexed(
    record: DatasetRecord['record'],
    scope: { providerId: string; datasetId: string },
  ): DatasetRecord {
    return {
      identifierKey: identifierKey(record.identifier.type, record.identifier.value),
      identifierType: record.identifier.type,
      objectType: record.objectType,
      recordRef: opaqueRef(this.deps.secrets.identifierKey, scope, record.sourceRef),
      sourceRef: record.sourceRef,
      linkId: record.linkId ?? null,
      record,
    };
  }
}

/**
 * A hit carries a reference the analyst can cite but not read: keyed, so it reveals nothing of the
 * provider's own reference, and stable, so the same source record gets the same reference.
 */
export function opaqueRef(
  key: Buffer,
  scope: { providerId: string; datasetId: string },
  sourceRef: string,
): string {
  return `rr_${keyedHash(key, `${scope.providerId}/${scope.datasetId}/${sourceRef}`).slice(0, 32)}`;
}
