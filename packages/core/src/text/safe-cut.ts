// The cut between two stretches of text that segment the same apart as together.
// In its own module, with no imports, so that @veil/web's page code can use it
// without pulling the tokenizer into the page bundle.

/**
 * Whether text[i] starts a segment in every UAX #29 rule: after a space or
 * newline, before an ASCII letter or digit. Texts cut there segment the same in
 * pieces as whole (the tokenizer's stretches, loadVeil's parts for several workers).
 */
export function isSafeCut(text: string, i: number): boolean {
  const prev = text.charCodeAt(i - 1);
  const c = text.charCodeAt(i);
  return (prev === 32 || prev === 10) && ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122));
}
