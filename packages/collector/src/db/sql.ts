// What the collector's store needs from a database, whichever it is: statements
// with `?` placeholders, transactions, and a lock that several processes share.
// Two drivers implement it: SQLite (./sqlite.ts, the embedded default) and
// PostgreSQL (./postgres.ts, for several collector processes on one database).

/** One connection's statements: `?` placeholders, rows as plain objects. */
export interface Sql {
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  get<R>(sql: string, params?: readonly unknown[]): Promise<R | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** The SQL dialect, for the few statements that differ (DDL, row locks). */
export type Dialect = "sqlite" | "postgres";

/** A database the store runs on. */
export interface Driver extends Sql {
  readonly dialect: Dialect;
  /** A short description for logs, without credentials ("SQLite reports.db", "PostgreSQL /tmp/x:5432/veil"). */
  readonly description: string;
  /**
   * Runs `fn` in one transaction: it commits when `fn` resolves and rolls back
   * when it throws. PostgreSQL runs it again (up to a few times) when the server
   * aborts it for a serialization failure or a deadlock, so `fn` must not have
   * effects outside the database.
   */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while holding the lock `name`, which every process on this
   * database shares; a process that dies holding it lets it go (PostgreSQL: an
   * advisory lock on its own connection; SQLite: a lease row naming its pid).
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** withLock without the wait: runs `fn` only if the lock is free now. */
  tryWithLock<T>(name: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>;
  close(): Promise<void>;
}

/** The database refused to open or migrate; the message says what to do. */
export class StoreError extends Error {
  override name = "StoreError";
}

/** The database cannot be reached or is shutting down: nothing was stored; the caller may retry shortly. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}
