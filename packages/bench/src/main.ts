#!/usr/bin/env node
// `pnpm bench:utility` and `pnpm bench:speed` (see --help).
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DatasetError, type DataFormat } from "./datasets.js";
import { DEFAULT_PACK, RESULTS_DIR, SHARED_DATA, writeResult } from "./results.js";
import { DEFAULT_GRID, seriesOf, type DatasetSpec, type Setting } from "./utility.js";
import { readFileSync } from "node:fs";
import { comparisons, runUtility, summarize, writeCharts, writeTables, type UtilityReport } from "./utility-run.js";
import { runSpeed } from "./speed-run.js";
import { comparePacks, packComparisonTable } from "./pack-compare.js";

const HELP = `Usage:
  pnpm bench:utility [options]   accuracy of a classifier trained on privatized text, per mechanism and setting
  pnpm bench:speed [options]     tokens/second per mechanism and backend, against this machine's measured bounds
  node packages/bench/dist/main.js charts [--out DIR]   re-derives the comparisons and charts from DIR/utility.json
  node packages/bench/dist/main.js packs BASE.json OTHER.json...   utility on other packs against a base pack
                                                            (N_w change, accuracy at matched N_w; markdown)
  node packages/bench/dist/main.js rank-c [--pack P]   chooses M10's constant c on SST-2's training words
                                                            (docs/mechanisms.md, M10; writes rank-c.json and .md)
  node packages/bench/dist/main.js pack-size [--pack P]   where a pack's bytes go: brotli per section against its
                                                            entropy, and the table coded as id sets (markdown)

Utility options:
  --data PATH           your own labelled data instead of SST-2 and TREC-6
  --test PATH           its test split (without one, 20% is held out by a seeded split)
  --format F            tsv | csv | fasttext | space ("<label> <text>")     (default tsv)
  --text-col N          0-based text column for tsv/csv                      (default 1)
  --label-col N         0-based label column for tsv/csv                     (default 0)
  --name NAME           the dataset's name in the results (default: the file name)
  --datasets LIST       built-in datasets to run: sst2,trec                   (default both)
  --mechanisms LIST     laplace,...,laplace-rank, and laplace+stopwords, gumbel+stopwords for the
                        stopword option                                       (default all)
  --public N            also train with N clean public training texts added (the analyst's own
                        data, disjoint from the privatized ones) and report what it recovers
  --train-limit N       training texts used per dataset, a seeded subset      (default 2500)
  --seeds N             seeds per point                                       (default 3)
Speed options:
  --no-browser          skip the Chromium part (WASM and WebGPU in Veil's worker)
  --full-table          also build the whole 50k-word neighbour table (about 35 s)
Both:
  --threads N           worker threads                                        (default: cores, at most 4)
  --pack PATH           embedding pack                                        (default: the GloVe 50k pack)
  --out DIR             where results go                                      (default bench/results)
  --smoke               a tiny run that checks the harness end to end (npm test runs it)
`;

const { values: a } = parseArgs({
  allowPositionals: true,
  options: {
    help: { type: "boolean" },
    smoke: { type: "boolean" },
    data: { type: "string" },
    test: { type: "string" },
    format: { type: "string" },
    "text-col": { type: "string" },
    "label-col": { type: "string" },
    name: { type: "string" },
    datasets: { type: "string" },
    mechanisms: { type: "string" },
    "train-limit": { type: "string" },
    seeds: { type: "string" },
    public: { type: "string" },
    threads: { type: "string" },
    pack: { type: "string" },
    out: { type: "string" },
    "no-browser": { type: "boolean" },
    "full-table": { type: "boolean" },
  },
});
const command = process.argv[2];
if (a.help || !["utility", "speed", "charts", "packs", "rank-c", "pack-size"].includes(command ?? "")) {
  process.stdout.write(HELP);
  process.exit(a.help ? 0 : 2);
}

