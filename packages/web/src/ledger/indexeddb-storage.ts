// The privacy-budget ledger in IndexedDB. Raw transactions rather than
// idb-keyval: a debit must read the header and the accounts, check the cap and
// write, all in ONE readwrite transaction (IndexedDB runs overlapping readwrite
// transactions one at a time, also across tabs, so two tabs never overspend),
// and the transaction asks for strict durability so that "complete" means on disk.
import { accountKey, LedgerUnavailableError, type LedgerAccount, type LedgerMeta, type LedgerStep, type LedgerStorage } from "@veil/core";

const META = "meta";
const ACCOUNTS = "accounts";

/** The privacy ledger in IndexedDB: each step one readwrite transaction, so two tabs never overspend. */
export function indexedDbLedgerStorage(dbName = "veil-ledger"): LedgerStorage {
  const connection = new Connection(dbName);
  return {
    where: `IndexedDB "${dbName}"`,
    async transact<R>(keys: readonly string[], step: (m: LedgerMeta | undefined, a: (LedgerAccount | undefined)[]) => LedgerStep<R>): Promise<R> {
      const conn = await connection.get();
      let tx: IDBTransaction;
      try {
        tx = conn.transaction([META, ACCOUNTS], "readwrite", { durability: "strict" });
      } catch (e) {
        connection.drop();
        throw new LedgerUnavailableError("storage", "cannot start an IndexedDB transaction.", e);
      }
      return runStep(tx, keys, step);
    },
    newSecret: () => crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
    async hmacKey(secret) {
      if (!(secret instanceof CryptoKey)) throw new LedgerUnavailableError("corrupt", "the ledger has no device secret.");
      return secret;
    },
  };
}

/** The database connection, opened on first use and reopened after it closed (site data cleared, deleted elsewhere). */
class Connection {
  #db: Promise<IDBDatabase> | undefined;
  constructor(private readonly dbName: string) {}

  get(): Promise<IDBDatabase> {
    this.#db ??= this.#open();
    this.#db.catch(() => this.drop());
    return this.#db;
  }

  drop(): void {
    this.#db = undefined;
  }

  #open(): Promise<IDBDatabase> {
    const name = this.dbName;
    return new Promise<IDBDatabase>((resolve, reject) => {
      if (typeof indexedDB === "undefined") return reject(new LedgerUnavailableError("storage", "IndexedDB is not available in this context."));
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore(META);
        req.result.createObjectStore(ACCOUNTS);
      };
      req.onsuccess = () => {
        const conn = req.result;
        // Site data cleared or the database deleted elsewhere: drop this connection, the next step reopens and finds no header.
        conn.onversionchange = () => {
          conn.close();
          this.drop();
        };
        conn.onclose = () => this.drop();
        resolve(conn);
      };
      req.onerror = () => reject(new LedgerUnavailableError("storage", `cannot open IndexedDB database ${name}.`, req.error));
      req.onblocked = () => reject(new LedgerUnavailableError("storage", `IndexedDB database ${name} is blocked by another tab.`));
    });
  }
}

/** Reads the header and the accounts, runs the step and writes its changes, all in `tx`; resolves when it commits. */
function runStep<R>(
  tx: IDBTransaction,
  keys: readonly string[],
  step: (m: LedgerMeta | undefined, a: (LedgerAccount | undefined)[]) => LedgerStep<R>,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const meta = tx.objectStore(META);
    const accounts = tx.objectStore(ACCOUNTS);
    let result: R;
    let failure: unknown;
    const metaReq = meta.get("meta");
    const accReqs = keys.map((k) => accounts.get(k));
    // Requests in one transaction complete in order, so when the last read is done all are.
    const lastRead = accReqs.at(-1) ?? metaReq;
    lastRead.onsuccess = () => {
      try {
        const out = step(
          metaReq.result as LedgerMeta | undefined,
          accReqs.map((r) => r.result as LedgerAccount | undefined),
        );
        result = out.result;
        if (out.meta) meta.put(out.meta, "meta");
        for (const a of out.accounts ?? []) accounts.put(a, accountKey(a.scope, a.period));
      } catch (e) {
        failure = e;
        tx.abort();
      }
    };
    tx.oncomplete = () => resolve(result);
    tx.onabort = () =>
      reject(
        failure ??
          new LedgerUnavailableError("storage", `the IndexedDB transaction was aborted (${tx.error?.name ?? "unknown"}: quota or storage failure?).`, tx.error),
      );
  });
}
