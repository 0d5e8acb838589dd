/**
 * boatreg-nl: the Dutch vessel registry export (CSV or JSON) ⇄ SIS-style boat and boat-engine records.
 * One boat record per hull number, one per registration mark, one boat-engine record per engine, all
 * sharing linkId `boatreg-nl:<registration>`. See README.md for the format and the mapping table.
 */
import { checkHin, checkRegistration, checkSerial } from '../../src/identifiers';
import {
  cell,
  compactObject,
  pruned,
  compileSourceSchema,
  identifierEntries,
  intCell,
  jsonPath,
  numberCell,
  serialPart,
  type FieldNamer,
  groupByLink,
} from '../../src/mapping/kit';
import type { Adapter, MappedRow, QuarantineEntry } from '../../src/mapping/types';
import type { CanonicalRecord } from '../../src/records/canonical';
import schema from './source.schema.json';

export const ADAPTER_ID = 'boatreg-nl';

export type BoatregEngine = { make: string; serial: string; powerKw?: number };
export type BoatregOwner = { name?: string; postcode?: string; since?: string };
/** The JSON form of a row (source.schema.json); unmap returns this form. */
export type BoatregRow = {
  registrationNo?: string;
  vesselName?: string;
  hullNumbers?: string[];
  make?: string;
  model?: string;
  colour?: string;
  buildYear?: number;
  status: string;
  owner?: BoatregOwner;
  engines?: BoatregEngine[];
};
/** The CSV form: every cell a string, engines as engine<N>_make / engine<N>_serial / engine<N>_power_kw. */
export type BoatregCsvRow = Record<string, string>;

type Status = CanonicalRecord['status'];

/** Source status (trimmed, lower case) → canonical status. Anything else is FIELD_VALUE. */
export const STATUS_MAP: Readonly<Record<string, Status>> = {
  registered: 'registered',
  geregistreerd: 'registered',
  ingeschreven: 'registered',
  active: 'registered',
  actief: 'registered',
  stolen: 'stolen',
  gestolen: 'stolen',
  missing: 'missing',
  vermist: 'missing',
  recovered: 'recovered',
  teruggevonden: 'recovered',
  gevonden: 'recovered',
};

const checkSource = compileSourceSchema(schema);

/** CSV headers that only the CSV form has: a row with any of them is read as a CSV row. */
const CSV_ONLY =
  /^(registration_no|vessel_name|hull_numbers|build_year|owner_(name|postcode|since)|engine\d+_(make|serial|power_kw))$/;
const ENGINE_COLUMN = /^engine(\d+)_(make|serial|power_kw)$/;

export function isCsvRow(row: Record<string, unknown>): boolean {
  for (const key in row) if (Object.prototype.hasOwnProperty.call(row, key) && isCsvOnly(key)) return true;
  return false;
}

/** What a column name means to the CSV reading (memoised: every row of a file has the same names). */
const columnKinds = new Map<string, { csvOnly: boolean; engine?: number; part?: string }>();
function columnKind(key: string): { csvOnly: boolean; engine?: number; part?: string } {
  let kind = columnKinds.get(key);
  if (kind === undefined) {
    const m = ENGINE_COLUMN.exec(key);
    kind = m
      ? { csvOnly: CSV_ONLY.test(key), engine: Number(m[1]), part: m[2]! }
      : { csvOnly: CSV_ONLY.test(key) };
    if (columnKinds.size < 10_000) columnKinds.set(key, kind);
  }
  return kind;
}
function isCsvOnly(key: string): boolean {
  return columnKind(key).csvOnly;
}

