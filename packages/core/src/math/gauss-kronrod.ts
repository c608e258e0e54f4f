// Adaptive Gauss-Kronrod (7-15) quadrature of a vector-valued integrand, used for
// the exact output law of the truncated Gumbel mechanism (docs/mechanisms.md, M4).
const XK = [
  0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
  0.586087235467691130294144845693013, 0.405845151377397166906606412076961, 0.207784955007898467600689403773245, 0,
];
const WK = [
  0.02293532201052922496373200805897, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
  0.16900472663926790282658342659855, 0.190350578064785409913256402421014, 0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
];
const WG = [0.129484966168869693270611432679082, 0.27970539148927666790146777142378, 0.381830050505118944950369775488975, 0.417959183673469387755102040816327];

/**
 * Integrates f: R -> R^m over [a, b] into `out` (length m). `f(x, into)` writes the
 * m values at x. Subdivides until the Gauss/Kronrod difference is below
 * `absTol` in every component (or depth runs out).
 */
export function integrateVector(
  f: (x: number, into: Float64Array) => void,
  a: number,
  b: number,
  m: number,
  out: Float64Array,
  absTol = 1e-14,
  maxDepth = 40,
): void {
  const fx = new Float64Array(m);
  const kr = new Float64Array(m);
  const ga = new Float64Array(m);
  const stack: [number, number, number][] = [[a, b, 0]];
  while (stack.length) {
    const [lo, hi, depth] = stack.pop()!;
    const c = 0.5 * (lo + hi),
      h = 0.5 * (hi - lo);
    kr.fill(0);
    ga.fill(0);
    for (let i = 0; i < 8; i++) {
      const xs = i === 7 ? [c] : [c - h * XK[i]!, c + h * XK[i]!];
      for (const x of xs) {
        f(x, fx);
        for (let j = 0; j < m; j++) {
          kr[j]! += WK[i]! * fx[j]!;
          if (i % 2 === 1) ga[j]! += WG[(i - 1) / 2]! * fx[j]!;
          else if (i === 7) ga[j]! += WG[3]! * fx[j]!;
        }
      }
    }
    let err = 0;
    for (let j = 0; j < m; j++) err = Math.max(err, Math.abs(h * (kr[j]! - ga[j]!)));
    if (err <= absTol || depth >= maxDepth || h < 1e-12) {
      for (let j = 0; j < m; j++) out[j]! += h * kr[j]!;
    } else {
      stack.push([lo, c, depth + 1], [c, hi, depth + 1]);
    }
  }
}
