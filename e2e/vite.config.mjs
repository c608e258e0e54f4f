// Builds the test page the way a web app would use @veil/web: a plain import.
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

export default defineConfig({
  root: fileURLToPath(new URL("./app", import.meta.url)),
  base: "./",
  logLevel: "warn",
  // The one Vite note for @veil/web: keep it out of dependency pre-bundling, so
  // its worker and veil.wasm stay beside the modules that load them.
  optimizeDeps: { exclude: ["@veil/web", "@veil/core"] },
  worker: { format: "es" },
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    target: "es2022",
    rollupOptions: { input: { index: fileURLToPath(new URL("./app/index.html", import.meta.url)) } },
  },
});
