// The default pack as a package: where the file is (beside this module, so a
// bundler that understands `new URL(..., import.meta.url)` copies it into the
// app and gives its public URL), its SHA-256 to pin, and where it comes from.
// info.js is written by the repository's set-up when it builds the pack.
import info from "./info.js";

/** The pack: pass it to loadVeil({ pack }) or createVeil({ pack }) as it is. */
export const pack = Object.freeze({ ...info, url: new URL("./glove-6b-100d-50k.veilpack", import.meta.url).href });
export default pack;
