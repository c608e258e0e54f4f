#!/usr/bin/env node
// Fuzzers for what takes outside input: the tokenizer and perturb (random
// Unicode), the pack reader (random, truncated and bit-flipped bytes) and the
// CLI (malformed flags and input). Each case must give a typed VeilError or a
// correct result: never a crash, a hang, or the input's text in an error message.
//
//   node scripts/fuzz.mjs --target perturb|pack|cli [--seconds N] [--seed S]
//
// Inputs come from a seeded stream, so a finding is replayed with its seed and
// case number. `npm test` runs each target for a few seconds with a fixed seed.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createVeil, readPack, writePack, tokenize, VeilError, MECHANISMS, MAX_TEXT_LENGTH } from "../packages/core/dist/index.js";
import { seededSource, UniformStream } from "../packages/core/dist/testing.js";
import { toyEmbedding } from "../packages/core/dist/test-support/toy.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { target: { type: "string" }, seconds: { type: "string" }, seed: { type: "string" } } });
const target = values.target;
const seconds = Number(values.seconds ?? 10);
const seed = Number(values.seed ?? Date.now() % 2 ** 31);
if (!["perturb", "pack", "cli"].includes(target)) {
  console.error("usage: node scripts/fuzz.mjs --target perturb|pack|cli [--seconds N] [--seed S]");
  process.exit(2);
}
const u = new UniformStream(seededSource(seed));
const int = (n) => Math.floor(u.next() * n);
const pick = (xs) => xs[int(xs.length)];
/** A marker planted in every input: it must never appear in an error message. */
const MARK = "Qzxmarkqz";

// --- random Unicode -------------------------------------------------------------------
const PIECES = [
  () => pick(["the", "cat", "Paris", "don't", "e-mail", "naïve", "café", "ÉCOLE", "straße", "42", "3.14", "U.S.", "o'clock"]),
  () => pick(["\u0301", "\u0308", "\u20dd", "e\u0301", "a\u0300\u0316\u0317", "\u1100\u1161\u11a8"]), // combining marks, jamo
  () => pick(["😀", "👩‍👩‍👧‍👦", "🇫🇷", "👍🏽", "❤️", "🏳️‍🌈", "\ufe0f"]), // emoji, ZWJ sequences, flags
  () => pick(["שלום", "مرحبا بالعالم", "\u202e", "\u202d", "\u200f", "\u061c"]), // right-to-left text and marks
  () => pick(["\u0000", "\u0007", "\u001b[31m", "\r\n", "\t", "\u2028", "\u2029", "\u0085", "\ufeff", "\u200b"]), // controls
  () => pick(["\ud800", "\udfff", "\udc00a", "x\ud83d"]), // lone surrogates
  () => pick(["東京", "日本語の文章", "ภาษาไทย", "한국어", "Ελληνικά", "кириллица"]),
  () => pick(["a", "Z", "é", "ß", "ı", "İ"]).repeat(1 + int(u.next() < 0.05 ? 20000 : 50)), // very long words
  () => String.fromCharCode(int(0x10000)), // any UTF-16 unit
  () => String.fromCodePoint(0x10000 + int(0x100000)), // any astral code point
  () => pick([" ", "  ", "\n", ".", ",", "!", "?", "—", "…", "'", '"']),
  () => MARK,
];

function randomText() {
  if (u.next() < 0.01) return u.next() < 0.5 ? "" : "a ".repeat(MAX_TEXT_LENGTH / 2 + 1); // empty or over the limit
  const parts = [MARK];
  const n = int(u.next() < 0.1 ? 400 : 40);
  for (let i = 0; i < n; i++) parts.push(pick(PIECES)(), u.next() < 0.6 ? " " : "");
  return parts.join("");
}

// --- findings ---------------------------------------------------------------------------
let cases = 0;
const findings = [];
function finding(what, detail) {
  findings.push({ case: cases, what, detail: String(detail).slice(0, 500) });
  console.error(`FINDING (seed ${seed}, case ${cases}): ${what}: ${String(detail).slice(0, 300)}`);
}
function checkError(e, input) {
  if (!(e instanceof VeilError)) return finding("untyped error", e instanceof Error ? e.stack : e);
  if (e.message.includes(MARK) || (input.length >= 6 && e.message.includes(input.slice(0, 64)))) finding("input text in an error message", e.message);
}

