/** A log written as a gateway before schema version 11 left it: entries with any times, in order of seq. */
import Database from 'better-sqlite3';
import { buildEntryParts, GENESIS_HASH } from '../../src/audit/chain';
import type { AuditEntry, AuditEventInput } from '../../src/audit/types';
import { MIGRATIONS, migrate } from '../../src/store/sqlite/migrations';

/** Writes `events` at `timeOf(i)` (which may go back) into a new version-10 database; returns the entries. */
export function writeLegacyLog(
  file: string,
  events: readonly AuditEventInput[],
  timeOf: (i: number) => number,
): AuditEntry[] {
  const db = new Database(file);
  try {
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 10),
    );
    const insert = db.prepare(
      `INSERT INTO audit_log (seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id,
                              outcome, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const partner = db.prepare('INSERT INTO audit_partners (partner, seq) VALUES (?, ?)');
    const entries: AuditEntry[] = [];
    let prevHash = GENESIS_HASH;
    db.transaction(() => {
      events.forEach((e, i) => {
        const ts = new Date(timeOf(i)).toISOString();
        const { entry, body, partnersText } = buildEntryParts(e, i + 1, ts, prevHash);
        insert.run(
          entry.seq,
          entry.ts,
          entry.type,
          entry.actorUser,
          entry.actorPartner,
          partnersText,
          entry.requestId,
          entry.agreementId,
          entry.outcome,
          body,
          entry.prevHash,
          entry.hash,
        );
        for (const p of entry.partners) partner.run(p, entry.seq);
        entries.push(entry);
        prevHash = entry.hash;
      });
    })();
    return entries;
  } finally {
    db.close();
  }
}
