import { fileURLToPath } from "node:url";
import path from "node:path";
import { readFile } from "node:fs/promises";
import { VeilError } from "@veil/core";

/** The repository root (this file is packages/cli/dist/paths.js once built). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Where the set-up writes the default pack; `VEIL_PACK` overrides. */
export function defaultPackPath(): string {
  return process.env.VEIL_PACK || path.join(REPO_ROOT, "packs", "glove-6b-100d-50k.veilpack");
}

/** The pack file's bytes, or a `MISSING_PACK` error that says how to get one. */
export async function readPackFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch {
    throw new VeilError("MISSING_PACK", `No embedding pack at ${file}. Build the default one with \`npm start\` (or \`pnpm veil pack\`), or pass --pack PATH.`);
  }
}
