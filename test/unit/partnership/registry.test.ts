/**
 * The partnership's registry on a real store: records with their log entries, the facts the project
 * safe reads (a snapshot dropped on every change), and the demo seed (once, never over a history).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBundle } from '../../../src/policy/load';
import type { Bundle } from '../../../src/policy/types';
import { agreementDigest } from '../../../src/partnership/digest';
import { seedDemoPartnership } from '../../../src/partnership/demo-seed';
import { acceptanceEvent, screeningEvent } from '../../../src/partnership/events';
import { PartnershipRegistry } from '../../../src/partnership/registry';
import {
  partiesNotAccepted,
  providersNotCleared,
  screeningStanding,
} from '../../../src/partnership/standing';
import type { Acceptance, Screening } from '../../../src/partnership/types';
import { openSqliteStore } from '../../../src/store/sqlite';
import type { Store } from '../../../src/store/port';

const NOW = new Date('2026-12-03T10:00:00Z');
let dir: string;
let store: Store;
let bundle: Bundle;
let registry: PartnershipRegistry;

beforeAll(async () => {
  bundle = await loadBundle(path.join(__dirname, '../../../policies'));
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-partnership-'));
  store = openSqliteStore({ file: path.join(dir, 'gateway.db') });
  registry = new PartnershipRegistry(store, () => NOW, Infinity, Buffer.alloc(32, 7));
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ADA = { partnerId: 'gateway', userId: 'ada' };
const screening = (partnerId: string, over: Partial<Screening> = {}): Screening => ({
  partnerId,
  reviewedOn: '2026-12-01',
  reviewer: ADA,
  outcome: 'cleared',
  conditions: [],
  riskNotes: 'Visited the office; Jan de Boer showed the register.',
  contact: { name: 'Jan de Boer', email: 'jan@example.org' },
  nextReviewOn: '2027-12-01',
  ...over,
});

describe('the partnership registry', () => {
  it('seeds the demo once: every partner cleared, every agreement accepted by all its parties', async () => {
    const first = await seedDemoPartnership(registry, bundle, NOW);
    expect(first.screened).toBe(bundle.partners.size);
    const stolenBoats = bundle.agreements.get('stolen-boats')!;
    expect(first.accepted).toBe(
      [...bundle.agreements.values()].reduce(
        (n, a) => n + new Set([...a.parties.requesters, ...a.parties.providers]).size,
        0,
      ),
    );
    const facts = await registry.facts();
    expect(partiesNotAccepted(facts, stolenBoats)).toEqual([]);
    expect(screeningStanding(facts, 'insureco', '2026-12-03').status).toBe('cleared');
    // Seeded once: a second start adds nothing, and the seed entries are the system's.
    expect(await seedDemoPartnership(registry, bundle, NOW)).toEqual({ screened: 0, accepted: 0 });
    const entries = await store.audit.query({}, { order: 'asc', limit: 100 });
    expect(entries.filter((e) => e.type === 'partner.screening')).toHaveLength(bundle.partners.size);
    expect(entries.every((e) => e.actorUser === 'system' && e.actorPartner === null)).toBe(true);
  });

  it('never seeds over a history: a partner refused stays refused, a withdrawn agreement stays withdrawn', async () => {
    const refused = screening('insureco', { outcome: 'refused' });
    await registry.recordScreenings([refused], [screeningEvent(refused, registry.digest)]);
    const withdrawal: Acceptance = {
      agreementId: 'stolen-boats',
      partnerId: 'boatreg-nl',
      action: 'withdraw',
      version: 4,
      digest: agreementDigest(bundle.agreements.get('stolen-boats')!),
      confidentialityDigest: null,
      by: { partnerId: 'boatreg-nl', userId: 'ruben' },
      role: 'legal',
    };
    await registry.recordAcceptances([withdrawal], [acceptanceEvent(withdrawal, registry.digest)]);
    await seedDemoPartnership(registry, bundle, NOW);
    const facts = await registry.facts();
    expect(screeningStanding(facts, 'insureco', '2026-12-03').status).toBe('refused');
    expect(partiesNotAccepted(facts, bundle.agreements.get('stolen-boats')!)).toEqual([
      'police-nl',
      'boatreg-nl',
      'insureco',
    ]);
    expect(partiesNotAccepted(facts, bundle.agreements.get('stolen-vehicles')!)).toEqual([]);
  });

  it('drops its snapshot on each change: the next decision sees a refusal at once', async () => {
    await seedDemoPartnership(registry, bundle, NOW);
    const before = await registry.facts();
    expect(await registry.facts()).toBe(before);
    const refused = screening('insureco', { outcome: 'refused' });
    await registry.recordScreenings([refused], [screeningEvent(refused, registry.digest)]);
    const after = await registry.facts();
    expect(after).not.toBe(before);
    expect(providersNotCleared(bundle.agreements.get('stolen-boats')!, after, NOW)).toEqual([
      { providerId: 'insureco', code: 'PROJECT_PARTNER_NOT_CLEARED' },
    ]);
  });

  it('a snapshot of a shared store stands only for its maximum age', async () => {
    const shared = new PartnershipRegistry(store, () => NOW, 0, Buffer.alloc(32, 7));
    await seedDemoPartnership(registry, bundle, NOW);
    const first = await shared.facts();
    // Another instance (here: another registry on the same store) records a change.
    const lapsed = screening('boatreg-nl', { nextReviewOn: '2026-12-02' });
    await registry.recordScreenings([lapsed], [screeningEvent(lapsed, registry.digest)]);
    const second = await shared.facts();
    expect(screeningStanding(first, 'boatreg-nl', '2026-12-03').status).toBe('cleared');
    expect(screeningStanding(second, 'boatreg-nl', '2026-12-03').status).toBe('lapsed');
  });

  it('logs what a screening decided, and of its notes and contact only a digest', async () => {
    const s = screening('autodealers-nl', {
      outcome: 'cleared-with-conditions',
      conditions: ['Quarterly audit'],
    });
    await registry.recordScreenings([s], [screeningEvent(s, registry.digest)]);
    const [entry] = await store.audit.query({}, { order: 'asc', limit: 10 });
    expect(entry).toMatchObject({
      type: 'partner.screening',
      actorUser: 'ada',
      actorPartner: 'gateway',
      outcome: 'cleared-with-conditions',
      partners: expect.arrayContaining(['autodealers-nl', 'gateway']),
    });
    expect(entry.data).toMatchObject({
      partnerId: 'autodealers-nl',
      nextReviewOn: '2027-12-01',
      conditions: 1,
    });
    const text = JSON.stringify(entry);
    expect(text).not.toContain('Jan de Boer');
    expect(text).not.toContain('jan@example.org');
    expect((await registry.screenings('autodealers-nl'))[0].record).toEqual(s);
    // Keyed: a guessed note or contact cannot be confirmed by hashing it.
    const plain = crypto.createHash('sha256').update(JSON.stringify(s)).digest('hex');
    expect(entry.data.recordDigest).toBe(registry.digest(s));
    expect(entry.data.recordDigest).not.toBe(plain);
    const otherKey = new PartnershipRegistry(store, () => NOW, Infinity, Buffer.alloc(32, 8));
    expect(otherKey.digest(s)).not.toBe(registry.digest(s));
  });

  it('an agreement changed in any way has another digest', () => {
    const agreement = bundle.agreements.get('stolen-boats')!;
    const changed = { ...agreement, confidentiality: `${agreement.confidentiality} And more.` };
    expect(agreementDigest(changed)).not.toBe(agreementDigest(agreement));
    expect(agreementDigest(agreement)).toMatch(/^[0-9a-f]{64}$/);
  });
});
