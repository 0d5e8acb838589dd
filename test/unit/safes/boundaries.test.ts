/** Edges of each limit: the last value that passes and the first that fails, in one table per limit. */
import { at, decideWith, failingSafes } from '../../helpers/bundle-fixture';
import type { Scenario } from '../../helpers/bundle-fixture';
import type { SafeName } from '../../../src/safes/types';

type Edge = [label: string, apply: (s: Scenario) => void, passes: boolean];

async function expectEdge(safe: SafeName, apply: (s: Scenario) => void, passes: boolean): Promise<void> {
  const d = await decideWith(apply);
  expect(failingSafes(d)).toEqual(passes ? [] : [safe]);
}

const identifiers = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ type: 'hin', value: `NL-ABC${i}` }));
const refs = (n: number) => Array.from({ length: n }, (_, i) => `ref-${i}`);

describe('people boundaries', () => {
  const cases: Edge[] = [
    ['training exactly 365 days old', (s) => (s.ctx.accreditation!.trainedOn = '2025-06-15'), true],
    ['training 366 days old', (s) => (s.ctx.accreditation!.trainedOn = '2025-06-14'), false],
    ['expires today (still holds)', (s) => (s.ctx.accreditation!.expiresOn = '2026-06-15'), true],
    ['expired yesterday', (s) => (s.ctx.accreditation!.expiresOn = '2026-06-14'), false],
    ['vetting exactly the minimum', (s) => (s.ctx.accreditation!.vettingLevel = 2), true],
    ['vetting above the minimum', (s) => (s.ctx.accreditation!.vettingLevel = 3), true],
    ['one permitted role among others', (s) => (s.ctx.accreditation!.roles = ['dpo', 'analyst']), true],
    // 00:30 on 1 Jan 2027 in Amsterdam is still 31 Dec 2026 in UTC: dates are read locally.
    [
      'expiry read in the agreement time zone',
      (s) => {
        at(s, '2026-12-31T23:30:00Z');
        s.ctx.accreditation!.expiresOn = '2026-12-31';
      },
      false,
    ],
  ];
  it.each(cases)('%s', (_label, apply, passes) => expectEdge('people', apply, passes));
});

describe('project boundaries', () => {
  const cases: Edge[] = [
    ['quota at limit - 1', (s) => (s.ctx.requestsToday = 49), true],
    ['quota at limit', (s) => (s.ctx.requestsToday = 50), false],
    ['first day of validity', (s) => (s.agreement.validity.from = '2026-06-15'), true],
    ['last day of validity', (s) => (s.agreement.validity.until = '2026-06-15'), true],
    [
      'last minute of validity, local time',
      (s) => {
        at(s, '2026-12-31T22:59:00Z');
        s.agreement.validity.until = '2026-12-31';
      },
      true,
    ],
    [
      'first minute after validity, local time (still 31 Dec in UTC)',
      (s) => {
        at(s, '2026-12-31T23:00:00Z');
        s.agreement.validity.until = '2026-12-31';
      },
      false,
    ],
    [
      'pattern without anchors still has to match in full',
      (s) => {
        s.agreement.safes.project.caseRefPatterns['police-nl'] = 'NL-\\d{4}-\\d{6}';
        s.input.caseRef = 'xNL-2026-000123';
      },
      false,
    ],
    [
      'invalid pattern matches nothing',
      (s) => (s.agreement.safes.project.caseRefPatterns['police-nl'] = '(unclosed'),
      false,
    ],
    [
      'over-long case reference',
      (s) => {
        s.agreement.safes.project.caseRefPatterns['police-nl'] = 'NL-.*';
        s.input.caseRef = `NL-${'9'.repeat(200)}`;
      },
      false,
    ],
    ['the other provider with its own dataset', (s) => Object.assign(s.input, byInsurer()), true],
  ];
  it.each(cases)('%s', (_label, apply, passes) => expectEdge('project', apply, passes));

  function byInsurer() {
    return { providerId: 'insureco', datasetId: 'theft-claims', fields: ['identifier', 'theft.date'] };
  }
});

