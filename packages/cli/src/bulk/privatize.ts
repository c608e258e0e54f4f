// One record through perturb(): its text taken out, privatized, put back.
import type { PerturbOptions, Veil } from "@veil/core";
import { RecordProblem, splitRecord, type RecordFormat } from "./records.js";

/** The record with its text privatized; an empty text stays empty (there is nothing to protect). Throws `RecordProblem`. */
export function privatizeRecord(veil: Veil, line: string, format: RecordFormat, options: PerturbOptions): string {
  const r = splitRecord(line, format);
  if (r.text.length === 0) return r.rebuild("");
  try {
    return r.rebuild(veil.perturb(r.text, options).text);
  } catch (err) {
    const e = err as Error;
    throw new RecordProblem(`${e.name}: ${e.message}`);
  }
}