/** Reads a CSV row into the JSON form; `engineColumns[i]` is the column number N of engines[i]. */
export function fromCsv(row: Record<string, unknown>): {
  source: Record<string, unknown>;
  engineColumns: number[];
} {
  const engines = new Map<number, Record<string, unknown>>();
  for (const key of Object.keys(row)) {
    const { engine: n, part } = columnKind(key);
    if (n === undefined) continue;
    const value = row[key];
    const engine = engines.get(n) ?? {};
    if (part === 'power_kw') engine.powerKw = numberCell(value);
    else engine[part!] = cell(value);
    engines.set(n, engine);
  }
  const present = [...engines.entries()]
    .filter(([, e]) => e.make !== undefined || e.serial !== undefined || e.powerKw !== undefined)
    .sort(([a], [b]) => a - b);
  const hulls = cell(row.hull_numbers)
    ?.split(';')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const owner = pruned({
    name: cell(row.owner_name),
    postcode: cell(row.owner_postcode),
    since: cell(row.owner_since),
  });
  const source = pruned({
    registrationNo: cell(row.registration_no),
    vesselName: cell(row.vessel_name),
    hullNumbers: hulls?.length ? hulls : undefined,
    make: cell(row.make),
    model: cell(row.model),
    colour: cell(row.colour),
    buildYear: intCell(row.build_year),
    status: cell(row.status),
    owner: Object.keys(owner).length ? owner : undefined,
    engines: present.length ? present.map(([, e]) => pruned(e)) : undefined,
  } as Record<string, unknown>);
  return { source, engineColumns: present.map(([n]) => n) };
}

const CSV_NAMES: Readonly<Record<string, string>> = {
  registrationNo: 'registration_no',
  vesselName: 'vessel_name',
  hullNumbers: 'hull_numbers',
  buildYear: 'build_year',
  owner: 'owner_name',
};
const ENGINE_CSV: Readonly<Record<string, string>> = { make: 'make', serial: 'serial', powerKw: 'power_kw' };

const namers = new Map<string, FieldNamer>();

/** A JSON pointer into the JSON form as the CSV column it came from (memoised: called for every record). */
export function csvNamer(engineColumns: number[]): FieldNamer {
  const signature = engineColumns.join(',');
  let namer = namers.get(signature);
  if (namer) return namer;
  const names = new Map<string, string>();
  namer = (pointer) => {
    let known = names.get(pointer);
    if (known === undefined) {
      known = csvName(pointer, engineColumns);
      if (names.size < 1000) names.set(pointer, known);
    }
    return known;
  };
  if (namers.size < 100) namers.set(signature, namer);
  return namer;
}

function csvName(pointer: string, engineColumns: number[]): string {
  const [top = '', index, sub] = pointer.split('/').slice(1);
  if (top === 'owner' && index) return `owner_${index}`;
  if (top === 'engines' && index !== undefined) {
    const n = engineColumns[Number(index)] ?? Number(index) + 1;
    return `engine${n}_${ENGINE_CSV[sub ?? 'serial'] ?? 'serial'}`;
  }
  return CSV_NAMES[top] ?? top;
}

/**
 * The JSON pointers of the i-th hull number and engine serial, made once: the namer is memoised by
 * pointer, and a string made anew for every call would be hashed anew for every lookup.
 */
const POINTERS_KEPT = 64;
const hullPointers: string[] = [];
const engineSerialPointers: string[] = [];
function hullPointer(i: number): string {
  if (i >= POINTERS_KEPT) return `/hullNumbers/${i}`;
  return (hullPointers[i] ??= `/hullNumbers/${i}`);
}
function engineSerialPointer(i: number): string {
  if (i >= POINTERS_KEPT) return `/engines/${i}/serial`;
  return (engineSerialPointers[i] ??= `/engines/${i}/serial`);
}

