// Test fixtures (not shipped): each collector test runs once per store, on a
// SQLite file in a temporary folder and on a real PostgreSQL (Debian's package,
// one fresh cluster per test file on a Unix socket, a new database per
// collector, stopped and deleted when the file's tests end).
import { after, test } from "node:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresBinDir, startPostgres, type PostgresServer } from "./postgres-server.js";

/** The two stores every collector test runs on. */
export type StoreKind = "sqlite" | "postgres";
export const STORE_KINDS: readonly StoreKind[] = ["sqlite", "postgres"];

/** Where a test's collectors keep their data. */
export interface Place {
  kind: StoreKind;
  /** A temporary folder of the test's own (SQLite files go here). */
  dir: string;
  /** A new, empty database for one collector: a file path or a postgres:// URL. */
  db(name: string): Promise<string>;
}

const missing = postgresBinDir() === null && "Debian's postgresql is not installed (node scripts/setup.mjs --postgres installs it)";
let server: Promise<PostgresServer> | undefined;
let databases = 0;
after(async () => {
  if (server) await (await server).stop();
});

/** A fresh database on this test file's PostgreSQL (started on first use). */
export async function postgresDatabase(name: string): Promise<string> {
  server ??= startPostgres();
  return (await server).createDatabase(`${name.replace(/\W/g, "_")}_${++databases}`);
}

/** Registers `name` once per store, each run with a Place of its own. */
export function storeTest(name: string, fn: (place: Place) => Promise<void>, options: { timeout?: number } = {}): void {
  for (const kind of STORE_KINDS)
    test(`${name} [${kind}]`, { ...options, skip: kind === "postgres" && missing }, async () => {
      const dir = await mkdtemp(join(tmpdir(), `veil-${kind}-`));
      try {
        await fn({ kind, dir, db: (n) => (kind === "sqlite" ? Promise.resolve(join(dir, `${n}.db`)) : postgresDatabase(n)) });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
}
