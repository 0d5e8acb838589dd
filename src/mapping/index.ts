/** The adapter runtime: readers, the map loop (records or quarantine per row), the registry. */
export type {
  Adapter,
  CsvTable,
  InputFormat,
  MapSummary,
  MappedRow,
  QuarantineEntry,
  RowOutcome,
} from './types';
export { formatFromFileName, INPUT_FORMATS, lines, readRows, type SourceItem } from './readers';
export { CSV_CODES } from './csv-reader';
export {
  createSummary,
  mapAll,
  mapRow,
  mapStream,
  RUNTIME_CODES,
  withLine,
  type MapEvent,
  type MapOptions,
  type MapResult,
} from './run';
export { createMemorySeenIdentifiers, type SeenIdentifiers } from './seen';
export { SOURCE_CODES } from './kit';
export { adapters, getAdapter } from './registry';
export { registerMapCommand, runMapCommand, type MapCommandOptions, type MapCommandIo } from './map-command';
export { registerUnmapCommand, runUnmapCommand, type UnmapCommandOptions } from './unmap-command';
