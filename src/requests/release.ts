/**
 * What actually leaves: the answer's records cut down to the obligations (minimise, pseudonymise),
 * and the output check on the real answer (records asked for, of the dataset's types, not too many).
 */
import crypto from 'node:crypto';
import { canonicalJson } from '../audit/chain';
import { agreementPseudonymKey } from '../config/secrets';
import { identifierKey } from '../identifiers';
import type { DatasetTerms, Generalisation } from '../policy/types';
import type { CanonicalRecord } from '../records/canonical';
import { answerReason } from '../safes/reasons';
import type { Obligations, Reason, RequestInput } from '../safes/types';
import type { ReleasedRecord } from './types';

export interface OutputCheck {
  outcome: 'pass' | 'fail';
  reasons: Reason[];
}

export function pseudonym(rootKey: Buffer, agreementId: string, value: string): string {
  const key = agreementPseudonymKey(rootKey, agreementId);
  return `psn_${crypto.createHmac('sha256', key).update(value).digest('base64url').slice(0, 22)}`;
}

function getPath(record: object, fieldPath: string): unknown {
  return fieldPath
    .split('.')
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      record,
    );
}

function setPath(target: Record<string, unknown>, fieldPath: string, value: unknown): void {
  const keys = fieldPath.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
}

/**
 * Coarser values that still serve the purpose: a date to its year; a postcode to its district (the
 * outward part before the space, e.g. "1011 AB" → "1011", "SW1A 1AA" → "SW1A"; without a space the
 * first three characters). A value that does not fit is withheld (null), never released as is.
 */
export function generalise(to: Generalisation, value: string): string | null {
  const text = value.trim();
  if (to === 'year') return /^\d{4}-\d{2}-\d{2}$/.test(text) ? text.slice(0, 4) : null;
  if (!/^[A-Za-z0-9 ]{3,10}$/.test(text)) return null;
  return text.includes(' ') ? text.split(' ')[0].toUpperCase() : text.slice(0, 3).toUpperCase();
}

/**
 * Only the obligated fields, in canonical shape; generalised fields coarsened, then pseudonymised
 * fields replaced by their pseudonym.
 */
export function releaseView(
  records: CanonicalRecord[],
  obligations: Obligations,
  agreementId: string,
  pseudonymRootKey: Buffer,
): ReleasedRecord[] {
  return records.map((record) => {
    const out: ReleasedRecord = {};
    for (const field of obligations.fields) {
      let value = getPath(record, field);
      if (value === undefined) continue;
      const coarser = obligations.generalise?.[field];
      if (coarser) value = generalise(coarser, String(value));
      if (value === null) continue;
      const released = obligations.pseudonymise.includes(field)
        ? pseudonym(pseudonymRootKey, agreementId, String(value))
        : value;
      setPath(out, field, released);
    }
    return out;
  });
}

/**
 * The second output check, on the records the responder actually gave: each must answer the request
 * (a requested identifier or record reference, or linked to one), be of the dataset's object types,
 * and there may be no more than the agreement allows.
 */
export function checkAnswer(
  records: CanonicalRecord[],
  input: RequestInput,
  dataset: DatasetTerms | undefined,
  obligations: Obligations,
): OutputCheck {
  const reasons: Reason[] = [];
  if (records.length > obligations.maxRecords) {
    reasons.push(
      answerReason(
        'OUTPUT_ANSWER_TOO_MANY_RECORDS',
        `${records.length} given, at most ${obligations.maxRecords}`,
      ),
    );
  }
  const asked = new Set(input.identifiers.map((i) => identifierKey(i.type, i.value)));
  const refs = new Set(input.recordRefs);
  const direct = (r: CanonicalRecord) =>
    asked.has(identifierKey(r.identifier.type, r.identifier.value)) || refs.has(r.sourceRef);
  // Other identifiers of an asked-for object (same linkId) answer the request too.
  const linked = new Set(
    records
      .filter(direct)
      .map((r) => r.linkId)
      .filter((id): id is string => Boolean(id)),
  );
  records.forEach((record, index) => {
    if (!direct(record) && !(record.linkId && linked.has(record.linkId))) {
      reasons.push(answerReason('OUTPUT_RECORD_NOT_REQUESTED', `record ${index + 1}`));
    }
    if (dataset && !dataset.objectTypes.includes(record.objectType)) {
      reasons.push(
        answerReason('OUTPUT_OBJECT_TYPE_NOT_ALLOWED', `record ${index + 1}: ${record.objectType}`),
      );
    }
  });
  return { outcome: reasons.length ? 'fail' : 'pass', reasons };
}

/** sha256 of a record's canonical JSON: what the log and the receipts keep after the payload is purged. */
export function recordDigest(record: object): string {
  return crypto.createHash('sha256').update(canonicalJson(record)).digest('hex');
}
