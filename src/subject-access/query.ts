/**
 * What a subject access request searches the log for: the keyed hashes the log was written with
 * (src/audit/entry-fields.ts), computed from an identifier or from a name and date of birth. The raw
 * values go no further than this module: the search, the report and its log entry carry hashes only.
 */
import { identifierHashes, personHashes, subjectBirthDay } from '../audit/entry-fields';
import { problems } from '../http/problem';
import { checkIdentifier, isIdentifierType } from '../identifiers';

/** What the DPO asks about: one identifier, or one person by name and date of birth. */
export type SubjectQuery =
  { identifier: { type: string; value: string } } | { name: string; dateOfBirth: string };

/** How an entry was found: the identifier; the name and date of birth; the name alone (namesakes). */
export type MatchedBy = 'identifier' | 'name-and-birth' | 'name-only' | 'owner-in-dataset';

export interface SubjectHashes {
  kind: 'identifier' | 'person';
  /** The hash the report is about, logged with it. */
  hash: string;
  /** Every hash to search for, the most precise first, each with what a match by it means. */
  search: { hash: string; matchedBy: MatchedBy }[];
  /** The identifier's index key, to find the subject's records in the providers' shared datasets. */
  identifierKey?: { type: string; value: string };
}

/** The keyed hashes of a validated query; a 400 problem naming the field for a value that is not one. */
export function hashesOf(key: Buffer, query: SubjectQuery): SubjectHashes {
  if ('identifier' in query) {
    const { type, value } = query.identifier;
    if (!isIdentifierType(type)) {
      throw problems.badRequest('The identifier type is not one the gateway knows.', {
        errors: [{ pointer: '/identifier/type', detail: 'is not a known identifier type' }],
      });
    }
    const check = checkIdentifier(type, value);
    if (!check.valid) {
      throw problems.badRequest('The identifier is not valid.', {
        errors: check.errors.map((e) => ({ pointer: '/identifier/value', detail: e.code })),
      });
    }
    // The same function the log was written with, so the hashes meet.
    const [hash] = identifierHashes(key, [{ type, value }]);
    return {
      kind: 'identifier',
      hash,
      search: [{ hash, matchedBy: 'identifier' }],
      identifierKey: { type, value },
    };
  }
  const day = subjectBirthDay(query.dateOfBirth);
  if (!day || day !== query.dateOfBirth.trim()) {
    throw problems.badRequest('The date of birth is not a day.', {
      errors: [{ pointer: '/dateOfBirth', detail: 'is not a day (YYYY-MM-DD)' }],
    });
  }
  const hashes = personHashes(key, { name: query.name, dateOfBirth: day });
  if (!hashes.name || !hashes.nameAndBirth) {
    throw problems.badRequest('The name is empty.', { errors: [{ pointer: '/name', detail: 'is empty' }] });
  }
  return {
    kind: 'person',
    hash: hashes.nameAndBirth,
    search: [
      { hash: hashes.nameAndBirth, matchedBy: 'name-and-birth' },
      { hash: hashes.name, matchedBy: 'name-only' },
    ],
  };
}
