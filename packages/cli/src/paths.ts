import { fileURLToPath } from "node:url";
import path from "node:path";

/** The repository root (this file is packages/cli/dist/paths.js once built). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Where the set-up writes the default pack; `VEIL_PACK` overrides. */
export function defaultPackPath(): string {
  return process.env.VEIL_PACK || path.join(REPO_ROOT, "packs", "glove-6b-100d-50k.veilpack");
}