// --- targets ---------------------------------------------------------------------------
const referenceSegmenter = new Intl.Segmenter("en", { granularity: "word" });
async function fuzzPerturb(deadline) {
  const defaultPack = path.join(root, "packs/glove-6b-100d-50k.veilpack");
  const pack = existsSync(defaultPack) ? readFileSync(defaultPack) : toyEmbedding(2000, 16, 16, 3);
  const veils = { wasm: await createVeil({ pack, backend: "wasm" }), js: await createVeil({ pack: toyEmbedding(300, 8, 8, 5), backend: "js" }) };
  const epsilon = {
    laplace: 10,
    exponential: 5,
    tem: 5,
    gumbel: Math.ceil(veils.wasm.minEpsilon("gumbel")) + 1,
    mahalanobis: 10,
    vickrey: 10,
    santext: 5,
    custext: 3,
    diffractor: 1,
    "laplace-rank": 10,
  };
  const noisy = new Set(["laplace", "mahalanobis", "vickrey", "laplace-rank"]); // M1's search per word: ~2k words/s
  while (Date.now() < deadline) {
    cases++;
    const text = randomText();
    // Tokenizer invariants: tokens tile the text exactly, in order.
    let toks;
    try {
      toks = tokenize(text);
    } catch (e) {
      finding("tokenize threw", e);
      continue;
    }
    let at = 0;
    for (const t of toks) {
      if (t.start !== at || text.slice(t.start, t.start + t.text.length) !== t.text) {
        finding("tokens do not tile the text", JSON.stringify(t).slice(0, 80));
        break;
      }
      at += t.text.length;
    }
    if (at !== text.length && toks.length) finding("tokens stop before the end", `${at} of ${text.length}`);
    // The same segments as one plain Intl.Segmenter pass (tokenize's ASCII fast path and its cuts; short texts: the pass is slow on long ones).
    if (text.length < 20_000) {
      const ref = [...referenceSegmenter.segment(text)];
      const same = ref.length === toks.length && ref.every((r, i) => r.segment === toks[i].text && (r.isWordLike === true) === toks[i].wordLike);
      if (!same) finding("tokens differ from Intl.Segmenter's", JSON.stringify(text.slice(0, 120)));
    }
    const backend = u.next() < 0.8 ? "wasm" : "js";
    const mechanism = pick(MECHANISMS);
    const words = toks.filter((t) => t.wordLike).length;
    if (noisy.has(mechanism) && words > 300) continue; // keep these cases short
    const started = Date.now();
    try {
      const r = veils[backend].perturb(text, {
        mechanism,
        epsilon: backend === "js" && mechanism === "gumbel" ? veils.js.minEpsilon("gumbel") + 1 : epsilon[mechanism],
      });
      if (r.words.length !== words) finding("word count", `${r.words.length} vs ${words}`);
      // The output is the input with each word replaced: rebuild it from the tokens.
      let k = 0;
      const rebuilt = toks.map((t) => (t.wordLike ? r.words[k++].output : t.text)).join("");
      if (rebuilt !== r.text) finding("output is not the input with words replaced", JSON.stringify(r.text.slice(0, 60)));
      if (r.text.includes(MARK) && !r.words.some((w) => w.source.includes(MARK) && !w.protected)) finding("a redacted word leaked", r.text.slice(0, 80));
    } catch (e) {
      checkError(e, text);
    }
    if (Date.now() - started > 10_000) finding("slow case (possible hang)", `${Date.now() - started} ms, ${text.length} chars, ${mechanism}`);
  }
}

