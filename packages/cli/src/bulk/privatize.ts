// One record through perturb(): its text taken out, privatized, put back.
import type { PerturbOptions, Veil } from "@veil/core";
import { BulkRecordError, splitRecord, type RecordFormat } from "./records.js";

/** The record on line `n` with its text privatized; an empty text stays empty (there is nothing to protect). */
export function privatizeRecord(veil: Veil, line: string, n: number, format: RecordFormat, options: PerturbOptions): string {
  const r = splitRecord(line, n, format);
  if (r.text.length === 0) return r.rebuild("");
  try {
    return r.rebuild(veil.perturb(r.text, options).text);
  } catch (err) {
    const e = err as Error;
    throw new BulkRecordError(n, `${e.name}: ${e.message}`);
  }
}
