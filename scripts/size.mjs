#!/usr/bin/env node
// The page's share of `loadVeil`: builds e2e/size (a page that imports only
// loadVeil from @veil/web) with Vite, as an app would, and adds up the gzip size
// of the entry chunk and every chunk it imports statically. The worker, the
// WebAssembly and what is loaded on demand (the in-thread engine) do not count:
// the page does not download them before it runs. Exit 1 over the budget.
import { build } from "vite";
import { gzipSync } from "node:zlib";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { veilAppConfig } from "../apps/vite-app.mjs";

const BUDGET = 12 * 1024;

const out = mkdtempSync(path.join(tmpdir(), "veil-size-"));
try {
  const base = veilAppConfig(new URL("../e2e/size/", import.meta.url));
  await build({ ...base, logLevel: "silent", build: { ...base.build, outDir: out, manifest: true } });
  const manifest = JSON.parse(readFileSync(path.join(out, ".vite/manifest.json"), "utf8"));
  const entry = Object.values(manifest).find((c) => c.isEntry);
  const seen = new Set();
  const visit = (c) => {
    if (seen.has(c.file)) return;
    seen.add(c.file);
    for (const i of c.imports ?? []) visit(manifest[i]);
  };
  visit(entry);
  let raw = 0;
  let gz = 0;
  for (const f of seen) {
    const b = readFileSync(path.join(out, f));
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
  }
  const kb = (x) => `${(x / 1024).toFixed(1)} KB`;
  console.log(`page bundle of loadVeil: ${kb(raw)} (${kb(gz)} gzip) in ${seen.size} chunk(s); budget ${kb(BUDGET)} gzip`);
  process.exitCode = gz > BUDGET ? 1 : 0;
} finally {
  rmSync(out, { recursive: true, force: true });
}
