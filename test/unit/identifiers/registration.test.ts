import { checkRegistration } from '../../../src/identifiers';

describe('checkRegistration', () => {
  test.each([
    ['AB-12-CD', 'AB12CD', 'Dutch-style plate with hyphens'],
    ['ab 12 cd', 'AB12CD', 'lower case and spaces'],
    ['  1  ', '1', 'one character'],
    ['A'.repeat(16), 'A'.repeat(16), '16 characters'],
    ['NL-1234-AB', 'NL1234AB', 'vessel mark'],
  ])('%j is valid as %j (%s)', (raw, value) => {
    expect(checkRegistration(raw)).toEqual({ valid: true, value, errors: [], warnings: [] });
  });

  test.each([
    ['', ['REGISTRATION_EMPTY'], 'empty'],
    [' - ', ['REGISTRATION_EMPTY'], 'only separators'],
    ['A'.repeat(17), ['REGISTRATION_LENGTH'], '17 characters'],
    ['MÜ AB 123', ['REGISTRATION_CHARACTER'], 'umlaut is not folded'],
    ['AB.12', ['REGISTRATION_CHARACTER'], 'dot'],
    ['AB/12/CD/EF/GH/IJ/K', ['REGISTRATION_LENGTH', 'REGISTRATION_CHARACTER'], 'both'],
  ])('%j is invalid: %j (%s)', (raw, codes) => {
    const check = checkRegistration(raw);
    expect(check.valid).toBe(false);
    expect(check.errors.map((e) => e.code)).toEqual(codes);
  });

  test('messages name the position, not the plate', () => {
    const [error] = checkRegistration('MÜ AB 123').errors;
    expect(error.message).toContain('position 2');
    expect(error.message).not.toContain('AB123');
  });
});
