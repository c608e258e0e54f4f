// vite.config.js, as the README gives it.
export default { optimizeDeps: { exclude: ["@veil/web", "@veil/core"] }, worker: { format: "es" } };
