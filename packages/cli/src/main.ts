#!/usr/bin/env node
// The `veil` command. Run from the repository root as `pnpm veil <command>`.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { availableParallelism } from "node:os";
import {
  createVeil,
  MECHANISMS,
  MAX_TEXT_LENGTH,
  TextTooLargeError,
  VeilError,
  type Veil,
  type MechanismOptions,
  type BackendPreference,
  type AttackResult,
  type VectorType,
  type TableCoding,
} from "@veil/core";
import { metadataSummary, packSections, quantizationNote } from "./pack-info.js";
import { COMMON_WORDS_SOURCE, missingCommonWords } from "./pack/common-words.js";
import { defaultPackPath, readPackFile } from "./paths.js";
import { buildPack } from "./pack/build-pack.js";
import type { RecordFormat } from "./bulk/records.js";

const USAGE = `veil: differential privacy for text, word by word.

Usage:
  veil perturb --mechanism <${MECHANISMS.join("|")}> --epsilon <x> [--json] [--oov redact|keep]
               [--scale b] [--lambda l] [--beta b]          text on stdin, result on stdout
               [--t t] [--base laplace|mahalanobis] [--s s] [--p p] [--group-size K]
               [--variant geometric|list-tem] [--radius r] [--c c] [--keep stopwords]
                                                           each mechanism's parameters (docs/mechanisms.md)
  veil perturb ... --input FILE --output FILE [--format text|jsonl|tsv] [--field NAME] [--column N]
               [--threads N] [--checkpoint-every N]       a corpus of any size, record by record (a line; a JSONL
                                                           field, default "text"; a TSV column, default 0), in order,
                                                           resumable: run the same command again after a kill
  veil stats   --mechanism <m> --epsilon <x> [--samples N] [--top N] WORD...
                                                           JSON: N_w, S_w, most likely outputs
  veil pack    [--from wink|glove] [--input FILE] [--words N] [--k K] [--vectors f32|f16|int8] [--table sets|ids] [--out FILE] [--all-tokens]
               [--rank-c c]                                 (c: M10's rank constant, stored in the pack)
                                                           build an embedding pack (--k 0: no table, built at load)
  veil attack  --mechanism <m> --epsilon <x> [--prior FILE|uniform] [--words N] [--samples N] [--top K] [--json]
                                                           how often the best attacker recovers a word from its
                                                           privatized output (prior: word counts of FILE's text)
  veil info                                                the pack's header figures
  veil audit   [--mechanism m] [--epsilon x] [--samples N] [--json]
                                                           test each mechanism's privacy claim on the pack

Common options:
  --pack PATH        the embedding pack (default: ${"packs/glove-6b-100d-50k.veilpack"}, or $VEIL_PACK)
  --backend B        auto (default) | wasm | js
  --seed N           TESTING ONLY: deterministic randomness (never for real data)
  -h, --help`;

class UsageError extends Error {}

