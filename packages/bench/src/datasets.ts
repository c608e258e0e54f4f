// Labelled text datasets for the utility benchmark, read in place (never copied).
//   space:    "<label> <text>" per line (SST-2 sentence level, TREC-6 .all files)
//   tsv/csv:  a label column and a text column (0-based), csv with RFC 4180 quoting
//   fasttext: "__label__<label> <text>"
import { readFileSync } from "node:fs";
import { seededSource, UniformStream } from "@veil/core/testing";

export interface Example {
  text: string;
  label: string;
}

export type DataFormat = "space" | "tsv" | "csv" | "fasttext";

export interface ReadOptions {
  format: DataFormat;
  textCol?: number;
  labelCol?: number;
}

export class DatasetError extends Error {
  override name = "DatasetError";
}

export function parseDataset(content: string, o: ReadOptions): Example[] {
  const out: Example[] = [];
  const rows = o.format === "csv" ? parseCsv(content) : content.split(/\r?\n/).filter((l) => l.trim() !== "");
  rows.forEach((row, i) => {
    let label: string | undefined, text: string | undefined;
    if (o.format === "space") {
      const sp = (row as string).indexOf(" ");
      if (sp > 0) ((label = (row as string).slice(0, sp)), (text = (row as string).slice(sp + 1)));
    } else if (o.format === "fasttext") {
      const m = /^__label__(\S+)\s+(.*)$/.exec(row as string);
      if (m) ((label = m[1]), (text = m[2]));
    } else {
      const cells = o.format === "tsv" ? (row as string).split("\t") : (row as string[]);
      label = cells[o.labelCol ?? 0];
      text = cells[o.textCol ?? 1];
    }
    if (label === undefined || text === undefined || text.trim() === "") throw new DatasetError(`line ${i + 1}: no label and text in the ${o.format} format`);
    out.push({ label: label.trim(), text: text.trim() });
  });
  if (out.length === 0) throw new DatasetError("the dataset is empty");
  return out;
}

export function readDataset(path: string, o: ReadOptions): Example[] {
  return parseDataset(readFileSync(path, "utf8"), o);
}

/** RFC 4180 CSV: quoted fields may hold commas, newlines and doubled quotes. Blank rows are skipped. */
export function parseCsv(content: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < content.length; i++) {
    const c = content[i]!;
    if (quoted) {
      if (c === '"' && content[i + 1] === '"') ((field += '"'), i++);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") (row.push(field), (field = ""));
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && content[i + 1] === "\n") i++;
      row.push(field);
      if (row.some((f) => f !== "")) rows.push(row);
      ((row = []), (field = ""));
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== "")) rows.push(row);
  return rows;
}

/** A seeded Fisher-Yates shuffle (a copy; the input is left alone). */
export function shuffleSeeded<T>(items: readonly T[], seed: number): T[] {
  const u = new UniformStream(seededSource(seed));
  const xs = [...items];
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(u.next() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** A seeded shuffle-and-split for data without a test set of its own. */
export function splitSeeded(examples: readonly Example[], testFraction: number, seed: number): { train: Example[]; test: Example[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new DatasetError("the test fraction must be in (0, 1)");
  const xs = shuffleSeeded(examples, seed);
  const nTest = Math.max(1, Math.round(xs.length * testFraction));
  return { test: xs.slice(0, nTest), train: xs.slice(nTest) };
}

/** At most `limit` examples, a seeded uniform subset kept in the original order (all of them when limit >= length). */
export function subsample(examples: readonly Example[], limit: number, seed: number): Example[] {
  if (limit >= examples.length) return [...examples];
  const keep = new Set(
    shuffleSeeded(
      examples.map((_, i) => i),
      seed,
    ).slice(0, limit),
  );
  return examples.filter((_, i) => keep.has(i));
}