function int(name: string, value: string | undefined, def: number, min = 1): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be an integer >= ${min}, got ${value}\n`);
    process.exit(2);
  }
  return n;
}

const smoke = a.smoke === true;
const threads = int("threads", a.threads, Math.min(4, os.availableParallelism()));
const pack = path.resolve(a.pack ?? DEFAULT_PACK);
const outDir = path.resolve(a.out ?? RESULTS_DIR);

try {
  if (command === "packs") {
    const [base, ...others] = process.argv
      .slice(3)
      .filter((x) => !x.startsWith("--"))
      .map((f) => JSON.parse(readFileSync(f, "utf8")) as UtilityReport);
    if (!base || others.length === 0) throw new DatasetError("packs needs a base utility.json and at least one other");
    process.stdout.write(packComparisonTable(base, comparePacks(base, others)) + "\n");
  } else if (command === "pack-size") {
    const { packSizeReport } = await import("./pack-size.js");
    process.stdout.write((await packSizeReport(pack)) + "\n");
  } else if (command === "rank-c") {
    const { chooseRankConstant } = await import("./rank-constant-run.js");
    process.stdout.write((await chooseRankConstant(pack, outDir)) + "\n");
  } else if (command === "charts") {
    // Re-derives what is computed from the per-seed figures (comparisons, charts); the figures stay as measured.
    const report = JSON.parse(readFileSync(path.join(outDir, "utility.json"), "utf8")) as UtilityReport;
    for (const d of report.datasets) Object.assign(d, comparisons(d.points, report.config.seeds));
    writeResult(outDir, "utility.json", report);
    process.stdout.write(summarize({ ...report, files: [...writeCharts(report, outDir), ...writeTables(report, outDir)] }));
  } else if (command === "speed") await runSpeed({ pack, outDir, smoke, browser: !smoke && a["no-browser"] !== true, fullTable: a["full-table"] === true });
  else {
    const trainLimit = int("train-limit", a["train-limit"], smoke ? 300 : 2500);
    const publicCount = a.public === undefined ? 0 : int("public", a.public, 0, 0);
    const privateTestLimit = smoke ? 100 : 500;
    let datasets: DatasetSpec[];
    if (a.data) {
      const format = (a.format ?? "tsv") as DataFormat;
      if (!["tsv", "csv", "fasttext", "space"].includes(format)) throw new DatasetError(`--format must be tsv, csv, fasttext or space, got ${format}`);
      datasets = [
        {
          name: a.name ?? path.basename(a.data).replace(/\.[^.]*$/, ""),
          train: path.resolve(a.data),
          ...(a.test && { test: path.resolve(a.test) }),
          format,
          textCol: int("text-col", a["text-col"], 1, 0),
          labelCol: int("label-col", a["label-col"], 0, 0),
          trainLimit,
          privateTestLimit,
          publicCount,
        },
      ];
    } else {
      const builtIn: DatasetSpec[] = [
        {
          name: "sst2",
          train: `${SHARED_DATA}/sst2/sentence-level/stsa.binary.train`,
          test: `${SHARED_DATA}/sst2/sentence-level/stsa.binary.test`,
          format: "space",
          trainLimit,
          privateTestLimit,
          publicCount,
        },
        {
          name: "trec",
          train: `${SHARED_DATA}/trec/TREC.train.all`,
          test: `${SHARED_DATA}/trec/TREC.test.all`,
          format: "space",
          trainLimit,
          privateTestLimit,
          publicCount,
        },
      ];
      const wanted = (a.datasets ?? (smoke ? "sst2" : "sst2,trec")).split(",");
      datasets = builtIn.filter((d) => wanted.includes(d.name));
      if (datasets.length !== wanted.length) throw new DatasetError(`--datasets takes sst2 and/or trec, got ${a.datasets}`);
    }
    const allSeries = [...new Set(DEFAULT_GRID.map(seriesOf))];
    const mechanisms = a.mechanisms ? a.mechanisms.split(",") : allSeries;
    const unknown = mechanisms.filter((m) => !allSeries.includes(m));
    if (unknown.length) throw new DatasetError(`--mechanisms takes ${allSeries.join(", ")}; got ${unknown.join(", ")}`);
    let grid: Setting[] = DEFAULT_GRID.filter((s) => mechanisms.includes(seriesOf(s)));
    if (smoke) grid = mechanisms.map((m) => DEFAULT_GRID.find((s) => seriesOf(s) === m)!).filter(Boolean);
    await runUtility({
      pack,
      backend: "wasm",
      datasets,
      grid,
      seeds: int("seeds", a.seeds, smoke ? 2 : 3),
      threads,
      outDir,
      fit: { epochs: smoke ? 2 : 5 },
      statsWords: smoke ? 5 : 60,
      statsDraws: smoke ? 20 : 100,
      attack: smoke ? { words: 20, draws: 10 } : { words: 300, draws: 100 },
      label: smoke ? "smoke run: not a measurement" : trainLimit < 6920 ? `training texts subsampled to ${trainLimit} for time` : "",
    });
  }
} catch (e) {
  process.stderr.write(`bench ${command}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
}
