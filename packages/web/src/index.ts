// @veil/web: Veil in the browser. Importing this module does nothing by itself
// (no window/navigator access, no worker, no IndexedDB) until loadVeil() is called.
export { loadVeil, type LoadVeilOptions, type LoadedVeil, type CallOptions } from "./load-veil.js";
export { isCached, clearCache, cacheInfo } from "./cache-api.js";
export type { CacheManifest } from "./cache/pack-cache.js";
export type { LoadProgress, LoadPhase, VeilEvent } from "./progress.js";
export type { PackInfo, CacheStatus, LoadInfo } from "./engine.js";
export type { WorkerOption } from "./bridge.js";
export { WorkerCrashedError, PackFetchError } from "./errors.js";
export { openLedger, type OpenBrowserLedgerOptions } from "./ledger/open-ledger.js";
export { indexedDbLedgerStorage } from "./ledger/indexeddb-storage.js";
export {
  VeilError,
  InvalidEpsilonError,
  EpsilonOutOfRangeError,
  UnknownMechanismError,
  InvalidOptionError,
  EmptyTextError,
  TextTooLargeError,
  EmbeddingFormatError,
  MissingPackError,
  RandomSourceError,
  BackendUnavailableError,
  UnknownWordError,
  BudgetExceededError,
  LedgerUnavailableError,
  PrivacyLedger,
  type OpenLedgerOptions,
  type ReleaseItem,
  type Released,
  type ReleaseResult,
  type BudgetState,
  type LedgerPeriod,
  // Local-DP primitives, so a form needs one import.
  randomizedResponse,
  kAryResponse,
  truthProbability,
  estimateFrequency,
  boundedNumber,
  boundedGrid,
  estimateMean,
  exponentialChoice,
  choiceProbabilities,
  share,
  reconstruct,
  encodeFixed,
  decodeFixed,
  shareToString,
  shareFromString,
  type BoundedOptions,
  MECHANISMS,
  MECHANISM_INFO,
  MAX_TEXT_LENGTH,
  type MechanismName,
  type MechanismOptions,
  type PerturbOptions,
  type PerturbResult,
  type WordResult,
  type WordStats,
  type RealizedPrivacy,
  type AttackOptions,
  type AttackResult,
  type BackendPreference,
  type BackendReport,
} from "@veil/core";
