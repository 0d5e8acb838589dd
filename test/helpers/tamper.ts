/**
 * Attacks on a copy of a database: the append-only triggers dropped, then any change at all. Each
 * attack is a plain function of the connection, shared by the standing tamper suite
 * (test/security/tamper.test.ts) and the verifier's own tests.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { buildEntry, canonicalJson, entryBody, entryHash } from '../../src/audit/chain';
import { createSigner } from '../../src/audit/checkpoint';
import { leafHash, rootOfLeaves } from '../../src/audit/merkle';
import type { Checkpoint } from '../../src/audit/types';

let copies = 0;

export type Attack = (db: Database.Database) => void;

/** A copy of `pristine` in `dir`, changed by `attack` over a plain connection with the triggers dropped. */
export function tamperedCopy(pristine: string, dir: string, attack: Attack): string {
  const file = path.join(dir, `copy-${process.pid}-${++copies}.sqlite`);
  fs.copyFileSync(pristine, file);
  const db = new Database(file);
  db.pragma('foreign_keys = OFF');
  const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as {
    name: string;
  }[];
  for (const { name } of triggers) db.exec('DROP TRIGGER "' + name + '"');
  attack(db);
  db.close();
  return file;
}

export const INDEX_TABLES = ['audit_partners', 'audit_hashes'];

/** Moves every row of entry `from` to `to` in the log and its index tables (PKs dodged via negatives). */
export function moveSeq(db: Database.Database, from: number, to: number): void {
  for (const table of ['audit_log', ...INDEX_TABLES])
    db.prepare('UPDATE ' + table + ' SET seq = ? WHERE seq = ?').run(to, from);
}

const bodyOf = (db: Database.Database, seq: number) =>
  JSON.parse(
    (db.prepare('SELECT body FROM audit_log WHERE seq = ?').get(seq) as { body: string }).body,
  ) as Record<string, unknown> & { data: Record<string, unknown> };

/** Stores `body` as entry `seq` with its hash and columns recomputed (as a careful attacker would). */
function rewrite(db: Database.Database, seq: number, body: Record<string, unknown>): string {
  const text = entryBody(body as unknown as Parameters<typeof entryBody>[0]);
  const hash = entryHash(text);
  db.prepare('UPDATE audit_log SET body = ?, prev_hash = ?, hash = ?, outcome = ? WHERE seq = ?').run(
    text,
    body.prevHash,
    hash,
    body.outcome,
    seq,
  );
  return hash;
}