describe('setting boundaries', () => {
  const officeHours = (s: Scenario) =>
    (s.agreement.safes.setting.allowedHours = { days: [1, 2, 3, 4, 5, 6, 7], from: '08:00', to: '18:00' });
  const window = (iso: string) => (s: Scenario) => {
    officeHours(s);
    at(s, iso);
  };
  // Amsterdam: CET (UTC+1) until 29 March 2026 01:00Z, CEST (UTC+2) until 25 October 2026 01:00Z.
  const cases: Edge[] = [
    ['CET: 07:59 local is before the window', window('2026-03-28T06:59:00Z'), false],
    ['CET: 08:00 local opens the window', window('2026-03-28T07:00:00Z'), true],
    ['CET: 17:59 local is inside', window('2026-03-28T16:59:00Z'), true],
    ['CET: 18:00 local is after (to is exclusive)', window('2026-03-28T17:00:00Z'), false],
    ['CEST after the spring change: 07:59 local', window('2026-03-30T05:59:00Z'), false],
    ['CEST after the spring change: 08:00 local', window('2026-03-30T06:00:00Z'), true],
    ['CEST after the spring change: 17:59 local', window('2026-03-30T15:59:00Z'), true],
    ['CEST after the spring change: 18:00 local', window('2026-03-30T16:00:00Z'), false],
    ['CET after the autumn change: 07:59 local', window('2026-10-26T06:59:00Z'), false],
    ['CET after the autumn change: 08:00 local', window('2026-10-26T07:00:00Z'), true],
    ['24:00 is the end of the day: 23:59 local is inside', (s) => at(s, '2026-06-15T21:59:00Z'), true],
    [
      'overnight window: Monday 23:00 local',
      (s) => {
        s.agreement.safes.setting.allowedHours = { days: [1], from: '22:00', to: '06:00' };
        at(s, '2026-06-15T21:00:00Z');
      },
      true,
    ],
    [
      'overnight window: Tuesday 05:59 local continues Monday night',
      (s) => {
        s.agreement.safes.setting.allowedHours = { days: [1], from: '22:00', to: '06:00' };
        at(s, '2026-06-16T03:59:00Z');
      },
      true,
    ],
    [
      'overnight window: Tuesday 06:00 local is over',
      (s) => {
        s.agreement.safes.setting.allowedHours = { days: [1], from: '22:00', to: '06:00' };
        at(s, '2026-06-16T04:00:00Z');
      },
      false,
    ],
    [
      'overnight window: Sunday 23:00 local is not an allowed start',
      (s) => {
        s.agreement.safes.setting.allowedHours = { days: [1], from: '22:00', to: '06:00' };
        at(s, '2026-06-14T21:00:00Z');
      },
      false,
    ],
    [
      'malformed hours fail closed',
      (s) => (s.agreement.safes.setting.allowedHours = { days: [1], from: '8:00', to: '18:00' }),
      false,
    ],
    [
      'auth exactly 720 minutes ago',
      (s) => (s.identity.authTime = s.ctx.now.getTime() / 1000 - 720 * 60),
      true,
    ],
    ['auth 721 minutes ago', (s) => (s.identity.authTime = s.ctx.now.getTime() / 1000 - 721 * 60), false],
    [
      'no auth age limit, no auth time',
      (s) => {
        delete s.agreement.safes.setting.maxAuthAgeMinutes;
        s.identity.authTime = undefined;
      },
      true,
    ],
    ['MFA shown by acr', (s) => Object.assign(s.identity, { mfa: true, mfaClaims: ['acr'] }), true],
    ['no MFA', (s) => (s.identity.mfa = false), false],
    [
      'two amr methods the verifier did not count as MFA',
      (s) => Object.assign(s.identity, { amr: ['a', 'b'], mfa: false }),
      false,
    ],
    [
      'MFA not required, one factor',
      (s) => {
        s.agreement.safes.setting.mfaRequired = false;
        s.identity.mfa = false;
      },
      true,
    ],
    [
      'TLS required and present',
      (s) => {
        s.agreement.safes.setting.tlsRequired = true;
        s.ctx.tls = true;
      },
      true,
    ],
  ];
  it.each(cases)('%s', (_label, apply, passes) => expectEdge('setting', apply, passes));

  const addresses: [string, boolean][] = [
    ['10.10.255.255', true],
    ['10.11.0.1', false],
    ['127.0.0.1', true],
    ['::1', true],
    ['::2', false],
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.10.0.7', true],
    ['::ffff:7f00:1', true], // 127.0.0.1, mapped, written in hex
    ['::ffff:192.0.2.1', false],
    ['fe80::1%eth0', false],
    ['10.10.0.0/16', false],
    ['', false],
    ['0x0a.0x0a.0.1', false],
  ];
  it.each(addresses)('source address %p passes: %p', (ip, passes) =>
    expectEdge('setting', (s) => (s.ctx.sourceIp = ip), passes),
  );

  it('a partner unknown to the bundle has no networks', () =>
    expectEdge('setting', (s) => (s.partners = s.partners.filter((p) => p.id !== 'police-nl')), false));
});

