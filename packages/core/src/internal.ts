// @veil/core/internal: what Veil's own packages (@veil/web, @veil/cli) share
// with the core but apps have no use for. Not a public API: it may change in
// any release without notice.
export { afterDeviceLoss } from "./backends/preference.js";
export { mergeKnn } from "./embeddings/neighbour-table.js";
export { bodyLayout } from "./embeddings/pack-format.js";
export { encodeTableSets } from "./embeddings/table-codec.js";
export { wordSpans, casePatternAt } from "./text/tokenize.js";
export { asciiWordIndex } from "./text/word-index.js";
export { wordColumns, wordsFromColumns, withLazyWords, type WordColumns } from "./text/word-columns.js";
export { sha256, toHex } from "./embeddings/sha256.js";
export { shareEmbedding, embeddingFromShared, toShared, type SharedEmbedding } from "./embeddings/shared-embedding.js";
export { finishSymmetric, symmetricRanges, symmetricShortlistLength, type SymmetricShortlists } from "./backends/knn-symmetric.js";
