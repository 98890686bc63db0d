/**
 * Control characters a terminal would act on: C0 (ESC starts colour, cursor and title sequences; CR and BS
 * overwrite what was printed; LF forges a line), DEL, C1 (U+009B is a one-character CSI), and the Unicode line
 * separators and bidirectional overrides that reorder what is shown. userName and detail come from Entra, i.e.
 * from outside, so human-readable output never passes them raw.
 */
export const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Shows each control character as a visible `\xNN` / `\uNNNN` escape instead: an ESC sequence loses its ESC
 * and is printed as harmless text, and the operator still sees that something odd was sent.
 */
export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : `\\u${code.toString(16).toUpperCase()}`;
  });
}