export const attacks = {
  /** A few bytes of a body changed (`from` to `to`), nothing recomputed. */
  editBody:
    (seq: number, from = '"tlp":"AMBER"', to = '"tlp":"CLEAR"'): Attack =>
    (db) => {
      const changed = db
        .prepare('UPDATE audit_log SET body = replace(body, ?, ?) WHERE seq = ? AND instr(body, ?) > 0')
        .run(from, to, seq, from).changes;
      if (changed !== 1) throw new Error(`entry #${seq} holds no ${from} to change`);
    },

  /** A body changed with its hash and columns recomputed. */
  editAndRehash:
    (seq: number): Attack =>
    (db) => {
      const body = bodyOf(db, seq);
      body.outcome = 'withheld';
      rewrite(db, seq, body);
    },

  /** A queryable column no longer says what the body says. */
  editColumn:
    (seq: number): Attack =>
    (db) =>
      void db.prepare("UPDATE audit_log SET agreement_id = 'other' WHERE seq = ?").run(seq),

  /** A partner taken out of the index a DPO's scope and filters use. */
  editPartnerIndex:
    (seq: number, partner: string): Attack =>
    (db) =>
      void db.prepare('DELETE FROM audit_partners WHERE seq = ? AND partner = ?').run(seq, partner),

  /** The keyed hashes ("who saw data about X") of an entry taken out of the search index. */
  editHashIndex:
    (seq: number): Attack =>
    (db) =>
      void db.prepare('DELETE FROM audit_hashes WHERE seq = ?').run(seq),

  /** An entry deleted with its index rows. */
  delete:
    (seq: number): Attack =>
    (db) => {
      for (const table of [...INDEX_TABLES, 'audit_log'])
        db.prepare('DELETE FROM ' + table + ' WHERE seq = ?').run(seq);
    },

  /** Entries `seq` and `seq + 1` swapped. */
  swap:
    (seq: number): Attack =>
    (db) => {
      moveSeq(db, seq, -1);
      moveSeq(db, seq + 1, seq);
      moveSeq(db, -1, seq + 1);
    },

  /** A forged disclosure inserted before entry `seq` (the later ones renumbered). */
  insert:
    (seq: number): Attack =>
    (db) => {
      const n = (db.prepare('SELECT max(seq) AS n FROM audit_log').get() as { n: number }).n;
      for (let s = n; s >= seq; s--) moveSeq(db, s, s + 1);
      const prev = db.prepare('SELECT hash, ts FROM audit_log WHERE seq = ?').get(seq - 1) as {
        hash: string;
        ts: string;
      };
      const forged = buildEntry(
        {
          type: 'disclosure',
          actor: { userId: 'bram', partnerId: 'boatreg-nl' },
          partners: ['boatreg-nl', 'police-nl'],
          outcome: 'disclosed',
          data: {},
        },
        seq,
        prev.ts,
        prev.hash,
      );
      db.prepare(
        `INSERT INTO audit_log (seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id,
                              outcome, body, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)`,
      ).run(
        seq,
        forged.ts,
        forged.type,
        'bram',
        'boatreg-nl',
        canonicalJson(forged.partners),
        'disclosed',
        forged.body,
        forged.prevHash,
        forged.hash,
      );
      for (const p of forged.partners)
        db.prepare('INSERT INTO audit_partners (partner, seq) VALUES (?, ?)').run(p, seq);
    },

  /**
   * Every entry after `keep` deleted with its index rows; with `checkpoints`, the checkpoints that
   * covered them too; with `tree`, also the Merkle nodes over them (a thorough attacker).
   */
  truncate:
    (keep: number, also: { checkpoints?: boolean; tree?: boolean } = {}): Attack =>
    (db) => {
      for (const table of [...INDEX_TABLES, 'audit_log'])
        db.prepare('DELETE FROM ' + table + ' WHERE seq > ?').run(keep);
      if (also.checkpoints) db.prepare('DELETE FROM audit_checkpoints WHERE tree_size > ?').run(keep);
      if (also.tree) rebuildTree(db);
    },

  /**
   * The tail from `from` rewritten (the record digests of entry `from` emptied) with every hash
   * recomputed. `tree`: the Merkle nodes rebuilt over the new bodies. `checkpoints`: what happens to the
   * checkpoints over the new tail: `kept` (left alone), `forged` (replaced by ones over the new roots,
   * signed with `attackerKey`), `unsigned` (the same, with the signature removed).
   */
  rewriteTail:
    (
      from: number,
      how: {
        tree?: boolean;
        checkpoints?: 'kept' | 'forged' | 'unsigned';
        attackerKey?: crypto.KeyObject;
      } = {},
    ): Attack =>
    (db) => {
      const rows = db.prepare('SELECT seq FROM audit_log WHERE seq >= ? ORDER BY seq').all(from) as {
        seq: number;
      }[];
      let prev = (db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(from - 1) as { hash: string })
        .hash;
      for (const { seq } of rows) {
        const body = bodyOf(db, seq);
        if (seq === from) body.data.recordDigests = [];
        body.prevHash = prev;
        prev = rewrite(db, seq, body);
      }
      if (how.tree) rebuildTree(db);
      if (how.checkpoints === 'forged' || how.checkpoints === 'unsigned') {
        const signer = createSigner(how.attackerKey ?? crypto.generateKeyPairSync('ed25519').privateKey);
        const sizes = db
          .prepare('SELECT tree_size AS size, ts FROM audit_checkpoints WHERE tree_size >= ?')
          .all(from) as { size: number; ts: string }[];
        for (const { size, ts } of sizes) {
          const forged: Partial<Checkpoint> = signer.sign(treeHead(db, size), ts);
          if (how.checkpoints === 'unsigned') delete forged.signature;
          db.prepare('UPDATE audit_checkpoints SET body = ? WHERE tree_size = ?').run(
            canonicalJson(forged),
            size,
          );
        }
      }
    },

  /** Every signed checkpoint deleted. */
  dropCheckpoints: (): Attack => (db) => void db.exec('DELETE FROM audit_checkpoints'),

  /** One stored Merkle node (level 0: a leaf) replaced by other bytes. */
  editNode:
    (level: number, index: number): Attack =>
    (db) => {
      const changed = db
        .prepare('UPDATE audit_tree SET hash = ? WHERE level = ? AND idx = ?')
        .run(crypto.randomBytes(32), level, index).changes;
      if (changed !== 1) throw new Error(`no Merkle node ${level}/${index} to edit`);
    },

  /** One bit of the signature of the checkpoint of `treeSize` flipped. */
  badSignature:
    (treeSize: number): Attack =>
    (db) => {
      const { body } = db.prepare('SELECT body FROM audit_checkpoints WHERE tree_size = ?').get(treeSize) as {
        body: string;
      };
      const checkpoint = JSON.parse(body) as Checkpoint;
      const flipped = (parseInt(checkpoint.signature[0], 16) ^ 1).toString(16);
      checkpoint.signature = flipped + checkpoint.signature.slice(1);
      db.prepare('UPDATE audit_checkpoints SET body = ? WHERE tree_size = ?').run(
        canonicalJson(checkpoint),
        treeSize,
      );
    },
};

function leaves(db: Database.Database): Buffer[] {
  return (db.prepare('SELECT body FROM audit_log ORDER BY seq').all() as { body: string }[]).map((r) =>
    leafHash(r.body),
  );
}

/** The tree head of the first `size` entries as they now are. */
function treeHead(db: Database.Database, size: number) {
  const head = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(size) as { hash: string };
  return {
    treeSize: size,
    rootHash: rootOfLeaves(leaves(db).slice(0, size)).toString('hex'),
    headHash: head.hash,
  };
}

/** audit_tree rebuilt over the bodies as they now are: every complete perfect subtree, as the store keeps. */
function rebuildTree(db: Database.Database): void {
  const all = leaves(db);
  db.exec('DELETE FROM audit_tree');
  const insert = db.prepare('INSERT INTO audit_tree (level, idx, hash) VALUES (?, ?, ?)');
  for (let level = 0; 2 ** level <= all.length; level++) {
    const size = 2 ** level;
    for (let idx = 0; (idx + 1) * size <= all.length; idx++)
      insert.run(level, idx, rootOfLeaves(all.slice(idx * size, (idx + 1) * size)));
  }
}
