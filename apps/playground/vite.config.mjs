import { defineConfig } from "vite";
import { veilAppConfig } from "../vite-app.mjs";

export default defineConfig(veilAppConfig(new URL(".", import.meta.url)));
