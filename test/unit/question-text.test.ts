/** A question's text is context, not data: what it refuses and what it lets through. */
import { questionTextProblems } from '../../src/questions/text';

describe('a question’s text', () => {
  it.each([
    ['Taken from a marina near Lelystad last week. Seen or insured anywhere?'],
    ['Engine missing since 12 March 2026, about 150 kW'],
    ['Case opened 2026-03-12; two boats, one trailer'],
    ['Hull painted blue, name “Zeemeeuw 2”'],
  ])('lets context through: %s', (text) => {
    expect(questionTextProblems(text)).toEqual([]);
  });

  it.each([
    ['Owner is jan.pietersen@example.nl', 'e-mail'],
    ['Call +31 6 1234 5678 after six', 'seven digits'],
    ['Call 020-1234567', 'seven digits'],
    ['BSN 123456782 of the owner', 'seven digits'],
    ['Same as hull NL-HXAB7A33G293', 'VIN or HIN'],
    ['Also the car 1M8GDM9AXKP042788', 'VIN or HIN'],
  ])('refuses %s', (text, what) => {
    expect(questionTextProblems(text).join('; ')).toContain(what);
  });
});
