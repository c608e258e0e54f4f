// The worker side of the bridge. Veil's own worker (./worker.ts) calls this; an
// app that brings its own worker file does too:
//
//   // veil.worker.ts
//   import { serveVeil } from "@veil/web/worker";
//   serveVeil();
import { expose, type Endpoint } from "comlink";
import { VeilEngine } from "./engine.js";

/** Answers loadVeil's calls on `endpoint` (default: this worker's global scope). */
export function serveVeil(endpoint: Endpoint = globalThis as unknown as Endpoint): void {
  expose(new VeilEngine(), endpoint);
}
