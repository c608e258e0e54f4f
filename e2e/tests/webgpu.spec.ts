// The WebGPU backend, forced (in headless Chromium here the adapter is SwiftShader), against WebAssembly.
import { expect, test } from "@playwright/test";
import { harness, openHarness } from "./helpers.js";

test("WebGPU builds the same neighbour table as WebAssembly (whole and with the vocabulary split)", async ({ page }) => {
  await openHarness(page);
  const whole = await harness(page, "tablesAgree", 1200);
  expect(whole.gpuBackend.name).toBe("webgpu");
  expect(whole.cpuBackend).toBe("wasm");
  expect(whole.length).toBe(1200 * 16);
  expect(whole.differ).toBe(0);
  expect(whole.dMin[0]).toBe(whole.dMin[1]);
  expect(Math.abs(whole.dMax[0] - whole.dMax[1])).toBeLessThan(1e-4 * whole.dMax[1]);
  // 100 KiB bindings: 256 words per slice, so 3 slices whose shortlists are merged.
  const split = await harness(page, "tablesAgree", 700, 100 * 1024);
  expect(split.differ).toBe(0);
});

test("WebGPU gives the same nearest words as WebAssembly for the same points, and serves M1 and M2", async ({ page }) => {
  await openHarness(page);
  const r = await harness(page, "nearestAgree", 12);
  expect(r.gpuBackend).toBe("webgpu");
  expect(r.near[0]).toEqual(r.near[1]);
  expect(r.far[0]).toEqual(r.far[1]);
  expect(r.m1).toBe("webgpu");
  expect(r.m2).toBe("webgpu");
  expect(r.m2words).toBe(6);
});

test("M5 and M10 batch their nearest-word searches on WebGPU and give what WebAssembly gives under one seed", async ({ page }) => {
  await openHarness(page);
  const r = await harness(page, "peersOnGpu");
  expect(r.backend).toBe("webgpu");
  for (const m of ["laplace-rank", "mahalanobis"]) {
    expect(r.out[m].same, m).toBe(true);
    expect(r.out[m].changed, `${m} changed some words`).toBe(true);
  }
});

test('"auto" prefers WebAssembly over a fallback (software) adapter and says why; takes a hardware one', async ({ page }) => {
  await openHarness(page);
  const r = await harness(page, "autoBackend");
  test.skip(r.adapterKind === "none", "this Chromium offers no WebGPU adapter at all");
  if (r.adapterKind === "hardware") {
    expect(r.b.name).toBe("webgpu"); // a real GPU: "auto" uses it
    return;
  }
  // Headless Chromium here: SwiftShader, a fallback adapter, which "auto" refuses for WebAssembly.
  expect(r.b.name).toBe("wasm");
  expect(r.b.failures.webgpu).toMatch(/fallback/);
  expect(r.b.reason).toMatch(/webgpu failed/);
});

test("a lost WebGPU device falls back to WebAssembly", async ({ page }) => {
  await openHarness(page);
  const r = await harness(page, "deviceLoss");
  expect(r.before).toBe("webgpu");
  expect(r.after.name).toBe("wasm");
  expect(r.after.reason).toMatch(/lost/);
  expect(r.resultBackend).toBe("wasm");
  expect(r.words).toBe(3);
});
