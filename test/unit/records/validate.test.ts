import { recordProblems } from '../../../src/records/validate';

const boat = {
  sourceRef: 'NL0000000A',
  objectType: 'boat',
  status: 'missing',
  identifier: { type: 'hin', value: 'FR-BAVAAAAAC303' },
};

describe('recordProblems', () => {
  it('accepts a valid record and names the problems of an invalid one', () => {
    expect(recordProblems(boat)).toEqual([]);
    expect(recordProblems({ ...boat, year: 1800 })).toEqual([
      { pointer: '/year', message: 'must be >= 1850' },
    ]);
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'an objectType of Object.prototype (%s) is checked against the common schema, not waved through',
    (objectType) => {
      expect(recordProblems({ ...boat, objectType })).toContainEqual(
        expect.objectContaining({ pointer: '/objectType' }),
      );
    },
  );
});
