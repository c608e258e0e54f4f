// The in-place look-up (word-index.ts) answers exactly what the pack's Map
// answers through lookupKey, for every ASCII span, and hands every other span back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ASK_THE_MAP, AsciiWordIndex, NOT_IN_VOCABULARY } from "./word-index.js";
import { lookupKey } from "./tokenize.js";
import { makeIndex } from "../embeddings/embedding.js";
import { seededSource } from "../random/seeded.js";

// Lower-case ASCII words, words the Map can never return (capitals, non-ASCII), and near misses.
const words = ["the", "a1", "don't", "x", "naïve", "café", "Upper", "co-op", "zz", "the2", ...Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}`)];
const map = makeIndex(words);
const index = new AsciiWordIndex(words);
const viaMap = (span: string) => map.get(lookupKey(span)) ?? NOT_IN_VOCABULARY;

test("ASCII spans: the same id as the Map, whatever their case, in any text around them", () => {
  for (const w of ["the", "THE", "The", "tHe", "a1", "A1", "don't", "DON'T", "x", "X", "co-op", "zz", "wa", "W1z", "th", "thee", "upper", "UPPER", "the2"]) {
    const text = `«${w}» `;
    assert.equal(index.lookup(text, 1, 1 + w.length), viaMap(w), w);
  }
});

test("random ASCII spans agree with the Map (found and not found)", () => {
  const bytes = new Uint8Array(200_000);
  seededSource(7).fill(bytes);
  const alphabet = "wW0123456789abcdefghijklmnopqrstuvwxyzTHE'-";
  let found = 0;
  for (let c = 0; c + 5 < bytes.length; c += 5) {
    const len = 1 + (bytes[c]! % 4);
    const span = Array.from(bytes.subarray(c + 1, c + 1 + len), (b) => alphabet[b % alphabet.length]).join("");
    const want = viaMap(span);
    assert.equal(index.lookup(span, 0, span.length), want, span);
    if (want >= 0) found++;
  }
  assert.ok(found > 1000, `only ${found} spans were vocabulary words: the test would not see a wrong id`);
});

test("a span with any non-ASCII character goes back to the Map", () => {
  for (const w of ["naïve", "café", "CAFÉ", "ﬁne", "the\u0301"]) assert.equal(index.lookup(w, 0, w.length), ASK_THE_MAP, w);
  assert.equal(viaMap("CAFÉ"), map.get("café"));
});

test("idOf: the Map's answer for every span, in place or through the Map", () => {
  for (const w of ["the", "THE", "naïve", "NAÏVE", "café", "nope", "zz", "Upper"]) assert.equal(index.idOf(` ${w} `, 1, 1 + w.length, map), viaMap(w), w);
});