export function mapBoatreg(
  raw: Record<string, unknown>,
  rowNumber: number,
): MappedRow | { quarantine: QuarantineEntry[] } {
  const csv = isCsvRow(raw);
  const { source, engineColumns } = csv ? fromCsv(raw) : { source: raw, engineColumns: [] as number[] };
  const name: FieldNamer = csv ? csvNamer(engineColumns) : jsonPath;
  const entries = checkSource(source, rowNumber, name);
  // The status is checked even when the schema failed, so the row's report names every problem.
  const statusText = typeof source.status === 'string' ? source.status.trim().toLowerCase() : undefined;
  const status = statusText === undefined ? undefined : STATUS_MAP[statusText];
  if (statusText !== undefined && statusText !== '' && !status) {
    entries.push({
      row: rowNumber,
      field: name('/status'),
      code: 'FIELD_VALUE',
      message: `unknown status; expected one of ${Object.keys(STATUS_MAP).join(', ')}`,
    });
  }
  if (entries.length || !status) return { quarantine: entries };
  const row = source as BoatregRow;
  const warnings: QuarantineEntry[] = [];

  const registration = row.registrationNo === undefined ? undefined : checkRegistration(row.registrationNo);
  if (registration)
    entries.push(...identifierEntries(registration, rowNumber, name('/registrationNo'), warnings));
  const hulls = (row.hullNumbers ?? []).map((hin, i) => {
    const check = checkHin(hin);
    entries.push(...identifierEntries(check, rowNumber, name(hullPointer(i)), warnings));
    return check.value;
  });
  const engines = (row.engines ?? []).map((engine, i) => {
    const check = checkSerial(engine.serial, engine.make);
    entries.push(...identifierEntries(check, rowNumber, name(engineSerialPointer(i)), warnings));
    return { value: check.value, make: cell(engine.make), powerKw: engine.powerKw };
  });
  if (!registration && hulls.length === 0) {
    entries.push({
      row: rowNumber,
      field: name('/registrationNo'),
      code: 'FIELD_MISSING',
      message: 'a vessel needs a registration number or at least one hull number',
    });
  }
  if (entries.length) return { quarantine: entries };

  const ref = registration ? registration.value : hulls[0]!;
  const linkId = registration ? `${ADAPTER_ID}:${ref}` : `${ADAPTER_ID}:HIN:${ref}`;
  const ownerFields = pruned({
    name: cell(row.owner?.name),
    postcode: cell(row.owner?.postcode),
    since: cell(row.owner?.since),
  });
  const owner = Object.keys(ownerFields).length ? ownerFields : undefined;
  const boat = (type: 'hin' | 'boat-registration', value: string): CanonicalRecord =>
    pruned({
      sourceRef: ref,
      linkId,
      objectType: 'boat',
      status,
      identifier: { type, value },
      name: cell(row.vesselName),
      make: cell(row.make),
      model: cell(row.model),
      colour: cell(row.colour),
      year: row.buildYear,
      owner: owner && { ...owner },
    });

  const records: CanonicalRecord[] = [];
  const fields: string[] = [];
  hulls.forEach((value, i) => {
    records.push(boat('hin', value));
    fields.push(name(hullPointer(i)));
  });
  if (registration) {
    records.push(boat('boat-registration', registration.value));
    fields.push(name('/registrationNo'));
  }
  engines.forEach((engine, i) => {
    records.push(
      pruned({
        sourceRef: `${ref}/E${i + 1}`,
        linkId,
        objectType: 'boat-engine',
        status,
        identifier: { type: 'engine-serial', value: engine.value },
        make: engine.make,
        powerKw: engine.powerKw,
        owner: owner && { ...owner },
      }),
    );
    fields.push(name(engineSerialPointer(i)));
  });
  return warnings.length ? { records, warnings, fields } : { records, fields };
}

