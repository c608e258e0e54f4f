// The embedded default: one SQLite file (better-sqlite3). WAL with
// synchronous=FULL, so a report acknowledged with 201 survives a crash or kill -9.
// One connection per process, so every statement and transaction takes this
// process's mutex (a statement from another request must not land inside an open
// transaction). Several processes may share the file: BEGIN IMMEDIATE takes the
// file's write lock, busy_timeout waits for it, and `withLock` is a lease row that
// names its holder's pid, so the lease of a process that died is taken over at once.
import Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import { Mutex, NamedMutex } from "./mutex.js";
import type { Driver, Sql } from "./sql.js";

/** How long a lease lasts unless renewed, and how often its holder renews it. */
const LEASE_MS = 15_000;
const RENEW_MS = 5_000;
/** How often a process waiting for a lease held by another live process tries again. */
const LEASE_POLL_MS = 20;

class Statements implements Sql {
  readonly #cache = new Map<string, Database.Statement>();
  constructor(readonly db: Database.Database) {}

  #prepare(sql: string): Database.Statement {
    let s = this.#cache.get(sql);
    if (!s) this.#cache.set(sql, (s = this.db.prepare(sql)));
    return s;
  }
  async all<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.#prepare(sql).all(...params) as R[];
  }
  async get<R>(sql: string, params: readonly unknown[] = []): Promise<R | undefined> {
    return this.#prepare(sql).get(...params) as R | undefined;
  }
  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const s = this.#prepare(sql);
    if (s.reader) return s.all(...params).length; // a SELECT run for its effect (none in SQLite) or its row count
    return s.run(...params).changes;
  }
}

/** A SQLite database file (created readable by its owner only). */
export class SqliteDriver implements Driver {
  readonly dialect = "sqlite" as const;
  readonly description: string;
  readonly #db: Database.Database;
  readonly #direct: Statements;
  readonly #mutex = new Mutex();
  readonly #locks = new NamedMutex();
  readonly #holder = `${process.pid}:${randomUUID()}`;

  constructor(path: string) {
    createPrivate(path);
    this.#db = new Database(path);
    try {
      this.#db.pragma("journal_mode = WAL");
      this.#db.pragma("synchronous = FULL");
      this.#db.pragma("busy_timeout = 10000");
    } catch (e) {
      this.#db.close(); // not a database (or unreadable): leave the file as it was
      throw e;
    }
    for (const suffix of ["-wal", "-shm"]) if (existsSync(path + suffix)) chmodSync(path + suffix, 0o600);
    this.#direct = new Statements(this.#db);
    this.description = `SQLite ${path}`;
  }

  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.#mutex.run(() => this.#direct.all<R>(sql, params));
  }
  get<R>(sql: string, params?: readonly unknown[]): Promise<R | undefined> {
    return this.#mutex.run(() => this.#direct.get<R>(sql, params));
  }
  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.#mutex.run(() => this.#direct.run(sql, params));
  }

  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(this.#direct);
        this.#db.exec("COMMIT");
        return result;
      } catch (e) {
        if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
        throw e;
      }
    });
  }

  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.#locks.run(name, async () => {
      while (!(await this.#take(name))) await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
      return this.#holding(name, fn);
    });
  }

  tryWithLock<T>(name: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    return this.#locks.run(name, async () =>
      (await this.#take(name)) ? { ran: true as const, value: await this.#holding(name, fn) } : { ran: false as const },
    );
  }

  /** Runs `fn` with the lease taken, renewing it meanwhile, and gives it back. */
  async #holding<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const renew = setInterval(
      () => void this.run("UPDATE leases SET until = ? WHERE name = ? AND holder = ?", [Date.now() + LEASE_MS, name, this.#holder]),
      RENEW_MS,
    );
    renew.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await this.run("DELETE FROM leases WHERE name = ? AND holder = ?", [name, this.#holder]);
    }
  }

  /** Takes the lease when it is free, expired, or held by a process that no longer runs; says whether it did. */
  #take(name: string): Promise<boolean> {
    return this.transaction(async (tx) => {
      const held = await tx.get<{ holder: string; pid: number; until: number }>("SELECT holder, pid, until FROM leases WHERE name = ?", [name]);
      if (held && held.until > Date.now() && alive(held.pid)) return false;
      await tx.run(
        "INSERT INTO leases (name, holder, pid, until) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, until = excluded.until",
        [name, this.#holder, process.pid, Date.now() + LEASE_MS],
      );
      return true;
    });
  }

  close(): Promise<void> {
    return this.#mutex.run(() => void this.#db.close());
  }
}

/** Whether a process runs on this machine (a SQLite file is only ever shared on one machine). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Creates the database file readable by its owner only (SQLite gives its -wal and -shm files the same mode). */
function createPrivate(path: string): void {
  if (path === ":memory:") return;
  closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
}
