import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writePack } from "@veil/core";
import { packSizeReport, sortedGaps } from "./pack-size.js";

/** Reads LEB128 varint gaps back into each row's sorted ids. */
function decodeGaps(bytes: Uint8Array, rows: number, width: number): number[][] {
  const out: number[][] = [];
  let at = 0;
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    let prev = 0;
    for (let j = 0; j < width; j++) {
      let gap = 0;
      for (let shift = 0; ; shift += 7) {
        const b = bytes[at++]!;
        gap |= (b & 127) << shift;
        if (b < 128) break;
      }
      row.push((prev += gap));
    }
    out.push(row);
  }
  return out;
}

test("pack-size: the table's id sets decode back to each row's first columns, sorted", () => {
  const K = 4;
  const ids = Uint16Array.from([7, 3, 900, 2, 1, 0, 40000, 5, 300, 301, 299, 2]);
  const gaps = sortedGaps(ids, 3, K, 3);
  assert.deepEqual(decodeGaps(gaps, 3, 3), [
    [3, 7, 900],
    [0, 1, 40000],
    [299, 300, 301],
  ]);
});

test("pack-size: a report per section, each narrower table no larger than the full one", async () => {
  const n = 400;
  const d = 8;
  const K = 24;
  const vectors = Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 12.9898) * 3);
  const neighbours = Int32Array.from({ length: n * K }, (_, i) => (Math.floor(i / K) + 1 + (i % K) * 7) % n);
  const dir = mkdtempSync(join(tmpdir(), "veil-pack-size-"));
  try {
    const file = join(dir, "toy.veilpack");
    writeFileSync(file, await writePack({ words: Array.from({ length: n }, (_, i) => `w${i}`), d, vectors, neighbours, K, dMin: 0.1, dMax: 9 }));
    const report = await packSizeReport(file);
    assert.match(report, /n 400, d 8, K 24, table stored as ids/);
    // Each table row: label, raw, brotli, entropy, as sets (MB).
    const row = (label: string) =>
      report
        .split("\n")
        .find((l) => l.startsWith(`| ${label}`))!
        .split("|")
        .slice(2, -1)
        .map((c) => Number(c.trim().split(" ")[0]));
    assert.equal(row("whole pack")[0], Number((statSync(file).size / 1e6).toFixed(3)));
    const [full, twenty, sixteen] = ["24", "20", "16"].map((w) => row(`neighbour table as ids, first ${w}`));
    assert.deepEqual([full![0], twenty![0], sixteen![0]], [0.019, 0.016, 0.013], "raw: n × width × 2 bytes");
    for (const narrower of [twenty!, sixteen!]) for (let c = 1; c < 5; c++) assert.ok(narrower[c]! <= full![c]!, `${narrower} vs ${full}`);
    assert.equal(row("neighbour table as stored (ids)")[0], 0.019);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
