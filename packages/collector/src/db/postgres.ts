// PostgreSQL through node-postgres (`pg`): a pool per process, so several
// collector processes share one database. Statements keep SQLite's `?`
// placeholders and are numbered here. A transaction aborted by the server for a
// serialization failure or a deadlock runs again; `withLock` is a session-level
// advisory lock on a connection of its own, which the server lets go when the
// holding process dies (its connection closes).
import pg from "pg";
import { StoreUnavailableError, type Driver, type Sql } from "./sql.js";

/** Times a transaction is tried when the server aborts it for a conflict with another one. */
const ATTEMPTS = 5;
/** SQLSTATEs worth a retry: serialization_failure and deadlock_detected. */
const RETRYABLE = new Set(["40001", "40P01"]);
/** bigint, and numeric (what SUM of a bigint gives): every count here is an integer below 2^53. */
const NUMBER_TYPES = new Set([20, 1700]);

/** SQLSTATE classes and socket errors that mean the server is gone or refusing connections, not that a statement was wrong. */
const UNAVAILABLE = /^(08|57P0[1-3]|53300)/;
const SOCKET_CODES = new Set(["ECONNREFUSED", "ENOENT", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

/** Rethrows a lost or refused connection as StoreUnavailableError (the HTTP layer answers 503 with Retry-After). */
function unavailable(e: unknown): never {
  const code = (e as { code?: string }).code ?? "";
  const message = (e as Error).message ?? "";
  if (UNAVAILABLE.test(code) || SOCKET_CODES.has(code) || /timeout exceeded when trying to connect|Connection terminated/.test(message))
    throw new StoreUnavailableError(`PostgreSQL is unavailable (${code || message}); nothing was stored.`);
  throw e;
}

const numbered = new Map<string, string>();
/** `?` placeholders to `$1, $2, ...` (no statement here has a `?` inside a literal). */
function toPostgres(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, out);
  }
  return out;
}

class Client implements Sql {
  constructor(readonly q: pg.Pool | pg.PoolClient) {}
  async all<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return (await this.q.query(toPostgres(sql), params as unknown[]).catch(unavailable)).rows as R[];
  }
  async get<R>(sql: string, params: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.all<R>(sql, params))[0];
  }
  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.q.query(toPostgres(sql), params as unknown[]).catch(unavailable)).rowCount ?? 0;
  }
}

/** Options of the pool each collector process keeps. */
export interface PostgresOptions {
  /** Connections this process keeps at most (default 16). */
  max?: number;
}

/** A PostgreSQL database named by a connection string (postgres://user@host/db, or ?host=/socket/dir). */
export class PostgresDriver implements Driver {
  readonly dialect = "postgres" as const;
  readonly description: string;
  readonly #pool: pg.Pool;
  readonly #direct: Client;

  constructor(url: string, options: PostgresOptions = {}) {
    this.#pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 16,
      // A stuck statement or a transaction left open must not hold row locks for long.
      statement_timeout: 30_000,
      idle_in_transaction_session_timeout: 60_000,
      // A request waits at most this long for a connection (the server down or every connection busy).
      connectionTimeoutMillis: 10_000,
      types: {
        getTypeParser: (oid: number, format?: string) => (NUMBER_TYPES.has(oid) ? Number : pg.types.getTypeParser(oid, format as "text")),
      } as pg.CustomTypesConfig,
    });
    // An idle connection that breaks (the server restarted) is dropped from the pool; the next query opens another.
    this.#pool.on("error", (e) => console.error(`veil-collector: a PostgreSQL connection failed: ${e.message}`));
    this.#direct = new Client(this.#pool);
    this.description = `PostgreSQL ${describe(url)}`;
  }

  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.#direct.all<R>(sql, params);
  }
  get<R>(sql: string, params?: readonly unknown[]): Promise<R | undefined> {
    return this.#direct.get<R>(sql, params);
  }
  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.#direct.run(sql, params);
  }

  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect().catch(unavailable);
      let broken = false;
      try {
        await client.query("BEGIN");
        const result = await fn(new Client(client));
        await client.query("COMMIT");
        return result;
      } catch (e) {
        broken = await client.query("ROLLBACK").then(
          () => false,
          () => true,
        );
        const code = (e as { code?: string }).code;
        if (!(code && RETRYABLE.has(code)) || attempt >= ATTEMPTS) throw e;
      } finally {
        client.release(broken);
      }
    }
  }

  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return ((await this.#underLock(name, true, fn)) as { value: T }).value;
  }

  tryWithLock<T>(name: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    return this.#underLock(name, false, fn);
  }

  /** Takes the advisory lock on a connection of its own (waiting for it, or only if free), runs `fn`, gives it back. */
  async #underLock<T>(name: string, wait: boolean, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    const client = await this.#pool.connect().catch(unavailable);
    try {
      if (wait) await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [name]);
      else if (!(await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", [name])).rows[0]!.ok) return { ran: false };
      try {
        return { ran: true, value: await fn() };
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [name]);
      }
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}

/** The connection string without its password. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    const host = u.searchParams.get("host") ?? u.host;
    return `${host}:${u.searchParams.get("port") ?? (u.port || 5432)}${u.pathname}`;
  } catch {
    return "(unparsable connection string)";
  }
}

/** Whether a `--db` value names a PostgreSQL database rather than a SQLite file. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//.test(db);
