/** Canonical records validated against schemas/sis (compiled once), with every problem's JSON pointer. */
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../config/ajv';
import { ajvPointer } from '../config/schema-errors';
import boatEngineSchema from '../../schemas/sis/boat-engine.schema.json';
import boatSchema from '../../schemas/sis/boat.schema.json';
import recordSchema from '../../schemas/sis/record.schema.json';
import vehiclePartSchema from '../../schemas/sis/vehicle-part.schema.json';
import vehicleSchema from '../../schemas/sis/vehicle.schema.json';
import type { CanonicalRecord, ObjectType } from './canonical';
import { surelyValid } from './valid-fast';

const ajv = createAjv();
ajv.addSchema(recordSchema);
const byType: Record<ObjectType, ValidateFunction<CanonicalRecord>> = {
  boat: ajv.compile(boatSchema),
  'boat-engine': ajv.compile(boatEngineSchema),
  vehicle: ajv.compile(vehicleSchema),
  'vehicle-part': ajv.compile(vehiclePartSchema),
};
const common = ajv.getSchema<CanonicalRecord>(recordSchema.$id)!;

export interface RecordProblem {
  pointer: string;
  message: string;
}

/** [] when the record is valid for its object type; otherwise every problem found. */
export function recordProblems(record: unknown): RecordProblem[] {
  // The records of boatreg-nl, by the million in `fsg map`: a cheap check first (never true for a
  // record ajv rejects); anything it is not sure of goes to ajv.
  if (surelyValid(record)) return [];
  const objectType = (record as { objectType?: unknown })?.objectType;
  // Own keys only: "constructor" or "toString" must not pick a function of Object.prototype.
  const known = typeof objectType === 'string' && Object.prototype.hasOwnProperty.call(byType, objectType);
  const validate = known ? byType[objectType as ObjectType] : common;
  if (validate(record)) return [];
  return (validate.errors ?? [])
    .filter((e) => e.keyword !== 'if' && e.keyword !== 'allOf')
    .map((e) => ({ pointer: ajvPointer(e), message: e.message ?? 'is invalid' }));
}

export function isCanonicalRecord(record: unknown): record is CanonicalRecord {
  return recordProblems(record).length === 0;
}
