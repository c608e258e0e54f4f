// tokenize() must give exactly Intl.Segmenter's segments, word-likeness
// included: its ASCII fast path (ascii-words.ts) and its cuts between fast and
// segmenter stretches are checked against one plain Intl.Segmenter pass, on
// random text built to hit every joining rule, on mixed Unicode, and on the
// benchmark corpora read in place.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tokenize, wordSpans } from "./tokenize.js";
import { UniformStream } from "../random/uniform-stream.js";
import { seededSource } from "../random/seeded.js";

const segmenter = new Intl.Segmenter("en", { granularity: "word" });
const reference = (text: string) => [...segmenter.segment(text)].map((s) => ({ text: s.segment, start: s.index, wordLike: s.isWordLike === true }));

/** Up to `max` pieces drawn from `pieces`, each followed by a space with probability `space`. */
function randomText(u: UniformStream, pieces: string[], max: number, space: number): string {
  const n = 1 + Math.floor(u.next() * max);
  let text = "";
  for (let i = 0; i < n; i++) text += pieces[Math.floor(u.next() * pieces.length)]! + (space > 0 && u.next() < space ? " " : "");
  return text;
}

function agrees(text: string, what: string): void {
  const got = tokenize(text);
  const want = reference(text);
  spansAgree(text, want, what);
  if (got.length === want.length && got.every((t, i) => t.text === want[i]!.text && t.start === want[i]!.start && t.wordLike === want[i]!.wordLike)) return;
  const i = got.findIndex((t, j) => !want[j] || t.text !== want[j]!.text || t.wordLike !== want[j]!.wordLike);
  assert.fail(
    `${what}: ${JSON.stringify(text.slice(0, 120))}\n  first difference at token ${i}: got ${JSON.stringify(got[i])}, Intl.Segmenter ${JSON.stringify(want[i])}`,
  );
}

/** wordSpans (perturb's path: word spans only, plain or typed arrays by length) gives the reference's word-like segments. */
function spansAgree(text: string, want: { text: string; start: number; wordLike: boolean }[], what: string): void {
  const spans = wordSpans(text);
  const words = want.filter((t) => t.wordLike);
  const got = Array.from({ length: spans.count }, (_, i) => [spans.starts[i], spans.ends[i]]);
  assert.deepEqual(
    got,
    words.map((t) => [t.start, t.start + t.text.length]),
    `${what}: word spans of ${JSON.stringify(text.slice(0, 120))}`,
  );
}

test("ASCII: every joining rule, against Intl.Segmenter (random strings over the characters that matter)", () => {
  const u = new UniformStream(seededSource(101));
  const alphabet = [
    "a",
    "Z",
    "q",
    "0",
    "7",
    "_",
    ":",
    ".",
    "'",
    ",",
    ";",
    '"',
    " ",
    " ",
    "\t",
    "\r",
    "\n",
    "\r\n",
    "-",
    "#",
    "$",
    "!",
    "?",
    "(",
    ")",
    "/",
    "\u000b",
    "\f",
    "\u0000",
    "\u007f",
  ];
  for (let c = 0; c < 20_000; c++) agrees(randomText(u, alphabet, 40, 0), `random ASCII case ${c}`);
  // Long texts take wordSpans' typed arrays (from 4,096 characters) and make them grow.
  for (let c = 0; c < 20; c++) {
    const long = Array.from({ length: 400 }, () => randomText(u, alphabet, 40, 0)).join("");
    spansAgree(long, reference(long), `long random ASCII case ${c}`);
  }
});

test("mixed Unicode: non-ASCII stretches go to the segmenter, cut where every rule has a boundary", () => {
  const u = new UniformStream(seededSource(102));
  const pieces = [
    "the",
    "Cat",
    "don't",
    "3.14",
    "U.S.",
    "e-mail",
    " ",
    "  ",
    "\n",
    ",",
    ".",
    "café",
    "naïve",
    "ÉCOLE",
    "straße",
    "e\u0301",
    "\u0301",
    "😀",
    "👩‍👩‍👧‍👦",
    "🇫🇷",
    "東京",
    "カタカナ",
    "שלום",
    "’",
    "\u00a0",
    "\u200b",
    "\u2028",
    "a\u200db",
    "x\ufe0f",
    "İ",
    "ı",
    "\ud800",
    "1\u066b2",
  ];
  for (let c = 0; c < 5_000; c++) agrees(randomText(u, pieces, 30, 0.5), `mixed case ${c}`);
});

test(
  "real text: the benchmark corpora, line by line and as long stretches",
  { skip: !existsSync(dataPath("sst2")) && "the shared data is not beside the repository" },
  () => {
    const files = ["sst2/sentence-level/stsa.binary.train", "trec/TREC.train.all", "sms-spam/SMSSpamCollection"].map(dataPath).filter(existsSync);
    assert.ok(files.length >= 2, "at least two corpora were found");
    for (const f of files) {
      const lines = readFileSync(f, "utf8").split("\n");
      for (const line of lines.slice(0, 3000)) agrees(line, f);
      agrees(lines.slice(0, 400).join("\n"), `${f}, 400 lines at once`);
    }
  },
);

function dataPath(rel: string): string {
  return fileURLToPath(new URL(`../../../../../shared/data/${rel}`, import.meta.url));
}
