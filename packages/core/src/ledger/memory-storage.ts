// A ledger kept in memory, for tests only (exported from @veil/core/testing):
// it forgets everything when the page or process ends, which a real ledger must not.
import { accountKey } from "./ledger.js";
import type { LedgerAccount, LedgerMeta, LedgerStep, LedgerStorage } from "./storage.js";

export interface MemoryLedgerStorage extends LedgerStorage {
  /** Drops everything, as a user clearing site data would. */
  clear(): void;
  snapshot(): { meta: LedgerMeta | undefined; accounts: Map<string, LedgerAccount> };
}

export function memoryLedgerStorage(): MemoryLedgerStorage {
  let meta: LedgerMeta | undefined;
  let accounts = new Map<string, LedgerAccount>();
  let queue: Promise<unknown> = Promise.resolve();
  return {
    where: "memory",
    transact<R>(keys: readonly string[], step: (m: LedgerMeta | undefined, a: (LedgerAccount | undefined)[]) => LedgerStep<R>): Promise<R> {
      const run = queue.then(() => {
        const out = step(
          structuredClone(meta),
          keys.map((k) => structuredClone(accounts.get(k))),
        );
        if (out.meta) meta = out.meta;
        for (const a of out.accounts ?? []) accounts.set(accountKey(a.scope, a.period), structuredClone(a));
        return out.result;
      });
      queue = run.catch(() => undefined);
      return run;
    },
    newSecret: () => crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
    hmacKey: async (secret) => secret as CryptoKey,
    clear() {
      meta = undefined;
      accounts = new Map();
    },
    snapshot: () => ({ meta, accounts }),
  };
}
