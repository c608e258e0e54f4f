import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  optimizeDeps: { exclude: ["@veil/web", "@veil/core"] },
  worker: { format: "es" },
  build: { outDir: fileURLToPath(new URL("./dist", import.meta.url)), emptyOutDir: true, assetsInlineLimit: 0, target: "es2022" },
});
