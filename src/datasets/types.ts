import type { QuarantineEntry } from '../mapping/types';
import type { CanonicalRecord } from '../records/canonical';

/** One record of a provider's shared dataset, indexed by its normalised identifier. */
export interface DatasetRecord {
  identifierKey: string;
  identifierType: string;
  objectType: string;
  /** Opaque reference handed out in hits; resolves to the provider's own sourceRef. */
  recordRef: string;
  sourceRef: string;
  linkId: string | null;
  record: CanonicalRecord;
}

export type UploadMode = 'replace' | 'upsert';

/** What the log and the responder's datasets page keep of an upload. */
export interface DatasetUpload {
  id: string;
  providerId: string;
  datasetId: string;
  adapterId: string;
  mode: UploadMode;
  read: number;
  mapped: number;
  quarantined: number;
  records: number;
  /** sha256 over the record digests, in upload order. */
  digest: string;
  uploadedBy: string;
  uploadedAt: string;
  /** The first quarantine entries (capped; the counts are complete). */
  quarantine: QuarantineEntry[];
}

/** A match in a shared dataset: existence and a reference, no field values. */
export interface Hit {
  providerId: string;
  datasetId: string;
  objectType: string;
  identifierType: string;
  identifierKey: string;
  recordRef: string;
}
