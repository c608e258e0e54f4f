// A webpack 5 app that uses @veil/web with nothing but an import.
import { loadVeil } from "@veil/web";

window.runVeil = async () => {
  const veil = await loadVeil({ pack: "/packs/glove-6b-100d-50k.veilpack", cache: false });
  const r = await veil.perturb("The quick brown fox jumps over the lazy dog", { mechanism: "gumbel", epsilon: 60 });
  const out = { text: r.text, words: r.words.length, backend: veil.backend.name, mode: veil.mode };
  veil.dispose();
  return out;
};
document.title = "webpack ready";
