/** Runs async sections one at a time, in call order (SQLite: one connection, so one section on it at a time). */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** One Mutex per name, dropped when nobody waits on it. */
export class NamedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Resolves when every section queued so far, under any name, has finished. */
  async idle(): Promise<void> {
    await Promise.all(this.#tails.values());
  }

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.#tails.set(name, mine);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(name) === mine) this.#tails.delete(name);
    }
  }
}
