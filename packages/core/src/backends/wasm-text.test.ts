// The WebAssembly text pass (assembly/text.ts, wasm-text.ts) answers what the
// JavaScript path answers: the same word spans as wordSpans (itself pinned to
// Intl.Segmenter by tokenize.test.ts), the same ids as AsciiWordIndex.idOf, and
// the same output text as outputsOf + spliceWords, word for word; it declines
// only the texts and words it says it declines. End to end, perturb() on the
// WebAssembly backend gives the JavaScript backend's text under one seed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil } from "../veil.js";
import { useSeededRandom } from "../testing.js";
import { makeIndex, type Embedding } from "../embeddings/embedding.js";
import { toyEmbedding } from "../test-support/toy.js";
import { UniformStream } from "../random/uniform-stream.js";
import { seededSource } from "../random/seeded.js";
import { applyCase, casePatternAt, wordSpans } from "../text/tokenize.js";
import { asciiWordIndex } from "../text/word-index.js";
import { createWasmBackend } from "./wasm.js";
import type { WasmTextKernel } from "./wasm-text.js";

// Lower-case ASCII words (found in place), words only the Map finds, and words whose case JavaScript must map.
const VOCABULARY = [
  "the",
  "cat",
  "don't",
  "3.14",
  "u.s",
  "a1",
  "x_y",
  "e:mail",
  "1,000",
  "café",
  "straße",
  "ﬁne",
  "東京",
  "émile",
  "naïve",
  "😀x",
  "\ud800x",
  "Upper",
  "extraordinarily",
  "counterrevolutionary",
  "e:mail:address",
  "12345678",
  "abcdefgh",
  ...Array.from({ length: 300 }, (_, i) => `w${i.toString(36)}`),
];

function embeddingOf(words: string[]): Embedding {
  const n = words.length;
  return { n, d: 4, words, vectors: new Float32Array(n * 4), neighbours: null, K: 0, dMin: 1, dMax: 1, metadata: {}, sha256: "toy", index: makeIndex(words) };
}

const ASCII_PIECES = [
  "the",
  "The",
  "THE",
  "cat",
  "Cat",
  "CAT",
  "don't",
  "DON'T",
  "3.14",
  "U.S",
  "a1",
  "A1",
  "x_y",
  "_",
  "__",
  "e:mail",
  "1,000",
  "wa",
  "W1",
  "Wz",
];
const ASCII_GLUE = [" ", "  ", ".", ",", ":", "'", ";", "_", "\r\n", "\n", "\t", "-", "!", "(", ")", "0", "7", "z", '"', "\u0000", "\u007f"];
const OTHER_PIECES = ["café", "CAFÉ", "Café", "straße", "ﬁne", "東京", "émile", "Émile", "naïve", "’", "\u00a0", "e\u0301", "İ"];
const DECLINED = ["😀", "\ud800", "\ufffd", "😀x"];

function randomText(u: UniformStream, pieces: string[], max: number): string {
  const n = 1 + Math.floor(u.next() * max);
  let text = "";
  for (let i = 0; i < n; i++) text += pieces[Math.floor(u.next() * pieces.length)]!;
  return text;
}

/** What the JavaScript path finds: wordSpans, and each span's id through AsciiWordIndex.idOf. */
function javascriptWords(e: Embedding, text: string): { spans: number[][]; ids: number[]; kind: number[] } {
  const spans = wordSpans(text);
  const index = asciiWordIndex(e);
  const all = Array.from({ length: spans.count }, (_, i) => [spans.starts[i]!, spans.ends[i]!]);
  const found = all.map(([s, t]) => index.idOf(text, s!, t!, e.index));
  return { spans: all, ids: found.filter((id) => id >= 0), kind: found.map((id) => (id >= 0 ? 1 : 0)) };
}

/** perturb.ts's outputsOf + spliceWords, written plainly: the reference for `write`. */
function javascriptOutput(e: Embedding, text: string, spans: number[][], kind: number[], outIds: Int32Array, keep: boolean, placeholder: string): string {
  let out = "";
  let prev = 0;
  let k = 0;
  spans.forEach(([s, t], i) => {
    const source = text.slice(s, t);
    out += text.slice(prev, s) + (kind[i] ? applyCase(e.words[outIds[k++]!]!, casePatternAt(text, s!, t!)) : keep ? source : placeholder);
    prev = t!;
  });
  return out + text.slice(prev);
}

async function kernelOf(e: Embedding): Promise<WasmTextKernel> {
  return (await createWasmBackend(e)).text;
}

test("spans and ids: the JavaScript path's on random ASCII and mixed text; only texts beyond the BMP or with U+FFFD are declined", async () => {
  const e = embeddingOf(VOCABULARY);
  const kernel = await kernelOf(e);
  const u = new UniformStream(seededSource(401));
  const kinds = [
    { pieces: [...ASCII_PIECES, ...ASCII_GLUE], max: 40 },
    { pieces: [...ASCII_PIECES, ...ASCII_GLUE, ...OTHER_PIECES], max: 40 },
    { pieces: [...ASCII_PIECES, ...ASCII_GLUE, ...DECLINED], max: 20 },
  ];
  let found = 0;
  for (const { pieces, max } of kinds)
    for (let c = 0; c < 3000; c++) {
      const text = randomText(u, pieces, c % 100 === 0 ? 4000 : max);
      const got = kernel.scan(text);
      const refuses = DECLINED.some((d) => text.includes(d));
      assert.equal(got === null, refuses, `declined ${JSON.stringify(text)}`);
      if (!got) continue;
      const want = javascriptWords(e, text);
      const spans = Array.from({ length: got.spans.count }, (_, i) => [got.spans.starts[i]!, got.spans.ends[i]!]);
      assert.deepEqual(spans, want.spans, `spans of ${JSON.stringify(text.slice(0, 120))}`);
      assert.deepEqual([...got.ids], want.ids, `ids of ${JSON.stringify(text.slice(0, 120))}`);
      assert.deepEqual([...got.kind], want.kind, `kinds of ${JSON.stringify(text.slice(0, 120))}`);
      found += got.ids.length;
    }
  assert.ok(found > 10_000, `only ${found} vocabulary words were met: a wrong id would go unseen`);
});

