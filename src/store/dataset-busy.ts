/** An upload to this dataset is being written: one at a time per dataset (DatasetStore.stage). */
export class DatasetBusyError extends Error {
  readonly code = 'DATASET_BUSY';
  constructor() {
    super('an upload to this dataset is in progress');
  }
}
