/**
 * A subject access search computes the keyed hashes the log was written with: an identifier's as the
 * request and lookup entries hash it, a person's by name and by name and date of birth as the
 * disclosure entries and a table's subject entries do.
 */
import crypto from 'node:crypto';
import { identifierHashes, subjectHashes } from '../../src/audit/entry-fields';
import { ProblemError } from '../../src/http/problem';
import type { CanonicalRecord } from '../../src/records/canonical';
import { hashesOf } from '../../src/subject-access/query';

const key = crypto.randomBytes(32);
const owned = (owner: CanonicalRecord['owner']) => ({ owner }) as CanonicalRecord;

function problemOf(run: () => unknown): { status: number; pointers: string[] } {
  try {
    run();
  } catch (e) {
    if (!(e instanceof ProblemError)) throw e;
    const errors = (e.extensions.errors ?? []) as { pointer: string }[];
    return { status: e.status, pointers: errors.map((x) => x.pointer) };
  }
  throw new Error('no problem');
}

describe('subject access hashes', () => {
  it('hashes an identifier as the log does, whatever form it is typed in', () => {
    const logged = identifierHashes(key, [{ type: 'hin', value: 'NL-HXAB7A33G293' }])[0];
    for (const value of ['NL-HXAB7A33G293', 'nl-hxab7a33g293', 'NLHXAB7A33G293']) {
      const h = hashesOf(key, { identifier: { type: 'hin', value } });
      expect(h).toMatchObject({
        kind: 'identifier',
        hash: logged,
        search: [{ hash: logged, matchedBy: 'identifier' }],
      });
    }
  });

  it('finds a person by name and date of birth, and by name alone in entries that have only that', () => {
    const logged = subjectHashes(key, [owned({ name: '  Jan Pietersen ', dateOfBirth: '1970-04-02' })]);
    expect(logged).toHaveLength(2);
    const h = hashesOf(key, { name: 'jan pietersen', dateOfBirth: '1970-04-02' });
    expect(h.search.map((s) => s.matchedBy)).toEqual(['name-and-birth', 'name-only']);
    expect(new Set(h.search.map((s) => s.hash))).toEqual(new Set(logged));
    // An entry written before dates of birth were hashed (or of a record without one) has the name's only.
    const older = subjectHashes(key, [owned({ name: 'Jan Pietersen' })]);
    expect(older).toEqual([h.search[1].hash]);
    // A namesake born on another day shares the name's hash only.
    const namesake = subjectHashes(key, [owned({ name: 'Jan Pietersen', dateOfBirth: '1971-04-02' })]);
    expect(namesake).toContain(h.search[1].hash);
    expect(namesake).not.toContain(h.hash);
  });

  it('hashes a record’s date of birth only when it is a day', () => {
    for (const dateOfBirth of ['1970-02-30', '02/04/1970', '']) {
      expect(subjectHashes(key, [owned({ name: 'Jan', dateOfBirth })])).toHaveLength(1);
    }
    // A timestamp's day is the day.
    expect(subjectHashes(key, [owned({ name: 'Jan', dateOfBirth: '1970-04-02T00:00:00Z' })])).toContain(
      hashesOf(key, { name: 'Jan', dateOfBirth: '1970-04-02' }).hash,
    );
  });

  it('refuses a value that is not one with a 400 naming the field', () => {
    expect(problemOf(() => hashesOf(key, { identifier: { type: 'vin', value: 'SHORT' } }))).toEqual({
      status: 400,
      pointers: expect.arrayContaining(['/identifier/value']),
    });
    expect(problemOf(() => hashesOf(key, { identifier: { type: 'shoe', value: '42' } })).pointers).toEqual([
      '/identifier/type',
    ]);
    expect(problemOf(() => hashesOf(key, { name: 'Jan', dateOfBirth: '1970-13-01' })).pointers).toEqual([
      '/dateOfBirth',
    ]);
    expect(problemOf(() => hashesOf(key, { name: '   ', dateOfBirth: '1970-01-01' })).pointers).toEqual([
      '/name',
    ]);
  });
});
