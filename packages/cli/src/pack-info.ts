// What `veil info` says about how a pack is stored.
import { packByteLength, readPackHeader, VECTOR_TYPES, vectorTypeOf, CUSTEXT_GROUPS_KEY, WORD_ORDER_KEY } from "@veil/core";

/** The bytes each section of a pack takes, from its header. */
export function packSections(file: Uint8Array): { total: number; vectors: number; table: number; wordsAndMetadata: number } {
  const h = readPackHeader(file);
  const type = vectorTypeOf(h.vectorType) ?? "f32";
  const vectors = h.n * h.d * VECTOR_TYPES[type].bytes + (type === "int8" ? h.d * 4 : 0);
  const table = h.tableCoding === "sets" ? h.tableBytes : h.n * h.K * h.idBytes;
  const total = packByteLength(h);
  return { total, vectors, table, wordsAndMetadata: total - vectors - table - 128 };
}

/** What storing the vectors as `type` changes, in a sentence. */
export function quantizationNote(type: keyof typeof VECTOR_TYPES): string {
  if (type === "f32") return "float32 vectors: the source's values as they are.";
  const how = type === "f16" ? "rounded to the nearest float16" : "rounded to int8 steps of max|v|/127 per dimension";
  return (
    `${type} vectors: each value ${how}. The pack's embedding is the stored values: every distance, the neighbour table, d_min and d_max ` +
    "are computed on them (in float64), so every guarantee and exact law holds for this pack as it is; results differ from the float32 pack's " +
    "only as much as its vectors do."
  );
}

/**
 * The metadata as `veil info` shows it: the stored M8/M9 structures summarised
 * (how many groups, how many scan steps and bytes) instead of their base64.
 */
export function metadataSummary(metadata: Record<string, unknown>, n: number): Record<string, unknown> {
  const out: Record<string, unknown> = { ...metadata };
  const order = metadata[WORD_ORDER_KEY] as { scans?: string } | undefined;
  if (typeof order?.scans === "string") {
    const bytes = atob(order.scans).length;
    out[WORD_ORDER_KEY] = `stored: ${bytes / (n <= 65_536 ? 2 : 4)} scan steps (${bytes} bytes); the other steps replay from the table (M9)`;
  }
  const groups = metadata[CUSTEXT_GROUPS_KEY] as { groupSize?: number; groupOf?: string } | undefined;
  if (typeof groups?.groupOf === "string") out[CUSTEXT_GROUPS_KEY] = `stored: groups of ${groups.groupSize} for every word (M8)`;
  return out;
}
