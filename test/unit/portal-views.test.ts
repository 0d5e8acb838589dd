/** The portal's record tables: nested values under their own dotted headings, lists joined, escaped. */
import { flattenRecord, recordsTable } from '../../src/portal/views';
import { latestToday } from '../../src/portal/pages/dpo';
import { dataTable } from '../../src/portal/data-table';
import { html } from '../../src/portal/html';

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

describe('the portal’s table', () => {
  const boats = [
    { name: 'Bayliner', length: 7 },
    { name: '<i>Beneteau</i>', length: 11 },
  ];
  const columns = [
    { header: 'Boat', cell: (b: (typeof boats)[number]) => b.name, rowHeader: true },
    { header: 'Length', cell: (b: (typeof boats)[number]) => b.length, className: 'num' },
  ];

  it('heads its columns and rows with scoped headings under its caption, and escapes the cells', () => {
    const table = dataTable(boats, columns, {
      caption: 'Boats',
      className: 'log',
      rowId: (b) => `b-${b.length}`,
    })
      .text.replace(/\s+/g, ' ')
      .replace(/> </g, '><');
    expect(table).toContain('<table class="log"><caption>Boats</caption>');
    expect(table).toContain('<thead><tr><th scope="col">Boat</th><th scope="col">Length</th></tr></thead>');
    expect(table).toContain('<tr id="b-7"><th scope="row">Bayliner</th><td class="num">7</td></tr>');
    expect(table).toContain('<th scope="row">&lt;i&gt;Beneteau&lt;/i&gt;</th>');
  });

  it('says its empty text in place of a table with no rows, or shows the headings alone', () => {
    expect(dataTable([], columns, { empty: html`<p>No boats.</p>` }).text).toBe('<p>No boats.</p>');
    const bare = dataTable([], columns).text;
    expect(bare).toContain('<th scope="col">Boat</th>');
    expect(bare).not.toContain('<caption');
    expect(bare).not.toContain('<td');
  });
});

describe('the activity page’s default last day', () => {
  const lateUtc = new Date('2026-11-27T23:30:00.000Z');

  it('is the latest agreement’s today: Amsterdam’s day has begun at 23:30 UTC', () => {
    expect(latestToday(lateUtc, ['Europe/Amsterdam', 'UTC'])).toBe('2026-11-28');
  });

  it('is UTC’s today when no agreement is ahead of it', () => {
    expect(latestToday(lateUtc, ['UTC', 'America/New_York'])).toBe('2026-11-27');
    expect(latestToday(new Date('2026-11-27T12:00:00.000Z'), ['Europe/Amsterdam'])).toBe('2026-11-27');
    expect(latestToday(lateUtc, [])).toBe('2026-11-27');
  });
});
