/** Principal branch W0 of the Lambert W function for x >= -1/e, by Halley iteration. */
export function lambertW0(x: number): number {
  if (!(x >= -1 / Math.E)) return NaN;
  if (x === 0) return 0;
  if (x === Infinity) return Infinity;
  // Starting point: series near the branch point, log asymptotics for large x.
  let w = x < 1 ? (x < -0.25 ? -1 + Math.sqrt(2 * (1 + Math.E * x)) : x * (1 - x)) : Math.log(x) - Math.log(Math.log(x) + 1) + 0.0;
  if (x >= 1 && x < 3) w = 0.5 * Math.log(1 + x) + 0.3;
  for (let i = 0; i < 100; i++) {
    const ew = Math.exp(w);
    const f = w * ew - x;
    const wp1 = w + 1;
    if (wp1 === 0) break;
    const step = f / (ew * wp1 - ((w + 2) * f) / (2 * wp1));
    w -= step;
    if (Math.abs(step) <= 1e-15 * (1 + Math.abs(w))) break;
  }
  return w;
}
