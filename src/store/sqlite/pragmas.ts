/** The settings of every connection that writes the store (the main one and the lookup writer's). */
import type Database from 'better-sqlite3';

export function configureWriter(db: Database.Database): void {
  // busy_timeout first: switching to WAL itself waits for a lock another process may hold.
  db.pragma('busy_timeout = 5000');
  // WAL lets the verifier and readers run beside the writer; FULL makes a commit survive power loss,
  // which a log that promises "no change without its entry" needs.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // A WAL that a large upload grew is cut back to this size once it has been copied into the database
  // (SQLite otherwise keeps the file at its largest, reusing it).
  db.pragma('journal_size_limit = 67108864');
  db.pragma('foreign_keys = ON');
  // Statement and savepoint journals (a group commit re-runs a failed batch with a SAVEPOINT per unit)
  // stay in memory instead of temporary files (temporary tables and sorts too: they are small here).
  db.pragma('temp_store = MEMORY');
}
