import type { Page } from "@playwright/test";

/** Opens the harness page and waits until it is ready. */
export async function openHarness(page: Page): Promise<void> {
  await page.goto("/");
  await page.waitForFunction(() => "harness" in window);
}

/** Calls window.harness[name](...args) in the page and returns its (cloned) result. */
export function harness<T = any>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ([n, a]) => (window as unknown as { harness: Record<string, (...x: unknown[]) => Promise<unknown>> }).harness[n as string]!(...(a as unknown[])),
    [name, args] as const,
  ) as Promise<T>;
}

/** How many times each path was requested from the server so far. */
export async function requests(page: Page): Promise<Record<string, number>> {
  return (await page.request.get("/__requests")).json();
}

export const PACK_PATH = "/packs/glove-6b-100d-50k.veilpack";
export const CSP = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";
