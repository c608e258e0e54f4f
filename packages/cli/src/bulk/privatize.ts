// A range's records through one perturbBatch(): their texts taken out,
// privatized together (the same law as one perturb() per record, with one call
// to the mechanism instead of one per record), put back.
import { BatchTextError, type PerturbOptions, type Veil } from "@veil/core";
import { RecordProblem, splitRecord, type RecordFormat, type SplitRecord } from "./records.js";

/** What a range became: its privatized lines, or the first bad line (0-based in the range) and what is wrong with it. */
export type RangeOutcome = { lines: string[] } | { failed: { lineInRange: number; what: string } };

/** Every line privatized, or the first line that cannot be (nothing of the range is then released). An empty text stays empty. */
export function privatizeRecords(veil: Veil, lines: readonly string[], format: RecordFormat, options: PerturbOptions): RangeOutcome {
  const records: SplitRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      records.push(splitRecord(lines[i]!, format));
    } catch (err) {
      if (err instanceof RecordProblem) return { failed: { lineInRange: i, what: err.message } };
      throw err;
    }
  }
  let texts: string[];
  try {
    texts = veil.perturbBatch(
      records.map((r) => r.text),
      options,
    );
  } catch (err) {
    // A text of the batch names its line; any other refusal (the options) is the range's first line's, as one perturb() per record would say.
    const bad = err instanceof BatchTextError ? { at: err.index, e: err.cause as Error } : { at: 0, e: err as Error };
    return { failed: { lineInRange: bad.at, what: `${bad.e.name}: ${bad.e.message}` } };
  }
  return { lines: records.map((r, i) => r.rebuild(texts[i]!)) };
}