const options = {
  mechanism: { type: "string", short: "m" },
  epsilon: { type: "string", short: "e" },
  json: { type: "boolean" },
  oov: { type: "string" },
  scale: { type: "string" },
  lambda: { type: "string" },
  beta: { type: "string" },
  t: { type: "string" },
  base: { type: "string" },
  s: { type: "string" },
  p: { type: "string" },
  "group-size": { type: "string" },
  variant: { type: "string" },
  radius: { type: "string" },
  c: { type: "string" },
  keep: { type: "string" },
  "rank-c": { type: "string" },
  samples: { type: "string" },
  top: { type: "string" },
  pack: { type: "string" },
  backend: { type: "string" },
  seed: { type: "string" },
  from: { type: "string" },
  input: { type: "string" },
  words: { type: "string" },
  k: { type: "string" },
  vectors: { type: "string" },
  table: { type: "string" },
  out: { type: "string" },
  output: { type: "string" },
  format: { type: "string" },
  field: { type: "string" },
  column: { type: "string" },
  "checkpoint-every": { type: "string" },
  threads: { type: "string" },
  "all-tokens": { type: "boolean" },
  prior: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === "" || Number.isNaN(x)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(v.slice(0, 40))}`);
  return x;
}

function int(name: string, v: string | undefined, lo: number, hi: number): number | undefined {
  const x = num(name, v);
  if (x !== undefined && !(Number.isInteger(x) && x >= lo && x <= hi)) throw new UsageError(`--${name} must be an integer in [${lo}, ${hi}]`);
  return x;
}

type Values = ReturnType<typeof parse>["values"];
function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function mechanismOptions(v: Values): MechanismOptions {
  if (!v.mechanism) throw new UsageError("--mechanism is required");
  if (v.epsilon === undefined) throw new UsageError("--epsilon is required");
  const o: MechanismOptions = { mechanism: v.mechanism as MechanismOptions["mechanism"], epsilon: num("epsilon", v.epsilon)! };
  // Numbers are parsed here; their ranges are checked by the core (the same messages as the library's).
  const numeric = { scale: "scale", lambda: "lambda", beta: "beta", t: "t", s: "s", p: "p", "group-size": "groupSize", radius: "radius", c: "c" } as const;
  for (const [flag, key] of Object.entries(numeric)) {
    const x = num(flag, v[flag as keyof typeof numeric]);
    if (x !== undefined) o[key] = x;
  }
  if (v.base !== undefined) o.base = v.base as NonNullable<MechanismOptions["base"]>;
  if (v.variant !== undefined) o.variant = v.variant as NonNullable<MechanismOptions["variant"]>;
  if (v.keep !== undefined) o.keep = v.keep as NonNullable<MechanismOptions["keep"]>;
  return o;
}

async function loadVeil(v: Values): Promise<Veil> {
  const bytes = await readPackFile(v.pack ?? defaultPackPath());
  const veil = await createVeil({ pack: bytes, backend: (v.backend ?? "auto") as BackendPreference });
  const seed = int("seed", v.seed, 0, 2 ** 32 - 1);
  if (seed !== undefined) {
    // Testing only: the seeded generator lives behind @veil/core/testing, loaded only for --seed; results are marked seeded.
    const { useSeededRandom } = await import("@veil/core/testing");
    useSeededRandom(veil, seed);
  }
  return veil;
}

/**
 * Reads stdin, refusing input past what perturb accepts: at most 3 UTF-8 bytes per
 * UTF-16 unit, so memory stays below about 3 x MAX_TEXT_LENGTH bytes however much is piped in.
 */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError("perturb reads the text from stdin: echo 'some text' | veil perturb ...");
  const limit = 3 * MAX_TEXT_LENGTH + 1;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > limit) {
      process.stdin.destroy();
      throw new TextTooLargeError(Math.ceil(size / 3), MAX_TEXT_LENGTH); // at least this many characters
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** `veil attack`'s table for people. */
function attackTable(r: AttackResult & { mechanism: string; epsilon: number; prior: string }): string {
  const how = r.sampled ? `sampled, ${r.sampled.samples} draws per word; bounds ${pct(r.sampled.bounds[0])} to ${pct(r.sampled.bounds[1])}` : "exact law";
  return [
    `Attacker's success: ${r.mechanism}, epsilon ${r.epsilon}, prior ${r.prior} (${r.inputs} words, ${pct(r.priorCoverage)} of its mass)`,
    `  recovers the original word     ${pct(r.R).padStart(6)}   (the prior alone: ${pct(r.baseline.R)})`,
    `  within ${String(r.k).padEnd(2)} guesses            ${pct(r.Rk).padStart(6)}   (the prior alone: ${pct(r.baseline.Rk)})`,
    `  ${how}`,
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(USAGE + "\n");
    return command ? 0 : 2;
  }
  const { values: v, positionals } = parse(rest);
  if (v.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command ${JSON.stringify(command.slice(0, 40))}; use perturb, stats, pack, info, audit or attack`);
  return run(v, positionals);
}

/** `veil perturb`: text on stdin, the privatized text (or the whole result as JSON) on stdout. */
async function perturbCommand(v: Values): Promise<number> {
  const o = mechanismOptions(v);
  if (v.oov !== undefined && v.oov !== "keep" && v.oov !== "redact") throw new UsageError("--oov must be redact or keep");
  if (v.input || v.output) return bulkPerturb(v, o);
  const veil = await loadVeil(v);
  let text = await readStdin();
  const trailingNewline = text.endsWith("\n") && !v.json;
  if (trailingNewline) text = text.slice(0, -1);
  const res = veil.perturb(text, { ...o, ...(v.oov && { oov: v.oov as "keep" | "redact" }) });
  process.stdout.write(v.json ? JSON.stringify(res, null, 2) + "\n" : res.text + (trailingNewline ? "\n" : ""));
  return 0;
}

/** `veil perturb --input FILE --output FILE`: a corpus, streamed through worker threads (bulk/bulk.ts). */
async function bulkPerturb(v: Values, o: MechanismOptions): Promise<number> {
  if (!v.input || !v.output) throw new UsageError("a corpus needs both --input FILE and --output FILE");
  const kind = v.format ?? "text";
  if (kind !== "text" && kind !== "jsonl" && kind !== "tsv") throw new UsageError("--format must be text, jsonl or tsv");
  const format: RecordFormat =
    kind === "jsonl" ? { kind, field: v.field ?? "text" } : kind === "tsv" ? { kind, column: int("column", v.column, 0, 100_000) ?? 0 } : { kind };
  const { runBulk } = await import("./bulk/bulk.js");
  const report = await runBulk({
    input: v.input,
    output: v.output,
    format,
    pack: v.pack ?? defaultPackPath(),
    backend: (v.backend ?? "auto") as BackendPreference,
    options: { ...o, ...(v.oov && { oov: v.oov as "keep" | "redact" }) },
    threads: int("threads", v.threads, 1, 256) ?? Math.min(4, availableParallelism()),
    ...(v["checkpoint-every"] && { checkpointEvery: int("checkpoint-every", v["checkpoint-every"], 1, 100_000_000)! }),
    ...(v.seed !== undefined && { seed: int("seed", v.seed, 0, 2 ** 32 - 1)! }),
  });
  if (v.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  return 0;
}

/** `veil stats`: N_w, S_w and the likeliest outputs of each WORD, as JSON. */
async function statsCommand(v: Values, positionals: string[]): Promise<number> {
  const o = mechanismOptions(v);
  if (positionals.length === 0) throw new UsageError("stats needs at least one WORD");
  const samples = int("samples", v.samples, 1, 10_000_000) ?? 1000;
  const top = int("top", v.top, 1, 1000) ?? 10;
  const veil = await loadVeil(v);
  const out = positionals.map((w) => ({ mechanism: o.mechanism, epsilon: o.epsilon, ...veil.stats(w, o, { samples, top }) }));
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  return 0;
}

/** `veil pack`: builds an embedding pack from the wink vectors or a GloVe/word2vec text file. */
async function packCommand(v: Values): Promise<number> {
  const from = (v.from ?? (v.input ? "glove" : "wink")) as "wink" | "glove";
  if (from !== "wink" && from !== "glove") throw new UsageError("--from must be wink or glove");
  if (from === "glove" && !v.input) throw new UsageError("--from glove needs --input FILE (GloVe or word2vec text)");
  const report = await buildPack({
    from,
    ...(v.input && { input: v.input }),
    words: int("words", v.words, 2, 10_000_000) ?? 50_000,
    K: int("k", v.k, 0, 1024) ?? 64,
    vectors: vectorType(v.vectors),
    tableCoding: tableCoding(v.table),
    out: v.out ?? defaultPackPath(),
    ...(v.threads && { threads: int("threads", v.threads, 1, 256)! }),
    allTokens: v["all-tokens"] === true,
    ...(v["rank-c"] !== undefined && { rankC: positive("rank-c", v["rank-c"]) }),
  });
  if (v.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  return 0;
}

function positive(name: string, v: string): number {
  const x = num(name, v)!;
  if (!(x > 0 && Number.isFinite(x))) throw new UsageError(`--${name} must be a positive number`);
  return x;
}

function vectorType(v: string | undefined): VectorType {
  if (v === undefined) return "f32";
  if (v !== "f32" && v !== "f16" && v !== "int8") throw new UsageError("--vectors must be f32, f16 or int8");
  return v;
}

function tableCoding(v: string | undefined): TableCoding {
  if (v === undefined) return "sets";
  if (v !== "sets" && v !== "ids") throw new UsageError("--table must be sets or ids");
  return v;
}

/** `veil audit`: tests each mechanism's privacy claim on the pack; exit 1 when one fails. */
async function auditCommand(v: Values): Promise<number> {
  const { audit } = await import("./audit.js");
  const veil = await loadVeil(v);
  const mechanisms = v.mechanism ? [v.mechanism] : [...MECHANISMS];
  for (const m of mechanisms) if (!(MECHANISMS as readonly string[]).includes(m)) throw new UsageError(`--mechanism must be one of ${MECHANISMS.join(", ")}`);
  const report = audit(veil, mechanisms as MechanismOptions["mechanism"][], {
    epsilon: num("epsilon", v.epsilon),
    samples: int("samples", v.samples, 1000, 10_000_000),
    log: (line) => process.stderr.write(line + "\n"),
  });
  const { table, ...json } = report;
  if (v.json) process.stderr.write(table + "\n");
  process.stdout.write(v.json ? JSON.stringify(json, null, 2) + "\n" : table + "\n");
  return report.passed ? 0 : 1;
}

/** `veil attack`: how often the best attacker recovers a word at one setting (table or JSON). */
async function attackCommand(v: Values): Promise<number> {
  const o = mechanismOptions(v);
  const veil = await loadVeil(v);
  const prior = !v.prior || v.prior === "uniform" ? ("uniform" as const) : veil.corpusPrior([await readFile(v.prior, "utf8")]);
  const r = veil.attack(o, {
    prior,
    words: int("words", v.words, 1, 10_000_000) ?? 1000,
    samples: int("samples", v.samples, 2, 100_000) ?? 200,
    k: int("top", v.top, 1, 100) ?? 5,
  });
  const result = { mechanism: o.mechanism, epsilon: o.epsilon, prior: v.prior ?? "uniform", ...r };
  process.stdout.write(v.json ? JSON.stringify(result, null, 2) + "\n" : attackTable(result) + "\n");
  return 0;
}

/** `veil info`: the pack's header figures, how it stores its vectors and table, and what that changes, as JSON. */
async function infoCommand(v: Values): Promise<number> {
  const veil = await loadVeil(v);
  const e = veil.embedding;
  process.stdout.write(
    JSON.stringify(
      {
        n: e.n,
        d: e.d,
        K: e.K,
        dMin: e.dMin,
        dMax: e.dMax,
        sha256: e.sha256,
        stored: e.stored,
        bytes: packSections(await readFile(v.pack ?? defaultPackPath())),
        quantization: quantizationNote(e.stored?.vectorType ?? "f32"),
        missingCommonWords: { words: missingCommonWords((k) => e.index.has(k)), source: COMMON_WORDS_SOURCE },
        metadata: metadataSummary(e.metadata, e.n),
        gumbelMinEpsilon: veil.minEpsilon("gumbel"),
        backend: veil.backend,
      },
      null,
      2,
    ) + "\n",
  );
  return 0;
}

/** The commands, by name. */
const COMMANDS: Record<string, (v: Values, positionals: string[]) => Promise<number>> = {
  perturb: perturbCommand,
  stats: statsCommand,
  pack: packCommand,
  audit: auditCommand,
  attack: attackCommand,
  info: infoCommand,
};

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`veil: ${e.message}\n(see veil --help)\n`);
      process.exitCode = 2;
    } else if (e instanceof VeilError) {
      process.stderr.write(`veil: ${e.name}: ${e.message}\n`);
      process.exitCode = 1;
    } else if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && (e as NodeJS.ErrnoException).syscall) {
      // A file that cannot be read or written (missing input, read-only or full disk): say which and why.
      const err = e as NodeJS.ErrnoException;
      process.stderr.write(`veil: cannot ${err.syscall} ${err.path ?? "a file"} (${err.code}). Check the path and the disk.\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`veil: unexpected error: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 70;
    }
  },
);
