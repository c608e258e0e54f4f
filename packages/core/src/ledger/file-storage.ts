// A ledger kept in a JSON file, for Node (batch work, the CLI, servers acting
// for a user). Steps are serialized across processes by a lock file created
// with O_EXCL, and made durable by writing a temporary file, fsync, rename over
// the ledger, and fsync of the directory: after a crash the file is the old
// ledger or the new one, never a mix.
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { LedgerUnavailableError } from "../errors.js";
import { accountKey } from "./ledger.js";
import type { LedgerAccount, LedgerMeta, LedgerStep, LedgerStorage } from "./storage.js";

/** Lock timings for the file ledger. */
export interface FileLedgerOptions {
  /** How long to wait for another process's step, default 10 s. */
  lockTimeoutMs?: number;
  /** A lock older than this is from a crashed process and is broken, default 30 s (a step takes milliseconds). */
  staleLockMs?: number;
}

interface LedgerFile {
  meta?: LedgerMeta;
  accounts: Record<string, LedgerAccount>;
}

const queues = new Map<string, Promise<unknown>>();

/** A ledger in a JSON file (Node): each step under a lock file, written to a temporary file, fsynced and renamed, so a crash never loses or doubles a debit. */
export function fileLedgerStorage(path: string, options: FileLedgerOptions = {}): LedgerStorage {
  const timing = { lockTimeout: options.lockTimeoutMs ?? 10_000, staleLock: options.staleLockMs ?? 30_000 };
  return {
    where: path,
    transact<R>(keys: readonly string[], step: (m: LedgerMeta | undefined, a: (LedgerAccount | undefined)[]) => LedgerStep<R>): Promise<R> {
      // One step at a time per file in this process (the lock file serializes processes).
      const run = (queues.get(path) ?? Promise.resolve()).then(() => lockedStep(path, timing, keys, step));
      queues.set(
        path,
        run.catch(() => undefined),
      );
      return run;
    },
    async newSecret() {
      return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
    },
    async hmacKey(secret) {
      if (typeof secret !== "string") throw new LedgerUnavailableError("corrupt", `${path} has no device secret.`);
      return crypto.subtle.importKey("raw", Buffer.from(secret, "base64"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    },
  };
}

/** Lock, read, run the step, write what it changed, unlock. */
async function lockedStep<R>(
  path: string,
  timing: { lockTimeout: number; staleLock: number },
  keys: readonly string[],
  step: (m: LedgerMeta | undefined, a: (LedgerAccount | undefined)[]) => LedgerStep<R>,
): Promise<R> {
  const lockPath = `${path}.lock`;
  await acquireLock(path, lockPath, timing);
  try {
    const file = await readLedgerFile(path);
    const out = step(
      file.meta,
      keys.map((k) => file.accounts[k]),
    );
    if (out.meta || out.accounts?.length) {
      if (out.meta) file.meta = out.meta;
      for (const a of out.accounts ?? []) file.accounts[accountKey(a.scope, a.period)] = a;
      await writeLedgerFile(path, file);
    }
    return out.result;
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

/**
 * Creates the lock file (O_EXCL), retrying while another process holds it; a
 * lock older than `staleLock` is from a crashed process and is broken. Polls:
 * a lock file has no event to wait on.
 */
async function acquireLock(path: string, lockPath: string, timing: { lockTimeout: number; staleLock: number }): Promise<void> {
  const start = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(lockPath, "wx", 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new LedgerUnavailableError("storage", `cannot create the lock file ${lockPath}.`, e);
    }
    const age = await stat(lockPath).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > timing.staleLock) await unlink(lockPath).catch(() => undefined);
    if (Date.now() - start > timing.lockTimeout)
      throw new LedgerUnavailableError("storage", `${path} stayed locked for ${timing.lockTimeout} ms (another process?).`);
    await new Promise((r) => setTimeout(r, Math.min(50, 1 + attempt)));
  }
}

/** The ledger file, or an empty one when there is none yet; anything unreadable as a ledger is `corrupt`. */
async function readLedgerFile(path: string): Promise<LedgerFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { accounts: {} };
    throw new LedgerUnavailableError("storage", `cannot read ${path}.`, e);
  }
  try {
    const parsed = JSON.parse(text) as LedgerFile;
    if (typeof parsed !== "object" || parsed === null || typeof parsed.accounts !== "object") throw new Error("no accounts");
    return parsed;
  } catch (e) {
    throw new LedgerUnavailableError("corrupt", `${path} is not a Veil ledger; keep it for inspection and do not reuse its budget.`, e);
  }
}

/** Temporary file, fsync, rename over the ledger, fsync of the directory: after a crash the file is the old ledger or the new one. */
async function writeLedgerFile(path: string, file: LedgerFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fh = await open(tmp, "w", 0o600);
    try {
      await fh.writeFile(JSON.stringify(file));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    const dir = await open(dirname(path), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new LedgerUnavailableError("storage", `cannot write ${path} (disk full or read-only?).`, e);
  }
}
