// Small synthetic embeddings for tests: deterministic, from the seeded stream.
import { JsBackend } from "../backends/js.js";
import { makeIndex, type Embedding } from "../embeddings/embedding.js";
import { buildNeighbourTable } from "../embeddings/neighbour-table.js";
import { seededSource } from "../random/seeded.js";

/** n words in R^d with coordinates uniform in [-scale, scale], words "w0".."w{n-1}", with an exact K-NN table. */
export function toyEmbedding(n: number, d: number, K: number, seed = 1, scale = 1): Embedding {
  const bytes = new Uint8Array(n * d * 4);
  seededSource(seed).fill(bytes);
  const u = new Uint32Array(bytes.buffer);
  const vectors = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) vectors[i] = (u[i]! / 2 ** 32 - 0.5) * 2 * scale;
  const words = Array.from({ length: n }, (_, i) => `w${i}`);
  const bare: Embedding = { n, d, words, vectors, neighbours: null, K: 0, dMin: 1, dMax: 1, metadata: {}, sha256: "toy", index: makeIndex(words) };
  if (K === 0) return bare;
  const t = buildNeighbourTable(new JsBackend(bare), K);
  return { ...bare, neighbours: t.ids, K: t.K, dMin: t.dMin, dMax: t.dMax };
}