test("output: outputsOf + spliceWords for random outputs, cases, kept words and placeholders; declined only where JavaScript must map case", async () => {
  const e = embeddingOf(VOCABULARY);
  const kernel = await kernelOf(e);
  const u = new UniformStream(seededSource(402));
  const pieces = [...ASCII_PIECES, ...ASCII_GLUE, ...OTHER_PIECES];
  const placeholders = ["***", "[redacted]", "é", "", "東"];
  let written = 0;
  for (let c = 0; c < 4000; c++) {
    const text = randomText(u, pieces, c % 100 === 0 ? 3000 : 30);
    const scanned = kernel.scan(text)!;
    const outIds = scanned.ids.map(() => Math.floor(u.next() * e.n));
    const keep = u.next() < 0.5;
    const placeholder = placeholders[c % placeholders.length]!;
    const got = kernel.write(text, outIds, keep, placeholder);
    const want = javascriptOutput(e, text, javascriptWords(e, text).spans, [...scanned.kind], outIds, keep, placeholder);
    if (got === null) {
      assert.ok(mustDecline(e, text, scanned, outIds), `declined without cause: ${JSON.stringify(text)}`);
      continue;
    }
    assert.equal(got, want, `output of ${JSON.stringify(text.slice(0, 120))}`);
    written++;
  }
  assert.ok(written > 500, `only ${written} texts were written by the kernel`);
  assert.equal(kernel.write("not the text scanned last", new Int32Array(0), false, "***"), null);
  kernel.scan("the cat");
  assert.equal(kernel.write("the cat", new Int32Array([0, 1]), false, "😀"), null, "a placeholder with a surrogate is JavaScript's to write");
});

/** Whether some output word is one the kernel leaves to JavaScript: a surrogate, or a case it cannot map in ASCII. */
function mustDecline(
  e: Embedding,
  text: string,
  scanned: { spans: { starts: Int32Array; ends: Int32Array; count: number }; kind: Uint8Array },
  outIds: Int32Array,
): boolean {
  let k = 0;
  for (let i = 0; i < scanned.spans.count; i++) {
    if (!scanned.kind[i]) continue;
    const w = e.words[outIds[k++]!]!;
    const pattern = casePatternAt(text, scanned.spans.starts[i]!, scanned.spans.ends[i]!);
    if (/[\ud800-\udfff]/.test(w) || (pattern === "upper" && /[^\x00-\x7f]/.test(w)) || (pattern === "title" && w.charCodeAt(0) > 127)) return true;
  }
  return false;
}

test("perturb() on WebAssembly (text in the module) gives the JavaScript backend's text under one seed, M4 and M1", async () => {
  const base = toyEmbedding(400, 8, 8, 41);
  const words = base.words.map((w, i) => (i % 7 === 3 ? `é${w}` : w));
  const e: Embedding = { ...base, words, index: makeIndex(words) };
  const [wasm, js] = await Promise.all([createVeil({ pack: e, backend: "wasm" }), createVeil({ pack: e, backend: "js" })]);
  const u = new UniformStream(seededSource(403));
  const pieces = [...words.slice(0, 60), "W1", "W17", "ÉW3", "Éw3", "zork", "café", " ", " ", ". ", "\n", "’", "😀"];
  for (const options of [
    { mechanism: "gumbel" as const, epsilon: wasm.minEpsilon("gumbel") * 1.5 },
    { mechanism: "laplace" as const, epsilon: 3, oov: "keep" as const },
  ])
    for (let c = 0; c < 40; c++) {
      const text = randomText(u, pieces, c % 10 === 0 ? 3000 : 60);
      useSeededRandom(wasm, 500 + c);
      useSeededRandom(js, 500 + c);
      assert.equal(wasm.perturb(text, options).text, js.perturb(text, options).text, `${options.mechanism}: ${JSON.stringify(text.slice(0, 80))}`);
    }
});

test("long words that share their first eight units and their length are told apart by the rest", async () => {
  const u = new UniformStream(seededSource(404));
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const tail = (): string => Array.from({ length: 3 }, () => letters[Math.floor(u.next() * 26)]).join("");
  const words = [...new Set(Array.from({ length: 3000 }, () => `overcast${tail()}`))];
  const e = embeddingOf(words);
  const kernel = await kernelOf(e);
  // Half the words are the vocabulary's, half are near misses with the same prefix and length.
  const text = Array.from({ length: 4000 }, (_, i) => (i % 2 ? words[Math.floor(u.next() * words.length)]! : `OVERCAST${tail().toUpperCase()}`)).join(" ");
  const got = kernel.scan(text)!;
  const want = javascriptWords(e, text);
  assert.deepEqual([...got.ids], want.ids);
  assert.deepEqual([...got.kind], want.kind);
  assert.ok(want.kind.filter((k) => k === 0).length > 100, "near misses were met");
});
