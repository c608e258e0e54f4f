// The records of a bulk file and how each one's text is taken out and put back:
// a line of text, a JSONL object's string field, or a TSV line's column. Errors
// name the line, never its content.
import { VeilError } from "@veil/core";

/** How a bulk file holds its texts. */
export type RecordFormat = { kind: "text" } | { kind: "jsonl"; field: string } | { kind: "tsv"; column: number };

/** A record split into its text and a function that puts the privatized text back. */
export interface SplitRecord {
  text: string;
  rebuild(privatized: string): string;
}

/** A bad record: the line number, and what is wrong with it (the content is never quoted). */
export class BulkRecordError extends VeilError {
  override name = "BulkRecordError";
  constructor(
    readonly line: number,
    what: string,
  ) {
    super("BULK_RECORD", `line ${line}: ${what}. Fix or remove that line and run the same command again (it resumes).`);
  }
}

/** What is wrong with one record, before its line number is known (the worker sees only its range). */
export class RecordProblem extends Error {
  override name = "RecordProblem";
}

/** Splits a line of the input into its text and the rest; throws `RecordProblem` for a bad one. */
export function splitRecord(line: string, format: RecordFormat): SplitRecord {
  if (format.kind === "text") return { text: line, rebuild: (t) => t };
  if (format.kind === "tsv") return splitTsv(line, format.column);
  return splitJsonl(line, format.field);
}

function splitTsv(line: string, column: number): SplitRecord {
  const cells = line.split("\t");
  if (column >= cells.length) throw new RecordProblem(`it has ${cells.length} columns, and column ${column} (0-based) was asked for`);
  return {
    text: cells[column]!,
    rebuild: (t) => {
      const out = cells.slice();
      out[column] = t;
      return out.join("\t");
    },
  };
}

function splitJsonl(line: string, field: string): SplitRecord {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    throw new RecordProblem("it is not valid JSON");
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new RecordProblem("it is not a JSON object");
  const value = (obj as Record<string, unknown>)[field];
  if (typeof value !== "string")
    throw new RecordProblem(`its field ${JSON.stringify(field.slice(0, 40))} is ${value === undefined ? "missing" : "not a string"}`);
  return { text: value, rebuild: (t) => JSON.stringify({ ...(obj as Record<string, unknown>), [field]: t }) };
}
