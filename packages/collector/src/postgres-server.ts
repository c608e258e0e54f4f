// A real PostgreSQL server for tests (issue 20's groundwork): Debian's `postgresql`
// binaries, a fresh cluster from `initdb` in a temporary folder, listening on a Unix
// socket only (listen_addresses is empty: no TCP port at all), stopped and deleted at
// the end. PostgreSQL refuses to run as root, so as root (CI, the set-up's machines)
// the cluster belongs to the `postgres` user the package creates, and the commands are
// spawned with its uid and gid (so signals reach the server itself). Not shipped
// (package.json "files" leaves it out).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";

/** A running server: where its socket is, whom to connect as, and how to stop it. */
export interface PostgresServer {
  /** The folder holding the socket: pass it as `host` to a client (node-postgres does so for paths). */
  socketDir: string;
  /** The port that names the socket file (.s.PGSQL.<port>); nothing listens on it over TCP. */
  port: number;
  user: string;
  database: string;
  /** The data folder (deleted by `stop`). */
  dataDir: string;
  /** A connection string for the socket, as `--db postgres://...` will take it. */
  url: string;
  /** The postmaster's pid (its backends are its children); a new one after `resume`. */
  readonly pid: number;
  /** Fast shutdown, waits for the server process to exit, then removes every file. */
  stop(): Promise<void>;
  /** Stops the server, keeping its files: what a collector sees when its database goes away. */
  pause(): Promise<void>;
  /** Starts it again on the same files and socket after `pause`. */
  resume(): Promise<void>;
  /** Creates an empty database `name` (letters, digits, underscores) and returns its connection string. */
  createDatabase(name: string): Promise<string>;
}

/** Where Debian puts the binaries: the newest /usr/lib/postgresql/<version>/bin, or null when the package is missing. */
export function postgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0]!, "bin") : null;
}

/** The uid and gid of the `postgres` user (when running as root), else null: run as ourselves. */
function serverOwner(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u"),
    gid = id("-g");
  if (!Number.isInteger(uid) || uid <= 0) throw new Error("running as root, but there is no postgres user to own the cluster (install Debian's postgresql)");
  return { uid, gid };
}

/** Starts a fresh cluster and resolves once the server says it accepts connections. */
export async function startPostgres(o: { user?: string; port?: number } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("Debian's postgresql is not installed: run node scripts/setup.mjs --postgres (it installs it)");
  const user = o.user ?? "veil";
  const port = o.port ?? 5432;
  const root = mkdtempSync(path.join(os.tmpdir(), "veil-pg-"));
  const dataDir = path.join(root, "data");
  const owner = serverOwner();
  if (owner) chownSync(root, owner.uid, owner.gid);
  const as = owner ? { uid: owner.uid, gid: owner.gid, cwd: root } : { cwd: root };
  const init = spawnSync(path.join(bin, "initdb"), ["-D", dataDir, "-U", user, "-A", "trust", "-E", "UTF8", "--no-sync"], { encoding: "utf8", ...as });
  if (init.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr.trim().split("\n").slice(-3).join(" ")}`);
  }
  const launch = async () => {
    const c = spawn(path.join(bin, "postgres"), ["-D", dataDir, "-k", root, "-p", String(port), "-c", "listen_addresses="], {
      stdio: ["ignore", "ignore", "pipe"],
      ...as,
    });
    await readyOrExit(c);
    return c;
  };
  let child = await launch();
  const urlOf = (db: string) => `postgres://${user}@/${db}?host=${encodeURIComponent(root)}&port=${port}`;
  const server: PostgresServer = {
    socketDir: root,
    port,
    user,
    database: "postgres",
    dataDir,
    url: urlOf("postgres"),
    get pid() {
      return child.pid!;
    },
    createDatabase: async (name) => {
      if (!/^\w+$/.test(name)) throw new Error(`a database name of letters, digits and underscores, not ${name}`);
      const admin = new pg.Client({ connectionString: urlOf("postgres") });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return urlOf(name);
    },
    stop: async () => {
      await stopServer(child);
      rmSync(root, { recursive: true, force: true });
    },
    pause: () => stopServer(child),
    resume: async () => {
      child = await launch();
    },
  };
  return server;
}

/** Resolves when the log says the server accepts connections; rejects if it exits first. */
function readyOrExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = "";
    const onData = (chunk: Buffer) => {
      log += chunk.toString("utf8");
      if (log.includes("database system is ready to accept connections")) {
        child.stderr!.off("data", onData);
        child.stderr!.resume(); // keep draining the log so the server never blocks on a full pipe
        child.off("exit", onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new Error(`postgres exited (${code}) before it was ready: ${log.trim().split("\n").slice(-3).join(" ")}`));
    child.stderr!.on("data", onData);
    child.once("exit", onExit);
  });
}

/** SIGINT is PostgreSQL's fast shutdown; waits for the server process to exit. */
function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGINT");
  });
}
