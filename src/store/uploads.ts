/** Uploads whose records are all at hand (the demo seed's files, tests, benchmarks). */
import type { AuditEventInput } from '../audit/types';
import type { DatasetRecord, DatasetUpload } from '../datasets/types';
import type { DatasetStore } from './port';

/** Stages, adds and publishes in one call; a failure leaves the dataset as it was. */
export async function writeUpload(
  datasets: DatasetStore,
  upload: DatasetUpload,
  records: DatasetRecord[],
  events: AuditEventInput[],
): Promise<number> {
  const staged = await datasets.stage(upload, upload.mode, upload.id);
  try {
    await staged.add(records);
  } catch (error) {
    await staged.discard();
    throw error;
  }
  return staged.publish(upload, events);
}
