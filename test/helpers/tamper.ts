/** Attacks on a copy of a database: the append-only triggers dropped, then any change at all. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

let copies = 0;

/** A copy of `pristine` in `dir`, changed by `attack` over a plain connection with the triggers dropped. */
export function tamperedCopy(pristine: string, dir: string, attack: (db: Database.Database) => void): string {
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
