// One pack read and verified once, used by several threads. Node's worker
// threads (the CLI's bulk command) would otherwise each read the pack again:
// SHA-256, the int8 vectors decoded, the table's sets decoded and put in order,
// about 550 ms per thread on the default pack, on the same cores that then do
// the privatizing. The vectors and the table go in SharedArrayBuffers (no copy
// per thread); the words are cloned, and each thread rebuilds its word index.
import { makeIndex, type Embedding } from "./embedding.js";

/** An Embedding without its index, its arrays in shared memory: what `shareEmbedding` sends and `embeddingFromShared` takes back. */
export type SharedEmbedding = Omit<Embedding, "index">;

/** The embedding with its vectors and table copied into SharedArrayBuffers, ready for `postMessage` or `workerData`. */
export function shareEmbedding(e: Embedding): SharedEmbedding {
  const { index: _index, ...rest } = e;
  return { ...rest, vectors: toShared(e.vectors), neighbours: e.neighbours && toShared(e.neighbours) };
}

/** The Embedding again, on the receiving thread: the shared arrays as they are, the word index rebuilt (about 10 ms for 50,000 words). */
export function embeddingFromShared(s: SharedEmbedding): Embedding {
  return { ...s, index: makeIndex(s.words) };
}

/** A copy of `a` in a SharedArrayBuffer, for worker threads to read without a copy each. */
export function toShared<T extends Float32Array | Int32Array>(a: T): T {
  const copy = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
  copy.set(a);
  return copy;
}
