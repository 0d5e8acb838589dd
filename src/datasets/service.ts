/**
 * Shared datasets: a responder uploads its organisation's records through its own adapter; every row
 * ends as records or as quarantine; the records are indexed by normalised identifier for lookups.
 */
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { AuditEventInput } from '../audit/types';
import type { Identity } from '../auth/identity';
import type { Secrets } from '../config/secrets';
import { ProblemError, problems } from '../http/problem';
import type { InputFormat } from '../mapping/types';
import type { Bundle } from '../policy/types';
import type { Store } from '../store/port';
import { mapUploadStream, type MappedUpload, type UploadScope } from './map-upload';
import { mapOnThread, mappingThreadAvailable } from './mapping-thread';
import { partnerAdapter } from './partner-adapter';
import type { DatasetRecord, DatasetUpload, UploadMode } from './types';

/** Longest the mapping runs on the event loop (no mapping thread) before other requests get a turn. */
const SLICE_MS = 1;

export interface DatasetServiceDeps {
  store: Store;
  bundle: () => Bundle;
  secrets: Secrets;
  clock: () => Date;
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
   * and hands the records to `write` in batches as they come: on a thread of its own where compiled,
   * else on the event loop in slices.
   */
  private mapUpload(
    identity: Identity,
    adapterId: string,
    format: InputFormat,
    input: Readable,
    allowedTypes: Set<string>,
    scope: UploadScope,
    write: (records: DatasetRecord[]) => Promise<void>,
  ): Promise<MappedUpload> {
    const adapter = partnerAdapter(identity, adapterId, format);
    const refKey = this.deps.secrets.identifierKey;
    if (mappingThreadAvailable()) {
      const data = { adapterId: adapter.id, format, allowedTypes: [...allowedTypes], scope, refKey };
      return mapOnThread(data, input, write);
    }
    let slice = performance.now();
    const pace = () => {
      if (performance.now() - slice <= SLICE_MS) return undefined;
      return new Promise<void>((resolve) => setImmediate(resolve)).then(
        () => void (slice = performance.now()),
      );
    };
    return mapUploadStream({ adapter, format, allowedTypes, scope, refKey, pace }, input, write);
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
}
