// How Veil launches Debian's Chromium (PLATFORM.md), for the tests and the browser benchmark.
// Never `playwright install`: there is no network for browser downloads.
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    // WebGPU on; headless, its only adapter is SwiftShader (a software fallback adapter).
    "--enable-unsafe-webgpu",
  ],
};
