/**
 * autodealers-nl: the dealers' CSV sales ledger ⇄ SIS-style vehicle and vehicle-part records.
 * One sale → a vehicle record for the VIN, one for the plate, a vehicle-part record for the engine,
 * all sharing linkId `autodealers-nl:<VIN>`; the buyer is the owner since the sale date.
 */
import { checkRegistration, checkSerial, checkVin } from '../../src/identifiers';
import {
  cell,
  compactObject,
  compileSourceSchema,
  identifierEntries,
  intCell,
  numberCell,
  serialPart,
  groupByLink,
} from '../../src/mapping/kit';
import type { Adapter, MappedRow, QuarantineEntry } from '../../src/mapping/types';
import type { CanonicalRecord } from '../../src/records/canonical';
import schema from './source.schema.json';

export const ADAPTER_ID = 'autodealers-nl';

export const CSV_COLUMNS = [
  'vin',
  'engine_number',
  'engine_make',
  'plate',
  'make',
  'model',
  'colour',
  'year',
  'buyer_name',
  'buyer_dob',
  'buyer_postcode',
  'sale_date',
  'sale_price',
] as const;
export type AutodealersColumn = (typeof CSV_COLUMNS)[number];
/** A ledger row as read from CSV (unmap returns this form, every column present, '' when absent). */
export type AutodealersRow = Record<AutodealersColumn, string>;

type Sale = {
  vin: string;
  engine_number?: string;
  engine_make?: string;
  plate?: string;
  make: string;
  model?: string;
  colour?: string;
  year?: number;
  buyer_name?: string;
  buyer_dob?: string;
  buyer_postcode?: string;
  sale_date?: string;
  sale_price?: number;
};

/** Columns read as numbers; a cell that is not one stays text and fails the schema. */
const NUMBER_CELLS: Partial<Record<AutodealersColumn, (value: unknown) => number | string | undefined>> = {
  year: intCell,
  sale_price: numberCell,
};

const checkSource = compileSourceSchema(schema);

export function mapAutodealers(
  raw: Record<string, unknown>,
  rowNumber: number,
): MappedRow | { quarantine: QuarantineEntry[] } {
  const source: Record<string, unknown> = {};
  for (const column of CSV_COLUMNS) source[column] = (NUMBER_CELLS[column] ?? cell)(raw[column]);
  compactObject(source);
  const problems = checkSource(source, rowNumber);
  if (problems.length) return { quarantine: problems };
  const sale = source as Sale;

  const entries: QuarantineEntry[] = [];
  const warnings: QuarantineEntry[] = [];
  const vin = checkVin(sale.vin);
  entries.push(...identifierEntries(vin, rowNumber, 'vin', warnings));
  const plate = sale.plate === undefined ? undefined : checkRegistration(sale.plate);
  if (plate) entries.push(...identifierEntries(plate, rowNumber, 'plate', warnings));
  const engineMake = sale.engine_make ?? sale.make;
  const engine = sale.engine_number === undefined ? undefined : checkSerial(sale.engine_number, engineMake);
  if (engine) entries.push(...identifierEntries(engine, rowNumber, 'engine_number', warnings));
  if (entries.length) return { quarantine: entries };

  const linkId = `${ADAPTER_ID}:${vin.value}`;
  const ownerFields = compactObject({
    name: sale.buyer_name,
    dateOfBirth: sale.buyer_dob,
    postcode: sale.buyer_postcode,
    since: sale.sale_date,
  });
  const owner = () => (Object.keys(ownerFields).length ? { ...ownerFields } : undefined);
  const vehicle = (type: 'vin' | 'vehicle-registration', value: string): CanonicalRecord =>
    compactObject({
      sourceRef: vin.value,
      linkId,
      objectType: 'vehicle',
      status: 'registered',
      identifier: { type, value },
      make: sale.make,
      model: sale.model,
      colour: sale.colour,
      year: sale.year,
      // The vehicle is sold, with its engine: a table sums each sale once, on the vehicle.
      salePrice: sale.sale_price,
      owner: owner(),
    });

  const records: CanonicalRecord[] = [vehicle('vin', vin.value)];
  const fields = ['vin'];
  if (plate) {
    records.push(vehicle('vehicle-registration', plate.value));
    fields.push('plate');
  }
  if (engine) {
    records.push(
      compactObject({
        sourceRef: `${vin.value}/engine`,
        linkId,
        objectType: 'vehicle-part',
        status: 'registered',
        identifier: { type: 'engine-serial', value: engine.value },
        partKind: 'engine',
        make: engineMake,
        owner: owner(),
      }),
    );
    fields.push('engine_number');
  }
  return warnings.length ? { records, warnings, fields } : { records, fields };
}

/** Regroups records by linkId into ledger rows, in order of first appearance. */
export function unmapAutodealers(records: CanonicalRecord[]): AutodealersRow[] {
  return groupByLink(records).map((group) => {
    const vehicles = group.filter((r) => r.objectType === 'vehicle');
    const byVin = vehicles.find((r) => r.identifier.type === 'vin');
    const plate = vehicles.find((r) => r.identifier.type === 'vehicle-registration');
    const part = group.find((r) => r.objectType === 'vehicle-part' && r.identifier.type === 'engine-serial');
    const first = byVin ?? vehicles[0] ?? group[0]!;
    const engine = part ? serialPart(part.identifier.value) : undefined;
    const owner = first.owner ?? part?.owner;
    const text = (v: string | number | undefined) => (v === undefined ? '' : String(v));
    const vehicleMake = vehicles[0]?.make;
    const engineMake = part ? (part.make ?? engine!.manufacturer) : undefined;
    return {
      vin: text(byVin?.identifier.value ?? first.linkId?.replace(`${ADAPTER_ID}:`, '')),
      engine_number: text(engine?.serial),
      // Written only when it is not the vehicle's make, as the ledger does.
      engine_make: engineMake !== undefined && engineMake !== vehicleMake ? engineMake : '',
      plate: text(plate?.identifier.value),
      make: text(vehicleMake ?? engineMake),
      model: text(vehicles[0]?.model),
      colour: text(vehicles[0]?.colour),
      year: text(vehicles[0]?.year),
      buyer_name: text(owner?.name),
      buyer_dob: text(owner?.dateOfBirth),
      buyer_postcode: text(owner?.postcode),
      sale_date: text(owner?.since),
      sale_price: text(vehicles[0]?.salePrice),
    };
  });
}

export const autodealersNl: Adapter = {
  id: ADAPTER_ID,
  partnerId: 'autodealers-nl',
  description: 'Dutch car dealers’ sales ledger (CSV): VIN, plate, engine number, buyer.',
  formats: ['csv'],
  objectTypes: ['vehicle', 'vehicle-part'],
  map: mapAutodealers,
  unmap: (records) => unmapAutodealers(records),
  toCsv: (rows) => ({ columns: [...CSV_COLUMNS], rows: rows as AutodealersRow[] }),
};

export default autodealersNl;