async function fuzzPack(deadline) {
  const toy = toyEmbedding(200, 8, 8, 7);
  const good = await writePack({ words: toy.words, d: toy.d, vectors: toy.vectors, neighbours: toy.neighbours, K: toy.K, dMin: toy.dMin, dMax: toy.dMax });
  const defaultPack = path.join(root, "packs/glove-6b-100d-50k.veilpack");
  const bigHeader = existsSync(defaultPack) ? readFileSync(defaultPack).subarray(0, 4096) : good.subarray(0, 256);
  await readPack(good); // the unmutated pack reads
  while (Date.now() < deadline) {
    cases++;
    let bytes;
    const kind = int(5);
    if (kind === 0)
      bytes = Uint8Array.from({ length: int(4096) }, () => int(256)); // random bytes
    else if (kind === 1)
      bytes = good.slice(0, int(good.length)); // truncated
    else if (kind === 2) {
      bytes = good.slice(); // 1-8 bit flips anywhere
      for (let i = 1 + int(8); i > 0; i--) bytes[int(bytes.length)] ^= 1 << int(8);
    } else if (kind === 3) {
      bytes = good.slice(); // header fields overwritten with extreme values
      const view = new DataView(bytes.buffer);
      const off = 4 * int(Math.min(32, bytes.length / 4));
      view.setUint32(off, pick([0, 1, 0xffffffff, 0x7fffffff, 2 ** 31, int(2 ** 32)]), true);
    } else bytes = Uint8Array.from([...bigHeader.subarray(0, int(bigHeader.length)), ...Array.from({ length: int(64) }, () => int(256))]); // a real header, cut short
    const started = Date.now();
    try {
      await readPack(bytes);
      // Only an unchanged pack may read: every byte is covered by the header checks or the SHA-256.
      if (bytes.length !== good.length || bytes.some((b, i) => b !== good[i])) finding("a damaged pack was accepted", `kind ${kind}, ${bytes.length} bytes`);
    } catch (e) {
      if (!(e instanceof VeilError)) finding("untyped error", e instanceof Error ? e.stack : e);
    }
    if (Date.now() - started > 5_000) finding("slow case (possible hang)", `${Date.now() - started} ms`);
  }
}

function runCli(args, stdin) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, "packages/cli/dist/main.js"), ...args], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "",
      stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}

async function fuzzCli(deadline) {
  const badValues = ["", "NaN", "-1", "0", "1e309", "Infinity", "abc", "1.5", "99999999999", "--epsilon", MARK, "\u0001", "😀", "-0", "0x10"];
  const flagNames = [
    "--mechanism",
    "--epsilon",
    "--samples",
    "--top",
    "--scale",
    "--lambda",
    "--beta",
    "--oov",
    "--backend",
    "--seed",
    "--k",
    "--words",
    "--pack",
    "--bogus",
    "-m",
    "-e",
    "--json",
  ];
  while (Date.now() < deadline) {
    cases++;
    const cmd = pick(["perturb", "stats", "info", "pack", "help", "nope", "", "--help", MARK]);
    const args = cmd ? [cmd] : [];
    // Mostly well-formed flags, then damage some of them.
    if (cmd === "perturb" || cmd === "stats") args.push("--mechanism", pick([...MECHANISMS, "bogus"]), "--epsilon", pick(["1", "5", "50", ...badValues]));
    for (let i = int(4); i > 0; i--) {
      const f = pick(flagNames);
      if (f === "--pack") args.push(f, pick(["/nonexistent/pack", "package.json", "/dev/null", MARK]));
      else if (f === "--k" || f === "--words")
        continue; // `pack` would really build a pack: never send it valid sizes
      else args.push(f, ...(f === "--json" ? [] : [pick([...badValues, "10", "wasm", "keep", "js"])]));
    }
    if (cmd === "stats") args.push(pick(["the", MARK, "😀", ""]));
    if (cmd === "pack") args.push("--from", pick(["glove", "nope"]), "--input", "/nonexistent/vectors.txt", "--out", "/nonexistent/out.veilpack");
    const stdin = u.next() < 0.9 ? randomText() : "";
    const r = await runCli(args, stdin);
    if (r.signal) finding("killed (hang over 60 s)", args.join(" "));
    else if (![0, 1, 2].includes(r.code)) finding(`exit code ${r.code}`, `${args.join(" ")}: ${r.stderr}`);
    if (/unexpected error/.test(r.stderr)) finding("untyped error", `${args.join(" ")}: ${r.stderr}`);
    if (r.stderr.includes(MARK) && !args.includes(MARK) && !args.some((a) => a.includes(MARK))) finding("input text in an error message", r.stderr);
  }
}

const deadline = Date.now() + seconds * 1000;
const t0 = Date.now();
await { perturb: fuzzPerturb, pack: fuzzPack, cli: fuzzCli }[target](deadline);
console.log(`fuzz ${target}: ${cases} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s, seed ${seed}, ${findings.length} findings`);
process.exitCode = findings.length ? 1 : 0;
