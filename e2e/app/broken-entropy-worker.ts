// A worker whose crypto.getRandomValues fails once Veil has loaded (the page
// flips it with a message): perturbation must fail with RandomSourceError and
// release nothing.
import { serveVeil } from "@veil/web/worker";

const original = crypto.getRandomValues.bind(crypto);
let broken: "no" | "throws" | "missing" = "no";
Object.defineProperty(crypto, "getRandomValues", {
  configurable: true,
  get: () =>
    broken === "missing"
      ? undefined
      : <T extends ArrayBufferView | null>(a: T): T => {
          if (broken === "throws") throw new Error("entropy source failed");
          return original(a as unknown as Uint8Array) as unknown as T;
        },
});
self.addEventListener("message", (e: MessageEvent) => {
  if (e.data && typeof e.data === "object" && "breakEntropy" in e.data) broken = e.data.breakEntropy;
});
serveVeil();
