// What a page that only calls loadVeil() carries in its own bundle (scripts/size.mjs measures it).
import { loadVeil } from "@veil/web";

const veil = await loadVeil({ pack: "/packs/glove-6b-100d-50k.veilpack" });
document.body.textContent = (await veil.perturb("hello world", { mechanism: "gumbel", epsilon: 50 })).text;
