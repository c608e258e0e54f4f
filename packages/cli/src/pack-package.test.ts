// The default pack as a package (@veil/pack-en-50k): createVeil takes it as it
// is in Node (a file: URL read from disk), with its SHA-256 pinned.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil, EmbeddingFormatError } from "@veil/core";
import { pack } from "@veil/pack-en-50k";

test("@veil/pack-en-50k: createVeil({ pack }) reads it from disk, checks its pinned SHA-256, and refuses another", async () => {
  assert.match(pack.url, /^file:.*glove-6b-100d-50k\.veilpack$/);
  assert.match(pack.sha256, /^[0-9a-f]{64}$/);
  const veil = await createVeil({ pack, backend: "wasm" });
  assert.equal(veil.embedding.n, pack.n);
  assert.equal(veil.embedding.sha256, pack.sha256);
  assert.ok(pack.source.includes("GloVe"));
  veil.dispose();
  await assert.rejects(createVeil({ pack: { url: pack.url, sha256: "0".repeat(64) } }), EmbeddingFormatError);
});
