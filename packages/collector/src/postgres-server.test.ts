// The PostgreSQL harness the collector's PostgreSQL tests will run on (issue 20):
// a real server from Debian's package, reachable only by its Unix socket, whose
// transactions commit and roll back, and which leaves nothing behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createConnection } from "node:net";
import pg from "pg";
import { postgresBinDir, startPostgres } from "./postgres-server.js";

const missing = postgresBinDir() === null && "Debian's postgresql is not installed (node scripts/setup.mjs --postgres installs it)";

test("a fresh PostgreSQL on a Unix socket only: transactions commit and roll back, no TCP port, nothing left after stop", { skip: missing }, async () => {
  const server = await startPostgres({ port: 55_432 });
  const client = new pg.Client({ host: server.socketDir, port: server.port, user: server.user, database: server.database });
  try {
    await client.connect();
    assert.equal((await client.query("SHOW listen_addresses")).rows[0].listen_addresses, "", "no TCP listener is configured");
    await client.query("CREATE TABLE reports (id serial PRIMARY KEY, body text NOT NULL)");
    await client.query("BEGIN");
    await client.query("INSERT INTO reports (body) VALUES ($1), ($2)", ["a", "b"]);
    await client.query("COMMIT");
    await client.query("BEGIN");
    await client.query("INSERT INTO reports (body) VALUES ($1)", ["lost"]);
    await client.query("ROLLBACK");
    assert.deepEqual(
      (await client.query("SELECT body FROM reports ORDER BY id")).rows.map((r) => r.body),
      ["a", "b"],
    );
    // Nothing answers on 127.0.0.1 at the socket's port number.
    const refused = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port: server.port });
      s.once("connect", () => (s.destroy(), resolve(false)));
      s.once("error", () => resolve(true));
    });
    assert.ok(refused, "no TCP port is open");
  } finally {
    await client.end().catch(() => {});
    await server.stop();
  }
  assert.equal(existsSync(server.dataDir), false, "the cluster is deleted");
  const late = new pg.Client({ host: server.socketDir, port: server.port, user: server.user, database: server.database });
  await assert.rejects(late.connect(), "a stopped server refuses connections");
});
