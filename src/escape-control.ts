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
  return text.replace(CONTROL, (c) => NAMED[c] ?? hex(c));
}

// What JSON.stringify leaves raw: it escapes C0 and lone surrogates, but not DEL, C1 or bidi controls.
const JSON_RAW = /[\u007f-\u009f\p{Bidi_Control}\u2028\u2029]/gu;

/**
 * JSON text (from JSON.stringify) with its C1, bidirectional and line-separator characters written as
 * `\uXXXX`: JSON reads it back as the same value, and a terminal shows it without acting on it. Every
 * such character sits inside a string literal, where a `\u` escape is valid; the indentation's line
 * breaks are kept.
 */
export function escapeControlInJson(json: string): string {
  return json.replace(JSON_RAW, hex);
}

function hex(c: string): string {
  return `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`;
}
