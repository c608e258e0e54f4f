import { PrivacyLedger, type OpenLedgerOptions } from "@veil/core";
import { indexedDbLedgerStorage } from "./indexeddb-storage.js";

/** `openLedger` in the browser: the core's ledger options and the IndexedDB database name. */
export interface OpenBrowserLedgerOptions extends OpenLedgerOptions {
  /** IndexedDB database name, default "veil-ledger". */
  database?: string;
}

/**
 * Opens this browser's privacy-budget ledger (IndexedDB). The device secret for
 * memo keys is a non-extractable CryptoKey: script can use it, nobody can read it out.
 * Keep the returned `id` somewhere else too (your server, localStorage) and pass
 * it back as `expectId`, so a cleared ledger is detected rather than restarted.
 */
export function openLedger(options: OpenBrowserLedgerOptions): Promise<PrivacyLedger> {
  return PrivacyLedger.open(indexedDbLedgerStorage(options.database), options);
}
