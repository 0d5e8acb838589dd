/** The partnership's ledger in PostgreSQL: appended under the log's lock with its entries (ctx.logged). */
import type { PartnershipKind, PartnershipRecord, PartnershipStore } from '../port';
import type { PgContext } from './context';

interface Row {
  seq: string;
  kind: PartnershipKind;
  subject: string;
  body: string;
  recorded_at: string;
}

const fromRow = (row: Row): PartnershipRecord => ({
  seq: Number(row.seq),
  kind: row.kind,
  subject: row.subject,
  body: JSON.parse(row.body) as Record<string, unknown>,
  recordedAt: row.recorded_at,
});

const INSERT = `INSERT INTO partnership_records (kind, subject, body, recorded_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) RETURNING seq`;

export function createPgPartnership(ctx: PgContext): PartnershipStore {
  return {
    add(records, events) {
      return ctx.logged(async (client, append) => {
        const { rows } = await client.query<{ seq: string }>(INSERT, [
          records.map((r) => r.kind),
          records.map((r) => r.subject),
          records.map((r) => JSON.stringify(r.body)),
          records.map((r) => r.recordedAt),
        ]);
        await append(events);
        return rows.map((r) => Number(r.seq));
      });
    },
    async list(kind, subject) {
      const { rows } =
        subject === undefined
          ? await ctx.query<Row>('SELECT * FROM partnership_records WHERE kind = $1 ORDER BY seq', [kind])
          : await ctx.query<Row>(
              'SELECT * FROM partnership_records WHERE kind = $1 AND subject = $2 ORDER BY seq',
              [kind, subject],
            );
      return rows.map(fromRow);
    },
  };
}
