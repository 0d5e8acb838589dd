/**
 * Durable log appends through the store (hash chain, Merkle nodes, partner and keyed-hash index rows;
 * WAL, synchronous=FULL; group commit) against raw better-sqlite3 inserts of the very same rows, into
 * a database with the same schema and pragmas, in the same order and the same batches (one
 * transaction each) that the group commit made. Writers: many concurrent callers, each appending one entry at a time and
 * waiting for it to be durable, as request handlers do.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/store/sqlite';
import { benchEvent } from './lib/events';
import { msSince } from './lib/stats';
import { row, type Benchmark } from './lib/types';

/** The rows the gateway wrote for one entry, in the order it wrote them. */
interface EntryRows {
  entry: unknown[];
  partners: unknown[][];
  nodes: unknown[][];
  hashes: unknown[][];
}

/** Every row the gateway wrote for entries from..to (inclusive), entry by entry. */
function rowsOf(db: Database.Database, from: number, to: number): EntryRows[] {
  const raw = (sql: string) => db.prepare(sql).raw(true).all(from, to) as unknown[][];
  const entries = raw(
    `SELECT seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id, outcome, body,
            prev_hash, hash FROM audit_log WHERE seq BETWEEN ? AND ? ORDER BY seq`,
  ).map((entry): EntryRows => ({ entry, partners: [], nodes: [], hashes: [] }));
  const of = (seq: unknown) => entries[(seq as number) - from];
  for (const r of raw(
    'SELECT partner, seq FROM audit_partners WHERE seq BETWEEN ? AND ? ORDER BY seq, partner',
  )) {
    of(r[1]).partners.push(r);
  }
  // Node (level, idx) is written with entry (idx + 1) * 2^level: the leaf first, then up.
  for (const r of raw(
    `SELECT level, idx, hash, (idx + 1) * (1 << level) AS seq FROM audit_tree
     WHERE (idx + 1) * (1 << level) BETWEEN ? AND ? ORDER BY seq, level`,
  )) {
    of(r[3]).nodes.push(r.slice(0, 3));
  }
  for (const r of raw('SELECT hash, seq FROM audit_hashes WHERE seq BETWEEN ? AND ? ORDER BY seq, hash')) {
    of(r[1]).hashes.push(r);
  }
  return entries;
}

export interface AppendRun {
  file: string;
  entries: number;
  seconds: number;
  batches: number[];
}

/** Appends `entries` events from `writers` concurrent callers; returns the batch sizes of the group commits. */
export async function appendThroughStore(file: string, entries: number, writers: number): Promise<AppendRun> {
  const batches: number[] = [];
  const store = openSqliteStore({ file, onCommit: (info) => batches.push(info.committed) });
  // Made before the clock starts, as the baseline's rows are.
  const events = Array.from({ length: entries }, (_, i) => benchEvent(i));
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < entries) await store.audit.append([events[next++]]);
    }),
  );
  const seconds = msSince(started) / 1000;
  await store.close();
  return { file, entries, seconds, batches };
}

/** The baseline: the same rows in the same order and batches, same schema and pragmas, plain INSERTs. */
function insertRaw(source: string, target: string, batches: number[]): { seconds: number; rows: number } {
  // The same schema (indexes, triggers) as the store makes it, and the same pragmas.
  void openSqliteStore({ file: target }).close();
  const src = new Database(source, { readonly: true });
  const plan: EntryRows[][] = [];
  let seq = 0;
  for (const size of batches) {
    plan.push(rowsOf(src, seq + 1, seq + size));
    seq += size;
  }
  src.close();
  const db = new Database(target);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  const insertEntry = db.prepare(
    `INSERT INTO audit_log (seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id,
       outcome, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertPartner = db.prepare('INSERT INTO audit_partners (partner, seq) VALUES (?, ?)');
  const insertHash = db.prepare('INSERT INTO audit_hashes (hash, seq) VALUES (?, ?)');
  const insertNode = db.prepare('INSERT INTO audit_tree (level, idx, hash) VALUES (?, ?, ?)');
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  let rows = 0;
  const started = process.hrtime.bigint();
  for (const batch of plan) {
    begin.run();
    for (const e of batch) {
      insertEntry.run(e.entry);
      for (const r of e.partners) insertPartner.run(r);
      for (const r of e.nodes) insertNode.run(r);
      for (const r of e.hashes) insertHash.run(r);
    }
    commit.run();
    rows += batch.length;
  }
  const seconds = msSince(started) / 1000;
  db.close();
  return { seconds, rows };
}

export const logAppendBenchmark: Benchmark = {
  id: 'log-append',
  title: 'durable hash-chained log appends (group commit) vs raw inserts of the same rows',
  async run(ctx) {
    const entries = ctx.smoke ? 300 : 40_000;
    const writers = ctx.smoke ? 16 : 64;
    const rounds = ctx.smoke ? 1 : 2;
    ctx.log(`log-append: ${entries} entries from ${writers} concurrent writers, ${rounds} rounds`);
    // Rounds alternate gateway and baseline (fresh files each), so that both meet the disk in the same
    // moods; the figures are totals over the rounds.
    const gatewayRuns: AppendRun[] = [];
    const baselineRuns: { seconds: number; rows: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const gateway = await appendThroughStore(
        path.join(ctx.workDir, `gateway-${round}.sqlite`),
        entries,
        writers,
      );
      const baseline = insertRaw(
        gateway.file,
        path.join(ctx.workDir, `baseline-${round}.sqlite`),
        gateway.batches,
      );
      if (baseline.rows !== entries)
        throw new Error(`baseline wrote ${baseline.rows} entries, not ${entries}`);
      gatewayRuns.push(gateway);
      baselineRuns.push(baseline);
    }
    const total = (runs: { seconds: number }[]) => runs.reduce((sum, r) => sum + r.seconds, 0);
    const batches = gatewayRuns.flatMap((r) => r.batches).sort((a, b) => a - b);
    return [
      row({
        benchmark: 'log-append',
        figure: 'durable log appends/s (WAL, synchronous=FULL, group commit)',
        unit: 'entries/s',
        gateway: (entries * rounds) / total(gatewayRuns),
        baseline: (entries * rounds) / total(baselineRuns),
        baselineIs: 'raw better-sqlite3 INSERTs of the same rows, same batches, schema and pragmas',
        target: { min: 0.5 },
        details: {
          entries,
          writers,
          rounds,
          transactions: batches.length,
          batchMedian: batches[Math.floor(batches.length / 2)],
          batchMax: batches[batches.length - 1],
          gatewaySeconds: gatewayRuns.map((r) => r.seconds),
          baselineSeconds: baselineRuns.map((r) => r.seconds),
          databaseBytes: fs.statSync(gatewayRuns[0].file).size,
        },
      }),
    ];
  },
};