describe('data boundaries', () => {
  const cases: Edge[] = [
    [
      'every allowed field of the dataset',
      (s) => (s.input.fields = [...s.agreement.datasets[0].fields]),
      true,
    ],
    ['a field at the ceiling', (s) => (s.input.fields = ['owner.postcode']), true],
    ['duplicated fields', (s) => (s.input.fields = ['make', 'make']), true],
  ];
  it.each(cases)('%s', (_label, apply, passes) => expectEdge('data', apply, passes));

  it('a confidential field allowed by the dataset is still above a restricted ceiling', async () => {
    const d = await decideWith((s) => {
      s.agreement.datasets[0].fields.push('owner.address');
      s.input.fields = ['owner.address'];
    });
    expect(d.safes.data.reasons.map((r) => r.code)).toEqual(['DATA_CLASSIFICATION_ABOVE_CEILING']);
  });

  it('reports every failing field, not just the first', async () => {
    const d = await decideWith((s) => (s.input.fields = ['nope', 'theft.date', 'theft.place', 'make']));
    expect(d.safes.data.reasons.map((r) => r.code)).toEqual([
      'DATA_FIELD_UNKNOWN',
      'DATA_FIELD_NOT_ALLOWED',
      'DATA_FIELD_NOT_ALLOWED',
    ]);
    expect(d.safes.data.reasons.map((r) => r.message).join(' ')).toMatch(/theft\.place/);
  });
});

describe('output boundaries', () => {
  const cases: Edge[] = [
    ['exactly 25 identifiers', (s) => (s.input.identifiers = identifiers(25)), true],
    ['26 identifiers', (s) => (s.input.identifiers = identifiers(26)), false],
    [
      '24 identifiers + 1 record ref',
      (s) => {
        s.input.identifiers = identifiers(24);
        s.input.recordRefs = refs(1);
      },
      true,
    ],
    [
      '25 identifiers + 1 record ref',
      (s) => {
        s.input.identifiers = identifiers(25);
        s.input.recordRefs = refs(1);
      },
      false,
    ],
    [
      'record refs only',
      (s) => {
        s.input.identifiers = [];
        s.input.recordRefs = refs(2);
      },
      true,
    ],
    ['retention 1 day', (s) => (s.agreement.safes.output.retentionDays = 1), true],
    ['retention 365 days', (s) => (s.agreement.safes.output.retentionDays = 365), true],
    ['TLP RED', (s) => (s.agreement.safes.output.handling.tlp = 'RED'), true],
    ['TLP AMBER+STRICT', (s) => (s.agreement.safes.output.handling.tlp = 'AMBER+STRICT'), true],
  ];
  it.each(cases)('%s', (_label, apply, passes) => expectEdge('output', apply, passes));
});