/** Regroups records by linkId into JSON-form rows (status in English); first appearance order. */
export function unmapBoatreg(records: CanonicalRecord[]): BoatregRow[] {
  return groupByLink(records).map((group) => {
    const boats = group.filter((r) => r.objectType === 'boat');
    const first = boats[0] ?? group[0]!;
    const registration = boats.find((r) => r.identifier.type === 'boat-registration');
    const hulls = boats.filter((r) => r.identifier.type === 'hin').map((r) => r.identifier.value);
    // Without a registration the linkId names the first hull number: keep that one first.
    const named = registration ? -1 : hulls.indexOf(first.linkId?.replace(`${ADAPTER_ID}:HIN:`, '') ?? '');
    if (named > 0) hulls.unshift(...hulls.splice(named, 1));
    const engines = group
      .filter((r) => r.objectType === 'boat-engine')
      .map((r, i) => ({ record: r, n: engineNumber(r.sourceRef) ?? 1000 + i }))
      .sort((a, b) => a.n - b.n)
      .map(({ record }) => {
        const { manufacturer, serial } = serialPart(record.identifier.value);
        return compactObject({ make: record.make ?? manufacturer, serial, powerKw: record.powerKw });
      });
    return compactObject({
      registrationNo: registration?.identifier.value,
      vesselName: first.name,
      hullNumbers: hulls.length ? hulls : undefined,
      make: boats[0]?.make,
      model: boats[0]?.model,
      colour: boats[0]?.colour,
      buildYear: boats[0]?.year,
      status: first.status,
      owner: first.owner ? { ...first.owner } : undefined,
      engines: engines.length ? engines : undefined,
    });
  });
}

function engineNumber(sourceRef: string): number | undefined {
  const m = /\/E(\d+)$/.exec(sourceRef);
  return m ? Number(m[1]) : undefined;
}

/** The CSV header for rows with up to `engines` engines. */
export function csvColumns(engines: number): string[] {
  const columns = [
    'registration_no',
    'vessel_name',
    'hull_numbers',
    'make',
    'model',
    'colour',
    'build_year',
    'status',
    'owner_name',
    'owner_postcode',
    'owner_since',
  ];
  for (let n = 1; n <= engines; n++)
    columns.push(`engine${n}_make`, `engine${n}_serial`, `engine${n}_power_kw`);
  return columns;
}

/** A JSON-form row as a CSV row (cells as strings, '' when absent). */
export function toCsvRow(row: BoatregRow, engines = row.engines?.length ?? 0): BoatregCsvRow {
  const out: BoatregCsvRow = {};
  const text = (v: string | number | undefined) => (v === undefined ? '' : String(v));
  out.registration_no = text(row.registrationNo);
  out.vessel_name = text(row.vesselName);
  out.hull_numbers = (row.hullNumbers ?? []).join(';');
  out.make = text(row.make);
  out.model = text(row.model);
  out.colour = text(row.colour);
  out.build_year = text(row.buildYear);
  out.status = row.status;
  out.owner_name = text(row.owner?.name);
  out.owner_postcode = text(row.owner?.postcode);
  out.owner_since = text(row.owner?.since);
  for (let n = 1; n <= engines; n++) {
    const engine = row.engines?.[n - 1];
    out[`engine${n}_make`] = text(engine?.make);
    out[`engine${n}_serial`] = text(engine?.serial);
    out[`engine${n}_power_kw`] = text(engine?.powerKw);
  }
  return out;
}

/** JSON-form rows as the registry's CSV: engine columns for the most engines any row has. */
export function boatregCsv(rows: BoatregRow[]): { columns: string[]; rows: BoatregCsvRow[] } {
  const engines = rows.reduce((most, row) => Math.max(most, row.engines?.length ?? 0), 0);
  return { columns: csvColumns(engines), rows: rows.map((row) => toCsvRow(row, engines)) };
}

export const boatregNl: Adapter = {
  id: ADAPTER_ID,
  partnerId: 'boatreg-nl',
  description:
    'Dutch vessel registry export: vessels with hull numbers, registration and engines (CSV or JSON).',
  formats: ['csv', 'json', 'ndjson'],
  objectTypes: ['boat', 'boat-engine'],
  map: mapBoatreg,
  unmap: (records) => unmapBoatreg(records) as unknown as Record<string, unknown>[],
  toCsv: (rows) => boatregCsv(rows as unknown as BoatregRow[]),
};

export default boatregNl;
