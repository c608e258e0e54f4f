import { chromium } from "@playwright/test";
const b = await chromium.launch({ executablePath: "/usr/bin/chromium" });
const p = await b.newPage({ viewport: { width: 1000, height: 700 } });
for (const f of process.argv.slice(2)) {
  await p.goto("file://" + f);
  await p.screenshot({ path: f.replace(/\.svg$/, ".png").replace(/.*\//, "/tmp/"), fullPage: true });
}
await b.close();
