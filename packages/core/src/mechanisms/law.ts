/**
 * A discrete output distribution over vocabulary ids: explicit entries, plus
 * optionally `restCount` further words (all ids not in `support` and not in
 * `restExcluded`... i.e. every other word) each with probability `restEach`.
 */
export class OutputLaw {
  private readonly map = new Map<number, number>();
  constructor(
    readonly support: Int32Array,
    readonly probs: Float64Array,
    readonly n: number,
    readonly restEach = 0,
  ) {
    support.forEach((y, i) => this.map.set(y, (this.map.get(y) ?? 0) + probs[i]!));
  }
  /** Words outside the explicit support that carry `restEach` each. */
  get restCount(): number {
    return this.restEach > 0 ? this.n - this.map.size : 0;
  }
  prob(y: number): number {
    return this.map.get(y) ?? this.restEach;
  }
  /** The m most likely outputs (explicit support first; ties to the lower id). */
  top(m: number): { id: number; p: number }[] {
    return [...this.map.entries()]
      .map(([id, p]) => ({ id, p }))
      .sort((a, b) => b.p - a.p || a.id - b.id)
      .slice(0, m);
  }
  /** Expected number of distinct outputs in N independent draws (the exact E[S_w]). */
  expectedDistinct(N: number): number {
    let s = 0;
    for (const p of this.map.values()) s += 1 - Math.pow(1 - p, N);
    return s + this.restCount * (1 - Math.pow(1 - this.restEach, N));
  }
  total(): number {
    let s = 0;
    for (const p of this.map.values()) s += p;
    return s + this.restCount * this.restEach;
  }
}
