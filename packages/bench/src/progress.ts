// A progress bar for long benchmark runs, on stderr so JSON on stdout stays clean.
// On a terminal it redraws one line; in a log (CI, a pipe) it prints a line at
// most every 15 s, and always the last one.
export class ProgressBar {
  private done = 0;
  private readonly start = performance.now();
  private lastLine = -Infinity;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Marks `n` more units done; `detail` says what just finished. */
  tick(detail = "", n = 1): void {
    this.done = Math.min(this.total, this.done + n);
    const now = performance.now();
    const last = this.done === this.total;
    if (!this.out.isTTY && !last && now - this.lastLine < 15_000) return;
    this.lastLine = now;
    const line = this.render(detail);
    if (this.out.isTTY) this.out.write(`\r\x1b[K${line}${last ? "\n" : ""}`);
    else this.out.write(`${line}\n`);
  }

  render(detail: string): string {
    const width = 28;
    const frac = this.total ? this.done / this.total : 1;
    const fill = Math.round(frac * width);
    const elapsed = (performance.now() - this.start) / 1000;
    const left = frac > 0 && frac < 1 ? ` ~${clock((elapsed * (1 - frac)) / frac)} left` : "";
    return `${this.label} [${"#".repeat(fill)}${".".repeat(width - fill)}] ${this.done}/${this.total} ${(frac * 100).toFixed(0)}% ${clock(elapsed)}${left}${detail ? ` · ${detail}` : ""}`;
  }
}

export function clock(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}
