/**
 * The DPO's portal pages without a browser: per-agreement activity charts with the figures behind them,
 * and exports narrowed by day and partner.
 */
import { boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';
import { portalSession } from '../helpers/portal-session';
import { niceMax, stackedBarChart } from '../../src/portal/charts';

let gw: TestGateway;
let today: string;
/** The activity page counts days in the agreement's zone (stolen-boats: Amsterdam), ahead of UTC at night. */
let amsterdamToday: string;

beforeAll(async () => {
  gw = await createTestGateway();
  today = new Date().toISOString().slice(0, 10);
  amsterdamToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(new Date());
  const as = async (user: string) => ({ Authorization: `Bearer ${await gw.token(user)}` });
  // Two permits by anna, one denial by tom (his training has lapsed: safe people fails).
  for (const caseRef of ['NL-2026-000501', 'NL-2026-000502']) {
    const res = await gw.http
      .post('/api/v1/requests')
      .set(await as('anna'))
      .send(boatRequest({ caseRef }));
    expect(res.status).toBe(201);
  }
  const denied = await gw.http
    .post('/api/v1/requests')
    .set(await as('tom'))
    .send(boatRequest());
  expect(denied.status).toBe(403);
});
afterAll(() => gw.close());

describe('activity by agreement', () => {
  it('charts permits and denials per day and the safe that failed, with the same figures in a table', async () => {
    const { cookie } = await portalSession(gw.http, 'dana');
    const res = await gw.http.get('/portal/log/activity').set('Cookie', cookie);
    expect(res.status).toBe(200);
    const text = res.text.replace(/\s+/g, ' ').replace(/> </g, '><');
    expect(text).toContain('<h2 id="a-stolen-boats">stolen-boats</h2>');
    expect(text).toMatch(
      /<strong>3<\/strong> requests and <strong>0<\/strong> hit\/no-hit lookups decided: <strong>2<\/strong> permitted, <strong>1<\/strong> denied/,
    );
    // The day's bar: its title names the figures, and it has a permit and a deny segment.
    expect(text).toContain(`<title>${amsterdamToday}: 2 permitted, 1 denied</title>`);
    expect(text).toMatch(/class="bar-permit"/);
    expect(text).toMatch(/class="bar-deny"/);
    expect(text).toContain(`<title>${amsterdamToday}: 1 people failed</title>`);
    expect(text).toMatch(
      `<th scope="row">${amsterdamToday}</th><td>3</td><td>0</td><td>2</td><td>1</td><td>1</td>`,
    );
    expect(text).toMatch(/<code>[A-Z_]+<\/code> × 1/);
    // 30 days by default: 30 bars.
    expect(res.text.match(/class="bar-hit"/g)).toHaveLength(60);
  });

  it('narrows to one agreement and a range, and refuses a range that makes no sense', async () => {
    const { cookie } = await portalSession(gw.http, 'sam');
    const one = await gw.http
      .get('/portal/log/activity')
      .query({ from: today, to: today, agreement: 'stolen-vehicles' })
      .set('Cookie', cookie);
    expect(one.status).toBe(200);
    expect(one.text).toContain(`No decisions from ${today} to ${today} under stolen-vehicles.`);
    expect(one.text).not.toContain('id="a-stolen-boats"');
    for (const query of [
      { from: '2026-02-30' },
      { from: today, to: '2000-01-01' },
      { from: '2020-01-01', to: '2024-01-01' },
    ]) {
      const bad = await gw.http.get('/portal/log/activity').query(query).set('Cookie', cookie);
      expect(bad.status).toBe(400);
    }
  });

  it('is for DPOs only', async () => {
    const { cookie } = await portalSession(gw.http, 'anna');
    const res = await gw.http.get('/portal/log/activity').set('Cookie', cookie);
    expect(res.status).toBe(403);
    expect(res.text).not.toContain('stolen-boats');
  });
});

describe('export with filters', () => {
  const exportAs = async (user: string, fields: Record<string, string>) => {
    const { cookie, csrf } = await portalSession(gw.http, user);
    return gw.http
      .post('/portal/log/export')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, ...fields })
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => done(null, text));
      });
  };
  const entriesOf = (body: string) =>
    body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq?: number; ts?: string; partners?: string[]; type?: string });

  it('exports only the days and partner asked for', async () => {
    const all = entriesOf((await exportAs('sam', { format: 'jsonl' })).body);
    const some = entriesOf(
      (await exportAs('sam', { format: 'jsonl', partner: 'police-nl', from: today, to: today })).body,
    );
    const entries = (list: ReturnType<typeof entriesOf>) => list.filter((e) => e.seq !== undefined);
    expect(entries(some).length).toBeGreaterThan(0);
    expect(entries(some).length).toBeLessThan(entries(all).length);
    for (const e of entries(some)) {
      expect(e.partners).toContain('police-nl');
      expect(e.ts!.slice(0, 10)).toBe(today);
    }
    const none = entriesOf(
      (await exportAs('sam', { format: 'jsonl', from: '2001-01-01', to: '2001-01-02' })).body,
    );
    expect(entries(none)).toHaveLength(0);
  });

  it('exports CSV from the same form, and refuses a bad day or partner', async () => {
    const csv = await exportAs('sam', { format: 'csv', to: today });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const bads: Record<string, string>[] = [
      { from: '2026-13-01' },
      { partner: 'a b' },
      { from: today, to: '2000-01-01' },
    ];
    for (const fields of bads) {
      const bad = await exportAs('sam', { format: 'jsonl', ...fields });
      expect(bad.status).toBe(400);
    }
  });
});

describe('charts', () => {
  it('scales the axis to 1, 2 or 5 × 10^n', () => {
    expect([0, 1, 3, 7, 10, 11, 240, 999].map(niceMax)).toEqual([1, 1, 5, 10, 10, 20, 500, 1000]);
  });

  it('draws each segment in proportion and escapes every label', () => {
    const svg = stackedBarChart({
      title: '<script>x</script>',
      labels: ['a"b', 'c'],
      series: [
        { key: 'permit', label: 'Permitted' },
        { key: 'deny', label: 'Denied' },
      ],
      values: [
        [4, 0],
        [1, 10],
      ],
    }).text;
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('a&quot;b: 4 permitted, 1 denied');
    const heights = [...svg.matchAll(/class="bar-(permit|deny)"[^>]*height="([\d.]+)"/g)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(heights).toHaveLength(3);
    const [permitA, denyA, denyC] = heights.map(([, h]) => h as number);
    expect(permitA / denyA).toBeCloseTo(4, 5);
    expect(denyC / denyA).toBeCloseTo(10, 5);
  });
});
