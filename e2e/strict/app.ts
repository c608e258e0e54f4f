// An app's strictest type-check of Veil's public types (skipLibCheck: false, no
// @webgpu/types installed by the app): `npm test` runs `tsc -p e2e/strict`.
import { loadVeil, type LoadedVeil } from "@veil/web";
import { createVeil, type Veil } from "@veil/core";

export async function start(pack: Uint8Array): Promise<[LoadedVeil, Veil]> {
  return [await loadVeil({ pack: "/packs/glove-6b-100d-50k.veilpack" }), await createVeil({ pack })];
}
