/**
 * A PostgreSQL connection pool whose every object lives in one schema, named by the options: each
 * connection starts with that schema alone on its search_path, so the SQL here names tables
 * unqualified and several gateways (or test runs) can share one database without meeting.
 */
import pg from 'pg';

export interface PgOptions {
  /** A postgres:// URL; or host, port, user, password, database (libpq's PG* variables fill the rest). */
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** The schema every object is created in (created by the migrations when missing). */
  schema: string;
  /** Connections in the pool (default 10). */
  max?: number;
}

/** Lower-case identifiers only: the name is interpolated into SQL, so nothing else may pass. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a usable schema name: ${JSON.stringify(schema)}`);
  return schema;
}

const INT8_OID = 20;
const CONNECT_TIMEOUT_MS = 5000;

/** int8 (bigint: seq, counts) as a number, refused beyond 2^53 rather than rounded. */
const parseInt8 = (text: string): number => {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${text} is beyond a safe integer`);
  return n;
};

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The connection string without its `options` parameter, and that parameter: the driver lets the
 * string's parameters override the pool's, so the store's search_path is added to it, not replaced by it.
 */
function withoutOptions(connectionString: string | undefined): {
  connectionString?: string;
  options: string;
} {
  if (connectionString === undefined || !/[?&]options=/.test(connectionString)) {
    return { connectionString, options: '' };
  }
  const url = new URL(connectionString);
  const options = url.searchParams.get('options') ?? '';
  url.searchParams.delete('options');
  return { connectionString: url.toString(), options: `${options} ` };
}

export function openPgPool(options: PgOptions): pg.Pool {
  const schema = checkSchemaName(options.schema);
  const { schema: _schema, ...connection } = options;
  void _schema;
  const given = withoutOptions(connection.connectionString);
  const pool = new pg.Pool({
    ...connection,
    connectionString: given.connectionString,
    max: options.max ?? 10,
    // A database that does not answer fails a request in seconds (a 503), instead of holding it.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    types,
    // Set at connection start-up (no extra round trip); the schema need not exist yet.
    options: `${given.options}-c search_path=${schema}`,
  });
  // An idle connection that fails (a server restart) is dropped by the pool, and the next query
  // connects afresh; unheard, the event would end the process.
  pool.on('error', () => undefined);
  // The same for a connection that fails while checked out (between a transaction's statements): its
  // next statement fails, the transaction is rolled back by the server, and the connection is not pooled.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
