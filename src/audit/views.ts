/**
 * Each partner's view of a log entry. A partner's DPO finds the entries that name its partner; most name
 * two parties to one agreement, and all of such an entry concerns both. Some name partners that are not
 * parties to one another, and there a partner's DPO sees only what concerns its own partner:
 * - a hit/no-hit `lookup` names the requester and every provider that held a record: a provider's DPO
 *   sees only its own hits, the keyed hashes of only the identifiers they answer, `partners` cut
 *   to the requester and itself, and not which of the requester's identifiers were invalid;
 * - an `outcome.recorded` of a lookup names the requester and every provider it hit: a provider's DPO
 *   sees `partners` cut to the requester and itself, as in the lookup's entry, and no digest of the
 *   analyst's note (a note the provider does not read);
 * - a `policy.load` names every partner and lists every agreement: a partner's DPO sees itself and the
 *   agreements its partner is a party to.
 * The requester's DPO (the entry's actor partner) and a supervisor's DPO see the whole entry.
 *
 * The cut is made by type, not by content: such an entry is always marked `redacted`, also when there
 * was nothing to cut, so the mark itself does not tell that other providers were hit. A redacted view
 * no longer hashes to the entry's hash: a proof of it carries the leaf hash only (receipts.ts), and an
 * export line says it is redacted (export.ts), so that a verifier reports it rather than fails on it.
 */
import type { AuditEntry, AuditQuery } from './types';

/** The partners that are parties to an agreement (the current bundle); undefined: unknown. */
export type PartiesOf = (agreementId: string) => readonly string[] | undefined;

export interface PartnerView {
  partners: string[];
  data: Record<string, unknown>;
  /** What was cut, as paths into the entry (always the same for a type). */
  redacted: string[];
}

type Entry = Pick<AuditEntry, 'type' | 'actorPartner' | 'partners' | 'data'>;

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;

const CUTS: Record<string, (entry: Entry, viewer: string, partiesOf: PartiesOf) => PartnerView> = {
  lookup: (entry, viewer) => ({
    partners: entry.partners.filter((p) => p === viewer || p === entry.actorPartner),
    data: { ...withoutInvalid(entry.data), ...ownHits(entry.data, viewer) },
    redacted: ['partners', 'data.hits', 'data.identifierHashes', 'data.invalid'],
  }),
  // What a lookup led to names every provider it hit: each provider's DPO sees the requester and itself,
  // and not the digest of the analyst's note (the provider does not read the note: no guess is tried on it).
  'outcome.recorded': (entry, viewer) => {
    const { noteDigest: _noteDigest, ...data } = entry.data;
    return {
      partners: entry.partners.filter((p) => p === viewer || p === entry.actorPartner),
      data,
      redacted: ['partners', 'data.noteDigest'],
    };
  },
  'policy.load': (entry, viewer, partiesOf) => ({
    partners: entry.partners.filter((p) => p === viewer),
    data: {
      ...entry.data,
      agreements: list(entry.data.agreements).filter((a) => {
        const id = field(a, 'id');
        return typeof id === 'string' && partiesOf(id)?.includes(viewer) === true;
      }),
    },
    redacted: ['partners', 'data.agreements'],
  }),
};

/**
 * A lookup's hits at `viewer`, and the keyed hashes of the identifiers they answer: each hit names its
 * identifier's place in `identifierHashes` (`query`), renumbered here to its place in the shorter list.
 * The hashes of the identifiers that hit no one or only others are cut, as is every hash of an entry
 * whose hits name no place (written before they did).
 */
function ownHits(data: Record<string, unknown>, viewer: string): Record<string, unknown> {
  const asked = list(data.identifierHashes);
  const hits = list(data.hits).filter((h) => field(h, 'providerId') === viewer);
  const placeOf = (hit: unknown) => {
    const query = field(hit, 'query');
    return Number.isInteger(query) && (query as number) >= 0 && (query as number) < asked.length
      ? (query as number)
      : undefined;
  };
  const places = [...new Set(hits.map(placeOf).filter((q): q is number => q !== undefined))].sort(
    (a, b) => a - b,
  );
  return {
    hits: hits.map((h) => {
      const place = placeOf(h);
      return place === undefined ? h : { ...(h as object), query: places.indexOf(place) };
    }),
    ...(Array.isArray(data.identifierHashes) ? { identifierHashes: places.map((q) => asked[q]) } : {}),
  };
}

/** The lookup's data less `invalid` (the requester's malformed identifiers: no provider's concern). */
function withoutInvalid(data: Record<string, unknown>): Record<string, unknown> {
  const { invalid: _invalid, ...rest } = data;
  return rest;
}

/** Entry types whose partner's view names no partner but its actor's and the viewer's. */
export const CUT_TYPES: readonly string[] = Object.keys(CUTS);

/**
 * What `viewer`'s DPO sees of `entry` when it is not the whole entry; undefined when it is (a
 * supervisor's DPO, viewer undefined; the requester's; an entry of two parties).
 */
export function partnerView(
  entry: Entry,
  viewer: string | undefined,
  partiesOf: PartiesOf,
): PartnerView | undefined {
  const cut = CUTS[entry.type];
  if (!cut || viewer === undefined || entry.actorPartner === viewer) return undefined;
  return cut(entry, viewer, partiesOf);
}

/** The entry as `viewer` sees it: the whole entry, or its view with what was cut named. */
export function viewOf<T extends Entry>(
  entry: T,
  viewer: string | undefined,
  partiesOf: PartiesOf,
): T & { redacted?: string[] } {
  const view = partnerView(entry, viewer, partiesOf);
  return view ? { ...entry, ...view } : entry;
}

/**
 * A `partner` filter as `scope`'s DPO may use it: on an entry whose view is cut, only the partners the
 * view still names match (else filtering by another provider would tell which lookups hit it too).
 */
export function partnerFilter(
  scope: string | undefined,
  partner: string | undefined,
): Pick<AuditQuery, 'partner' | 'viewCutTypes'> {
  if (partner === undefined) return {};
  return scope !== undefined && partner !== scope ? { partner, viewCutTypes: CUT_TYPES } : { partner };
}
