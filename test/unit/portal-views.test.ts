/** The portal's record tables: nested values under their own dotted headings, lists joined, escaped. */
import { flattenRecord, recordsTable } from '../../src/portal/views';

describe('record tables', () => {
  it('gives each nested value its own column', () => {
    expect(
      flattenRecord({
        identifier: { type: 'hin', value: 'NL-HXAB7A33G293' },
        owner: { name: 'Jan', address: { postcode: '1011 AB' } },
        year: 2019,
        tags: ['a', 'b'],
        engines: [{ serial: 'E1', power: { kw: 110 } }, { serial: 'E2' }],
        note: null,
      }),
    ).toEqual({
      'identifier.type': 'hin',
      'identifier.value': 'NL-HXAB7A33G293',
      'owner.name': 'Jan',
      'owner.address.postcode': '1011 AB',
      year: '2019',
      tags: 'a · b',
      engines: 'serial: E1, power.kw: 110 · serial: E2',
      note: '',
    });
  });

  it('puts the columns of every record in one header and escapes the values', () => {
    const table = recordsTable(
      [{ owner: { name: '<b>Jan</b>' } }, { identifier: { value: 'X' }, owner: { name: 'Piet' } }],
      'What will leave',
    ).text;
    const headers = [...table.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(headers).toEqual(['owner.name', 'identifier.value']);
    expect(table).toContain('&lt;b&gt;Jan&lt;/b&gt;');
    expect(table).not.toContain('<b>Jan');
    expect(table.replace(/\s+/g, '')).toContain('<tr><td>Piet</td><td>X</td></tr>');
  });
});
