/** What the log keeps of an upload, for store tests: every record read is mapped and kept. */
import type { DatasetUpload, UploadMode } from '../../src/datasets/types';

export function uploadMeta(
  id: string,
  scope: { providerId: string; datasetId: string },
  mode: UploadMode,
  records: number,
  uploadedBy = 'bram',
): DatasetUpload {
  return {
    id,
    ...scope,
    adapterId: scope.providerId,
    mode,
    read: records,
    mapped: records,
    quarantined: 0,
    records,
    digest: '0'.repeat(64),
    uploadedBy,
    uploadedAt: new Date().toISOString(),
    quarantine: [],
  };
}
