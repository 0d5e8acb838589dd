/**
 * The audit log table: appends that join the caller's transaction, reads, and a raw read-only
 * reader for the offline verifier.
 */
import Database from 'better-sqlite3';
import { GENESIS_HASH, buildEntry, canonicalJson, entryFromBody } from '../../audit/chain';
import type { AuditEntry, AuditEventInput } from '../../audit/types';
import type { RawAuditRow } from '../../audit/verify';
import type { AuditStore } from '../port';

/** Appends events to the chain; only valid inside an open transaction (the caller's). */
export type AppendInTx = (events: AuditEventInput[]) => AuditEntry[];

export interface SqliteAudit {
  appendInTx: AppendInTx;
  store: AuditStore;
}

interface HeadRow {
  seq: number;
  hash: string;
}

interface BodyRow {
  body: string;
  hash: string;
}

export function createAudit(db: Database.Database, now: () => Date): SqliteAudit {
  const headStmt = db.prepare<[], HeadRow>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const insertEntry = db.prepare(
    `INSERT INTO audit_log (seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id,
                            outcome, body, prev_hash, hash)
     VALUES (@seq, @ts, @type, @actorUser, @actorPartner, @partners, @requestId, @agreementId,
             @outcome, @body, @prevHash, @hash)`,
  );
  const insertPartner = db.prepare('INSERT INTO audit_partners (partner, seq) VALUES (?, ?)');
  const readStmt = db.prepare<[number, number], BodyRow>(
    'SELECT body, hash FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?',
  );
  const lastStmt = db.prepare<[], BodyRow>('SELECT body, hash FROM audit_log ORDER BY seq DESC LIMIT 1');

  const appendInTx: AppendInTx = (events) => {
    // The head is read inside the write transaction, so no other writer can slip in between.
    if (!db.inTransaction) throw new Error('audit append must run inside the transaction of its change');
    if (events.length === 0) return [];
    const head = headStmt.get();
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? GENESIS_HASH;
    const ts = now().toISOString();
    const written: AuditEntry[] = [];
    for (const event of events) {
      const { body, ...entry } = buildEntry(event, ++seq, ts, prevHash);
      insertEntry.run({ ...entry, partners: canonicalJson(entry.partners), body });
      for (const partner of entry.partners) insertPartner.run(partner, entry.seq);
      written.push(entry);
      prevHash = entry.hash;
    }
    return written;
  };

  const appendAlone = db.transaction(appendInTx);

  const store: AuditStore = {
    async append(events) {
      return appendAlone.immediate(events);
    },
    async read(fromSeq, limit) {
      if (limit <= 0) return [];
      return readStmt
        .all(Math.max(1, Math.floor(fromSeq)), Math.floor(limit))
        .map((r) => entryFromBody(r.body, r.hash));
    },
    async head() {
      const row = lastStmt.get();
      return row ? entryFromBody(row.body, row.hash) : undefined;
    },
  };

  return { appendInTx, store };
}

const RAW_COLUMNS = `a.seq, a.ts, a.type, a.actor_user, a.actor_partner, a.partners, a.request_id, a.agreement_id,
  a.outcome, a.body, a.prev_hash, a.hash,
  (SELECT json_group_array(p.partner) FROM audit_partners p WHERE p.seq = a.seq) AS partner_index`;

/**
 * Streams the stored rows in seq order, in batches, from a read-only connection, without parsing
 * anything: input for verifyChain (`fsg audit verify`). Keyset paging keeps memory constant and
 * lets the gateway keep appending meanwhile (new entries only extend what is read).
 */
export async function* readRawAuditRows(file: string, batch = 1000): AsyncIterable<RawAuditRow> {
  const size = Math.max(1, Math.floor(batch));
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const page = db.prepare<[number, number], RawAuditRow>(
      'SELECT ' + RAW_COLUMNS + ' FROM audit_log a WHERE a.seq > ? ORDER BY a.seq LIMIT ?',
    );
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const rows = page.all(after, size);
      for (const row of rows) yield row;
      if (rows.length < size) return;
      after = rows[rows.length - 1].seq;
      // Let other work run between batches of a long verification.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    db.close();
  }
}
