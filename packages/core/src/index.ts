// @veil/core: word-level differential privacy over a public word embedding.
export { createVeil, Veil, DEFAULT_TABLE_WIDTH, type CreateVeilOptions, type PackSource } from "./veil.js";
export type { BackendReport } from "./backends/preference.js";
export type { PerturbOptions, PerturbResult, WordResult } from "./text/perturb.js";
export { MAX_TEXT_LENGTH, DEFAULT_PLACEHOLDER } from "./text/perturb.js";
export { tokenize, isSingleWord, lookupKey, type Token } from "./text/tokenize.js";
export { isSafeCut } from "./text/safe-cut.js";
export { MECHANISMS, MECHANISM_INFO, type MechanismName, type MechanismOptions, type MechanismInfo } from "./mechanisms/options.js";
export { OutputLaw } from "./mechanisms/law.js";
export { calibrateGumbel, gumbelMinEpsilon, type GumbelCalibration } from "./mechanisms/truncated-gumbel.js";
export { temRadius, DEFAULT_BETA } from "./mechanisms/tem.js";
// What M5, M8, M9 and M10 derive from a pack (`veil pack` stores the slow ones; docs/mechanisms.md).
export {
  computeWordOrder,
  computeCustextGroups,
  encodeIds,
  encodeWordOrder,
  wordOrder,
  custextGroups,
  WORD_ORDER_KEY,
  CUSTEXT_GROUPS_KEY,
  DEFAULT_GROUP_SIZE,
  type WordOrder,
  type CustextGroups,
} from "./embeddings/derived.js";
export { mahalanobisFactors, mahalanobisDistance, DEFAULT_MAHALANOBIS_LAMBDA, type MahalanobisFactors } from "./mechanisms/mahalanobis.js";
export { RANK_C_KEY, FALLBACK_RANK_C, rankConstant } from "./mechanisms/laplace-rank.js";
export { firstSensitive, DEFAULT_SANTEXT_P, DEFAULT_SANTEXT_S } from "./mechanisms/santext.js";
export { DEFAULT_VICKREY_T } from "./mechanisms/vickrey.js";
export { DEFAULT_LIST_RADIUS } from "./mechanisms/diffractor.js";
export { STOPWORDS, STOPWORDS_SOURCE, isStopword } from "./text/stopwords.js";
export type { WordStats, OutputProbability } from "./stats/privacy-stats.js";
export { reconstructionRate, corpusPrior, attackInputs, type AttackOptions, type AttackResult } from "./stats/attack.js";
export { realizedPrivacy, type RealizedPrivacy } from "./stats/realized-privacy.js";
export { readPack, readPackHeader, packByteLength, type ReadPackOptions } from "./embeddings/pack-reader.js";
export { writePack, type PackContents } from "./embeddings/pack-writer.js";
export {
  PACK_MAGIC,
  PACK_VERSION,
  PACK_VERSIONS,
  VECTOR_TYPES,
  TABLE_CODINGS,
  vectorTypeOf,
  type VectorType,
  type TableCoding,
  type PackHeader,
  type PackMetadata,
} from "./embeddings/pack-format.js";
export { wordDistance, type Embedding } from "./embeddings/embedding.js";
export { buildNeighbourTable, buildNeighbourTableAsync, withNeighbourTable, type NeighbourTable } from "./embeddings/neighbour-table.js";
export { selectBackend, type BackendChoice, type BackendOptions } from "./backends/registry.js";
export { checkBackendPreference, type BackendPreference } from "./backends/preference.js";
export type { Backend, BackendName, KnnResult, AsyncKernels } from "./backends/backend.js";
export type { WebGpuBackendOptions, AdapterDescription, GpuEntryPoint } from "./backends/webgpu/options.js";
export { createWasmBackend } from "./backends/wasm.js";
export { JsBackend } from "./backends/js.js";
export { cryptoSource, type RandomSource } from "./random/source.js";
export * from "./errors.js";
// Local-DP primitives (docs/mechanisms.md, "Local-DP primitives"): answers, numbers, choices, secret-shared sums.
export {
  randomizedResponse,
  kAryResponse,
  truthProbability,
  estimateFrequency,
  COIN_PROTOCOL_EPSILON,
  type FrequencyEstimate,
  type FrequencyEstimateInput,
} from "./ldp/randomized-response.js";
export {
  boundedNumber,
  boundedGrid,
  boundedNoiseVariance,
  estimateMean,
  estimateMeanFromMoments,
  type MeanMoments,
  type BoundedOptions,
  type BoundedGrid,
  type MeanEstimate,
} from "./ldp/bounded.js";
export { exponentialChoice, choiceProbabilities, type ChoiceOptions } from "./ldp/choice.js";
export {
  share,
  reconstruct,
  addShares,
  toRing,
  fromRing,
  encodeFixed,
  decodeFixed,
  shareToString,
  shareFromString,
  RING_MODULUS,
} from "./ldp/secret-sharing.js";
export { noiseShare, releaseNoisedShare, combineReleased, type NoiseShareOptions } from "./ldp/dp-sum.js";
export type { RandomOptions } from "./ldp/random.js";
// The privacy-budget ledger; storages: IndexedDB in @veil/web, a file in @veil/core/ledger-file.
export {
  PrivacyLedger,
  periodKey,
  accountKey,
  type OpenLedgerOptions,
  type LedgerPeriod,
  type ReleaseItem,
  type Released,
  type ReleaseResult,
  type BudgetState,
} from "./ledger/ledger.js";
export type { LedgerStorage, LedgerMeta, LedgerAccount, LedgerStep } from "./ledger/storage.js";
// The privacy audit (`veil audit`).
export * from "./audit/index.js";
// How packs store their vectors (float32, float16, int8).
export { encodeVectors, type EncodedVectors } from "./embeddings/vector-codec.js";
