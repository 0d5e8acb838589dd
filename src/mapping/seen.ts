/**
 * Which identifiers an input has already produced, and on which row: the duplicate check of the
 * mapping runtime ("first occurrence wins"). In memory by default; for inputs too large for that,
 * `openDiskSeenIdentifiers` (seen-disk.ts) keeps them in a temporary file, with a hash table of a few
 * bytes per key in memory.
 */
export interface SeenIdentifiers {
  /**
   * The row that first produced `key` (an identifierKey), or undefined if none has. (A row is kept by
   * its line in the file where the input has lines: see claimKeys.)
   */
  firstRow(key: string): number | undefined;
  /** firstRow(key), given what hashKeyInto (seen-disk.ts) wrote for the key at hashes[at] (the on-disk set). */
  firstRowHashed?(key: string, hashes: Uint32Array, at: number): number | undefined;
  /** Records that `row` produced `key`; a key already present keeps its first row. */
  add(key: string, row: number): void;
  /** How many distinct keys have been added. */
  readonly size: number;
  /** Releases what the set holds (the on-disk one deletes its file). Idempotent. */
  close(): void;
}

export function createMemorySeenIdentifiers(): SeenIdentifiers {
  let rows = new Map<string, number>();
  return {
    firstRow: (key) => rows.get(key),
    add(key, row) {
      if (!rows.has(key)) rows.set(key, row);
    },
    get size() {
      return rows.size;
    },
    close() {
      rows = new Map();
    },
  };
}
