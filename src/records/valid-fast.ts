/**
 * A cheap sufficient check that a boat or boat-engine record passes its schema (schemas/sis), for the
 * records `fsg map` makes by the million: ajv's validators count code points of every string and run
 * their own checks of each keyword, which adds up at that volume (docs/performance.md). `surelyValid` is true only when every rule
 * those schemas set holds (the same limits, read from the schemas, and ajv-formats' own date check);
 * anything it does not know (another object type, an unknown key, `theft`, a string near a limit
 * where code points and UTF-16 units differ) is false, and the caller asks ajv, which also explains.
 * test/unit/records/valid-fast.test.ts holds it to ajv (never true where ajv says invalid) and pins
 * the schema keywords it knows.
 */
import { fullFormats } from 'ajv-formats/dist/formats';
import recordSchema from '../../schemas/sis/record.schema.json';

const P = recordSchema.properties;
const OWNER = P.owner.properties;
const STATUSES: readonly string[] = P.status.enum;
const isDate = (fullFormats.date as { validate: (s: string) => boolean }).validate;

/**
 * A string within [min, max] code points: a UTF-16 length within [min, max] is (a surrogate pair is
 * one code point, so the count is between half the length and the length).
 */
function text(value: unknown, max: number, min = 0): boolean {
  return typeof value === 'string' && value.length >= min && value.length <= max;
}

function optionalText(value: unknown, max: number): boolean {
  return value === undefined || text(value, max);
}

/** A finite number within [minimum, maximum], or absent. */
function optionalNumber(value: unknown, limits: { minimum: number; maximum: number }): boolean {
  return (
    value === undefined ||
    (typeof value === 'number' &&
      Number.isFinite(value) &&
      value >= limits.minimum &&
      value <= limits.maximum)
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The last date string found valid: a row's records share their owner's dates. */
let lastDate = '';

function optionalDate(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'string') return false;
  if (value === lastDate) return true;
  if (!isDate(value)) return false;
  lastDate = value;
  return true;
}

function validOwner(owner: unknown): boolean {
  if (owner === undefined) return true;
  if (!isObject(owner)) return false;
  // Own and inherited enumerable keys, as ajv's additionalProperties loop sees them.
  for (const key in owner) {
    if (key !== 'name' && key !== 'postcode' && key !== 'since' && key !== 'address' && key !== 'dateOfBirth')
      return false;
  }
  return (
    optionalText(owner.name, OWNER.name.maxLength) &&
    optionalText(owner.postcode, OWNER.postcode.maxLength) &&
    optionalText(owner.address, OWNER.address.maxLength) &&
    optionalDate(owner.since) &&
    optionalDate(owner.dateOfBirth)
  );
}

/** True only when the record is a boat or boat-engine record its schema accepts. */
export function surelyValid(record: unknown): boolean {
  if (!isObject(record)) return false;
  const boat = record.objectType === 'boat';
  if (!boat && record.objectType !== 'boat-engine') return false;
  for (const key in record) {
    switch (key) {
      case 'sourceRef':
      case 'linkId':
      case 'objectType':
      case 'status':
      case 'identifier':
      case 'make':
      case 'model':
      case 'colour':
      case 'year':
      case 'powerKw':
      case 'insuredValue':
      case 'salePrice':
      case 'owner':
        break;
      case 'name':
        // boat-engine.schema.json: "name": false.
        if (!boat && record.name !== undefined) return false;
        break;
      default:
        // partKind (false for both), theft, anything else: ajv decides.
        return false;
    }
  }
  const identifier = record.identifier;
  if (!isObject(identifier)) return false;
  for (const key in identifier) if (key !== 'type' && key !== 'value') return false;
  const type = identifier.type;
  if (boat ? type !== 'hin' && type !== 'boat-registration' : type !== 'engine-serial') return false;
  const year = record.year;
  return (
    text(record.sourceRef, P.sourceRef.maxLength, P.sourceRef.minLength) &&
    (record.linkId === undefined || text(record.linkId, P.linkId.maxLength, P.linkId.minLength)) &&
    typeof record.status === 'string' &&
    STATUSES.includes(record.status) &&
    text(
      identifier.value,
      P.identifier.properties.value.maxLength,
      P.identifier.properties.value.minLength,
    ) &&
    optionalText(record.name, P.name.maxLength) &&
    optionalText(record.make, P.make.maxLength) &&
    optionalText(record.model, P.model.maxLength) &&
    optionalText(record.colour, P.colour.maxLength) &&
    (year === undefined ||
      (typeof year === 'number' &&
        Number.isInteger(year) &&
        year >= P.year.minimum &&
        year <= P.year.maximum)) &&
    optionalNumber(record.powerKw, P.powerKw) &&
    optionalNumber(record.insuredValue, P.insuredValue) &&
    optionalNumber(record.salePrice, P.salePrice) &&
    validOwner(record.owner)
  );
}
