/**
 * insureco: theft claims (JSON) ⇄ SIS-style records with status 'stolen'. One record per identifier of
 * the insured object, all sharing linkId `insureco:<claimId>`. Insurers share no owner data here.
 */
import { checkHin, checkRegistration, checkSerial, checkVin } from '../../src/identifiers';
import type { IdentifierCheck } from '../../src/identifiers';
import {
  cell,
  compactObject,
  compileSourceSchema,
  identifierEntries,
  serialPart,
  groupByLink,
} from '../../src/mapping/kit';
import type { Adapter, MappedRow, QuarantineEntry } from '../../src/mapping/types';
import type { CanonicalRecord, ObjectType } from '../../src/records/canonical';
import schema from './source.schema.json';

export const ADAPTER_ID = 'insureco';

export type Scheme = 'VIN' | 'HIN' | 'PLATE' | 'ENGINE';
export type Kind = 'vehicle' | 'boat';
export type ClaimIdentifier = { scheme: Scheme; value: string; make?: string };
export type Claim = {
  claimId: string;
  insuredObject: {
    kind: Kind;
    identifiers: ClaimIdentifier[];
    make?: string;
    model?: string;
    year?: number;
    insuredValue?: number;
  };
  theft: { date: string; place?: string };
  reportedAt?: string;
};

/** Which record an identifier scheme becomes, per kind of insured object; absent = not allowed. */
export const SCHEMES: Readonly<
  Record<Kind, Partial<Record<Scheme, { objectType: ObjectType; type: string }>>>
> = {
  vehicle: {
    VIN: { objectType: 'vehicle', type: 'vin' },
    PLATE: { objectType: 'vehicle', type: 'vehicle-registration' },
    ENGINE: { objectType: 'vehicle-part', type: 'engine-serial' },
  },
  boat: {
    HIN: { objectType: 'boat', type: 'hin' },
    PLATE: { objectType: 'boat', type: 'boat-registration' },
    ENGINE: { objectType: 'boat-engine', type: 'engine-serial' },
  },
};

const checkSource = compileSourceSchema(schema);

export function mapInsureco(
  raw: Record<string, unknown>,
  rowNumber: number,
): MappedRow | { quarantine: QuarantineEntry[] } {
  const problems = checkSource(raw, rowNumber);
  if (problems.length) return { quarantine: problems };
  const claim = raw as Claim;
  const object = claim.insuredObject;
  const claimId = claim.claimId.trim();

  const entries: QuarantineEntry[] = [];
  const warnings: QuarantineEntry[] = [];
  if (claimId === '') {
    entries.push({ row: rowNumber, field: 'claimId', code: 'FIELD_MISSING', message: 'is required' });
  }
  const checked = object.identifiers.map((id, i) => {
    const field = `insuredObject.identifiers[${i}]`;
    const target = SCHEMES[object.kind][id.scheme];
    if (!target) {
      entries.push({
        row: rowNumber,
        field: `${field}.scheme`,
        code: 'FIELD_VALUE',
        message: `${id.scheme} does not identify a ${object.kind}`,
      });
      return undefined;
    }
    const make = id.scheme === 'ENGINE' ? (cell(id.make) ?? cell(object.make)) : cell(object.make);
    const check = identifierCheck(id, make);
    entries.push(...identifierEntries(check, rowNumber, `${field}.value`, warnings));
    return { target, value: check.value, make, field: `${field}.value` };
  });
  if (entries.length) return { quarantine: entries };

  const linkId = `${ADAPTER_ID}:${claimId}`;
  const theft = compactObject({ date: claim.theft.date, place: cell(claim.theft.place) });
  const records: CanonicalRecord[] = [];
  const fields: string[] = [];
  checked.forEach((c, i) => {
    const { target, value, make, field } = c!;
    const engine = target.type === 'engine-serial';
    records.push(
      compactObject({
        sourceRef: `${claimId}/${i + 1}`,
        linkId,
        objectType: target.objectType,
        status: 'stolen',
        identifier: { type: target.type, value },
        partKind: target.objectType === 'vehicle-part' ? 'engine' : undefined,
        make,
        model: engine ? undefined : cell(object.model),
        year: engine ? undefined : object.year,
        // The object is insured, not its engine: a table sums each claim's value once.
        insuredValue: engine ? undefined : object.insuredValue,
        theft: { ...theft },
      }),
    );
    fields.push(field);
  });
  return warnings.length ? { records, warnings, fields } : { records, fields };
}

function identifierCheck(id: ClaimIdentifier, make: string | undefined): IdentifierCheck {
  switch (id.scheme) {
    case 'VIN':
      return checkVin(id.value);
    case 'HIN':
      return checkHin(id.value);
    case 'PLATE':
      return checkRegistration(id.value);
    case 'ENGINE':
      return checkSerial(id.value, make);
  }
}

/** Regroups records by linkId into claims, identifiers in their original order (sourceRef /n). */
export function unmapInsureco(records: CanonicalRecord[]): Claim[] {
  return groupByLink(records).map((group) => {
    const first = group[0]!;
    const claimId = first.linkId?.startsWith(`${ADAPTER_ID}:`)
      ? first.linkId.slice(ADAPTER_ID.length + 1)
      : first.sourceRef.replace(/\/\d+$/, '');
    const kind: Kind = group.some((r) => r.objectType === 'boat' || r.objectType === 'boat-engine')
      ? 'boat'
      : 'vehicle';
    const objectRecord = group.find((r) => r.identifier.type !== 'engine-serial');
    const ordered = group
      .map((r, i) => ({ r, n: identifierNumber(r.sourceRef) ?? 1000 + i }))
      .sort((a, b) => a.n - b.n)
      .map(({ r }) => r);
    const identifiers = ordered.map((r): ClaimIdentifier => {
      switch (r.identifier.type) {
        case 'vin':
          return { scheme: 'VIN', value: r.identifier.value };
        case 'hin':
          return { scheme: 'HIN', value: r.identifier.value };
        case 'vehicle-registration':
        case 'boat-registration':
          return { scheme: 'PLATE', value: r.identifier.value };
        default: {
          const { manufacturer, serial } = serialPart(r.identifier.value);
          return { scheme: 'ENGINE', value: serial, make: r.make ?? manufacturer };
        }
      }
    });
    const theft = first.theft ?? {};
    return {
      claimId,
      insuredObject: compactObject({
        kind,
        identifiers,
        make: objectRecord?.make,
        model: objectRecord?.model,
        year: objectRecord?.year,
        insuredValue: objectRecord?.insuredValue,
      }),
      theft: compactObject({ date: theft.date ?? '', place: theft.place }),
    };
  });
}

function identifierNumber(sourceRef: string): number | undefined {
  const m = /\/(\d+)$/.exec(sourceRef);
  return m ? Number(m[1]) : undefined;
}

export const insureco: Adapter = {
  id: ADAPTER_ID,
  partnerId: 'insureco',
  description: 'Insurer theft claims (JSON array or NDJSON): every identifier of the stolen vehicle or boat.',
  formats: ['json', 'ndjson'],
  objectTypes: ['boat', 'boat-engine', 'vehicle', 'vehicle-part'],
  map: mapInsureco,
  unmap: (records) => unmapInsureco(records) as unknown as Record<string, unknown>[],
};

export default insureco;
