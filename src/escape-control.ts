/**
 * @module Control characters made visible. Text that reaches a terminal or a log line from outside
 * (a typed user name, a device's banner, a certificate's CN) must not be able to start a new line or
 * rewrite the screen: C0/C1 controls, line/paragraph separators, bidirectional controls (which reorder
 * what follows them on screen) and lone UTF-16 surrogates are shown as escapes.
 */

// \p{Cc}: C0, DEL and C1 (U+0080–U+009F, where U+009B is CSI); \p{Bidi_Control}: U+061C, U+200E/F,
// U+202A–U+202E, U+2066–U+2069; \p{Cs}: a surrogate with no partner, which a terminal cannot show.
const CONTROL = /[\p{Cc}\p{Bidi_Control}\p{Cs}\u2028\u2029]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
