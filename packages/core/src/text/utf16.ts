// What a UTF-16 decoder would not give back: an unpaired surrogate becomes U+FFFD.

/** Whether `units` hold any surrogate (paired or not): the cheap test before decoding them as UTF-16 or writing them as UTF-8. */
export function hasSurrogate(units: Uint16Array): boolean {
  return units.some((c) => (c & 0xf800) === 0xd800);
}
