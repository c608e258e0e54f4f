/** A one-line progress bar on stderr (redrawn in place on a terminal, every 10% otherwise). */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const t0 = performance.now();
  let lastDecile = -1;
  let lastDraw = 0;
  return {
    update(done: number, total: number, unit = "") {
      const frac = total > 0 ? done / total : 1;
      const now = performance.now();
      const secs = ((now - t0) / 1000).toFixed(1);
      const line = `${label} ${"#".repeat(Math.round(frac * 30)).padEnd(30, ".")} ${(frac * 100).toFixed(0).padStart(3)}% ${done.toLocaleString("en")}/${total.toLocaleString("en")}${unit} ${secs} s`;
      if (stream.isTTY) {
        if (now - lastDraw > 100 || done === total) {
          stream.write(`\r${line}`);
          lastDraw = now;
        }
      } else {
        const decile = Math.floor(frac * 10);
        if (decile !== lastDecile) {
          stream.write(`${line}\n`);
          lastDecile = decile;
        }
      }
    },
    done(message?: string) {
      if (stream.isTTY) stream.write("\n");
      if (message) stream.write(`${label} ${message} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    },
  };
}
