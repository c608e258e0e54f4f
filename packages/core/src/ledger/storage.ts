// What a ledger needs from where it is kept: one atomic, durable step over the
// ledger's header and a few accounts, serialized with every other step on the
// same ledger (other tabs, other processes). Implementations: IndexedDB in
// @veil/web (readwrite transaction, strict durability), a file in
// @veil/core/ledger-file (lock file, fsync, rename), memory in @veil/core/testing.

/** The ledger's header: written once at creation; its absence means the ledger was cleared. */
export interface LedgerMeta {
  format: 1;
  id: string;
  created: string;
  /** Releases so far, over all scopes: reports carry it so a collector can see a ledger that went back. */
  seq: number;
  /** The device secret for memo keys, in whatever form the storage keeps it (a non-extractable CryptoKey in IndexedDB). */
  secret: unknown;
}

/** Spending of one scope in one period. Epsilons are integers of 1e-9 (exact addition). */
export interface LedgerAccount {
  scope: string;
  period: string;
  spentNano: number;
  /** Memoized responses by HMAC key: the same report again returns the same response, charged once. */
  memo: Record<string, unknown>;
}

/** What one ledger step writes (header and accounts) and returns. */
export interface LedgerStep<R> {
  meta?: LedgerMeta;
  accounts?: LedgerAccount[];
  result: R;
}

/** Where a ledger lives: atomic, durable, serialized read-modify-write steps (IndexedDB, a file, memory in tests). */
export interface LedgerStorage {
  /** Where the ledger lives, for messages. */
  readonly where: string;
  /**
   * Reads the header and the accounts under `keys`, runs `step` (synchronous),
   * writes what it returns, and resolves only after the write is durable. A step
   * that throws writes nothing. Steps never interleave.
   */
  transact<R>(keys: readonly string[], step: (meta: LedgerMeta | undefined, accounts: (LedgerAccount | undefined)[]) => LedgerStep<R>): Promise<R>;
  /** A fresh device secret, in the form this storage keeps. */
  newSecret(): Promise<unknown>;
  /** The HMAC-SHA-256 key for a stored secret. */
  hmacKey(secret: unknown): Promise<CryptoKey>;
}
