#!/usr/bin/env node
// The page's share of `loadVeil`: builds e2e/size (a page that imports only
// loadVeil from @veil/web) with Vite, as an app would, and adds up the gzip size
// of the entry chunk and every chunk it imports statically. The worker, the
// WebAssembly and what is loaded on demand (the in-thread engine) do not count:
// the page does not download them before it runs. Run directly it prints the
// figure and exits 1 over the budget; `pnpm bench:speed` imports pageBundle().
import { build } from "vite";
import { gzipSync } from "node:zlib";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { veilAppConfig } from "../apps/vite-app.mjs";

/** The page bundle's budget, gzip bytes (README, "Page bundle"). */
export const PAGE_BUNDLE_BUDGET = 12 * 1024;

/** Builds e2e/size and measures the page's chunks: raw and gzip bytes, and how many chunks. */
export async function pageBundle() {
  const out = mkdtempSync(path.join(tmpdir(), "veil-size-"));
  try {
    const base = veilAppConfig(new URL("../e2e/size/", import.meta.url));
    await build({ ...base, logLevel: "silent", build: { ...base.build, outDir: out, manifest: true } });
    const manifest = JSON.parse(readFileSync(path.join(out, ".vite/manifest.json"), "utf8"));
    const files = staticChunks(manifest);
    let raw = 0;
    let gzip = 0;
    for (const f of files) {
      const b = readFileSync(path.join(out, f));
      raw += b.length;
      gzip += gzipSync(b, { level: 9 }).length;
    }
    return { raw, gzip, chunks: files.size, budget: PAGE_BUNDLE_BUDGET };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The entry chunk and every chunk it imports statically, from Vite's manifest. */
function staticChunks(manifest) {
  const seen = new Set();
  const visit = (c) => {
    if (seen.has(c.file)) return;
    seen.add(c.file);
    for (const i of c.imports ?? []) visit(manifest[i]);
  };
  visit(Object.values(manifest).find((c) => c.isEntry));
  return seen;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await pageBundle();
  const kb = (x) => `${(x / 1024).toFixed(1)} KB`;
  console.log(`page bundle of loadVeil: ${kb(r.raw)} (${kb(r.gzip)} gzip) in ${r.chunks} chunk(s); budget ${kb(r.budget)} gzip`);
  process.exitCode = r.gzip > r.budget ? 1 : 0;
}
