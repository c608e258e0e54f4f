// @veil/core/ledger-file: the privacy-budget ledger kept in a file (Node only).
export { fileLedgerStorage, type FileLedgerOptions } from "./ledger/file-storage.js";
