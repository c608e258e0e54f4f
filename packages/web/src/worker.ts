// Veil's own module worker, started by loadVeil({ worker: true }) as
// new Worker(new URL("./worker.js", import.meta.url), { type: "module" }).
import { serveVeil } from "./serve.js";

serveVeil();
