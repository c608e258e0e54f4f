// The Vite settings both apps share: relative asset paths (served under any
// prefix), Veil's packages left to Vite's normal pipeline so `new URL(..., import.meta.url)`
// finds the worker and the .wasm, module workers, and no inlined assets (the strict CSP).
import { fileURLToPath } from "node:url";

export function veilAppConfig(appDirUrl) {
  return {
    root: fileURLToPath(appDirUrl),
    base: "./",
    logLevel: "warn",
    optimizeDeps: { exclude: ["@veil/web", "@veil/core"] },
    worker: { format: "es" },
    build: { outDir: fileURLToPath(new URL("./dist", appDirUrl)), emptyOutDir: true, assetsInlineLimit: 0, target: "es2022" },
  };
}
