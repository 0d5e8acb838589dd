/**
 * Issue 16: a bad quote in an uploaded CSV file must not swallow the rows after it. Every data line
 * of the file is accounted for, and a quarantine entry names the line an editor shows (`line`; `row`
 * keeps counting data rows).
 */
import { accordFile } from '../helpers/csv-files';
import { createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
let token: string;

beforeAll(async () => {
  gw = await createTestGateway();
  token = await gw.token('dirk');
});
afterAll(() => gw.close());

const upload = (body: string, mode = 'replace') =>
  gw.http
    .put(`/api/v1/datasets/sales-ledger/records?adapter=autodealers-nl&mode=${mode}`)
    .set('Authorization', `Bearer ${token}`)
    .set('Content-Type', 'text/csv')
    .send(body);

describe('a CSV upload with a malformed quote', () => {
  it('quarantines the one line with the bad quote, by its line number, and maps the other rows', async () => {
    const res = await upload(accordFile());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ read: 5, mapped: 4, quarantined: 1 });
    expect(res.body.quarantine).toEqual([
      {
        row: 1,
        line: 2,
        field: 'model',
        code: 'CSV_MALFORMED_QUOTE',
        message: expect.stringMatching(/^line 2: /),
      },
    ]);
    const dataset = await gw.http
      .get('/api/v1/datasets/sales-ledger')
      .set('Authorization', `Bearer ${token}`);
    // The other four rows' records: the five rows' 14 less the Accord's 3.
    expect(res.body.records).toBe(11);
    expect(dataset.body.records).toBe(11);
  });

  it('every line is accounted for whatever comes after a broken quote, and entries carry their line', async () => {
    const lines = accordFile().trimEnd().split('\n');
    // line 3 opens a quote that never closes; line 5 is blank (not a row); line 7 has too many fields
    lines[2] = lines[2]!.replace(',Golf,', ',"Golf,');
    lines.splice(4, 0, '');
    lines[6] = `${lines[6]!},extra`;
    const res = await upload(`${lines.join('\r\n')}\r\n`, 'upsert');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ read: 5, mapped: 2, quarantined: 3 });
    expect(res.body.quarantine.map((q: { line: number; code: string }) => `${q.line}:${q.code}`)).toEqual([
      '2:CSV_MALFORMED_QUOTE',
      '3:CSV_MALFORMED_QUOTE',
      '7:ROW_MALFORMED',
    ]);
    for (const entry of res.body.quarantine)
      expect(entry.message).toMatch(new RegExp(`^line ${entry.line}: `));
  });
});
