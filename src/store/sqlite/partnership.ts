/** The partnership's ledger in SQLite: appended with its log entries in one group-commit unit. */
import type Database from 'better-sqlite3';
import type { PartnershipKind, PartnershipRecord, PartnershipStore } from '../port';
import type { AppendInTx } from './audit';
import type { RunUnit } from './group-commit';

interface Row {
  seq: number;
  kind: PartnershipKind;
  subject: string;
  body: string;
  recorded_at: string;
}

const fromRow = (row: Row): PartnershipRecord => ({
  seq: row.seq,
  kind: row.kind,
  subject: row.subject,
  body: JSON.parse(row.body) as Record<string, unknown>,
  recordedAt: row.recorded_at,
});

export function createPartnership(
  db: Database.Database,
  appendInTx: AppendInTx,
  unit: RunUnit,
): PartnershipStore {
  const insert = db.prepare<[string, string, string, string]>(
    'INSERT INTO partnership_records (kind, subject, body, recorded_at) VALUES (?, ?, ?, ?)',
  );
  const byKind = db.prepare<[string], Row>('SELECT * FROM partnership_records WHERE kind = ? ORDER BY seq');
  const bySubject = db.prepare<[string, string], Row>(
    'SELECT * FROM partnership_records WHERE kind = ? AND subject = ? ORDER BY seq',
  );
  return {
    add(records, events) {
      return unit(() => {
        const seqs = records.map((r) =>
          Number(insert.run(r.kind, r.subject, JSON.stringify(r.body), r.recordedAt).lastInsertRowid),
        );
        appendInTx(events);
        return seqs;
      });
    },
    async list(kind, subject) {
      const rows = subject === undefined ? byKind.all(kind) : bySubject.all(kind, subject);
      return rows.map(fromRow);
    },
  };
}
