// Where cached packs live: an idb-keyval store in Veil's own IndexedDB database
// ("veil-cache"), never the app's default keyval store. The store is opened on
// first use, not at import (SSR-safe). Tests pass an in-memory `CacheStore`.
import { createStore, delMany, getMany, keys, setMany, type UseStore } from "idb-keyval";

export const CACHE_DB = "veil-cache";
export const CACHE_STORE = "packs";

/** The few key-value operations the pack cache needs. */
export interface CacheStore {
  getMany(keys: IDBValidKey[]): Promise<unknown[]>;
  setMany(entries: [IDBValidKey, unknown][]): Promise<void>;
  delMany(keys: IDBValidKey[]): Promise<void>;
  keys(): Promise<IDBValidKey[]>;
}

let shared: UseStore | null = null;

/** Veil's IndexedDB store (idb-keyval). Throws if IndexedDB is missing. */
export function idbCacheStore(): CacheStore {
  if (typeof indexedDB === "undefined") throw new Error("IndexedDB is not available here");
  const store = (shared ??= createStore(CACHE_DB, CACHE_STORE));
  return {
    getMany: (k) => getMany(k, store),
    setMany: (e) => setMany(e, store),
    delMany: (k) => delMany(k, store),
    keys: () => keys(store),
  };
}

/** A store in memory (tests; the session fallback when IndexedDB refuses). */
export function memoryCacheStore(): CacheStore {
  const m = new Map<string, unknown>();
  const k = (key: IDBValidKey) => JSON.stringify(key);
  return {
    getMany: async (ks) => ks.map((x) => m.get(k(x))),
    setMany: async (es) => void es.forEach(([x, v]) => m.set(k(x), v)),
    delMany: async (ks) => void ks.forEach((x) => m.delete(k(x))),
    keys: async () => [...m.keys()].map((x) => JSON.parse(x) as IDBValidKey),
  };
}
