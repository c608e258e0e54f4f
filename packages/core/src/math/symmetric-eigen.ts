// Eigendecomposition of a real symmetric matrix by the cyclic Jacobi method:
// slow (O(d^3) per sweep) but simple, unconditionally stable and accurate to a few
// ulps, which is what M5's matrix square root needs (docs/mechanisms.md, M5);
// d is the embedding dimension (100 for the default pack), so a decomposition
// takes milliseconds.

/** Eigenvalues and orthonormal eigenvectors (the columns of `vectors`, row-major d x d) of a symmetric matrix. */
export interface SymmetricEigen {
  values: Float64Array;
  vectors: Float64Array;
}

/** Decomposes the symmetric d x d matrix `a` (row-major, float64; not modified). */
export function symmetricEigen(a: Float64Array, d: number): SymmetricEigen {
  const m = Float64Array.from(a);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    if (offDiagonalNorm(m, d) <= 1e-30 * (1 + diagonalNorm(m, d))) break;
    for (let p = 0; p < d - 1; p++) for (let q = p + 1; q < d; q++) rotate(m, v, d, p, q);
  }
  return { values: Float64Array.from({ length: d }, (_, i) => m[i * d + i]!), vectors: v };
}

function offDiagonalNorm(m: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) if (i !== j) s += m[i * d + j]! ** 2;
  return s;
}

function diagonalNorm(m: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += m[i * d + i]! ** 2;
  return s;
}

/** One Jacobi rotation zeroing m[p][q] (Golub and Van Loan, Algorithm 8.5.2), applied to m and accumulated in v. */
function rotate(m: Float64Array, v: Float64Array, d: number, p: number, q: number): void {
  const apq = m[p * d + q]!;
  if (apq === 0) return;
  const tau = (m[q * d + q]! - m[p * d + p]!) / (2 * apq);
  const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
  const c = 1 / Math.sqrt(1 + t * t);
  const s = t * c;
  for (let k = 0; k < d; k++) {
    const mkp = m[k * d + p]!,
      mkq = m[k * d + q]!;
    m[k * d + p] = c * mkp - s * mkq;
    m[k * d + q] = s * mkp + c * mkq;
  }
  for (let k = 0; k < d; k++) {
    const mpk = m[p * d + k]!,
      mqk = m[q * d + k]!;
    m[p * d + k] = c * mpk - s * mqk;
    m[q * d + k] = s * mpk + c * mqk;
  }
  for (let k = 0; k < d; k++) {
    const vkp = v[k * d + p]!,
      vkq = v[k * d + q]!;
    v[k * d + p] = c * vkp - s * vkq;
    v[k * d + q] = s * vkp + c * vkq;
  }
}

/** V diag(f(λ)) Vᵀ: a function of the matrix (square root, inverse square root). */
export function matrixFunction(e: SymmetricEigen, d: number, f: (lambda: number) => number): Float64Array {
  const out = new Float64Array(d * d);
  const fl = Float64Array.from(e.values, f);
  const v = e.vectors;
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += v[i * d + k]! * fl[k]! * v[j * d + k]!;
      out[i * d + j] = out[j * d + i] = s;
    }
  return out;
}

/** y = M x for a d x d row-major matrix. */
export function multiplyVector(m: Float64Array, x: ArrayLike<number>, d: number, out = new Float64Array(d)): Float64Array {
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += m[i * d + k]! * x[k]!;
    out[i] = s;
  }
  return out;
}
