/**
 * @module Control characters made visible. Text that reaches a terminal or a log line from outside
 * (a typed user name, a device's banner) must not be able to start a new line or rewrite the screen:
 * C0/C1 controls, line/paragraph separators and bidirectional overrides are shown as escapes.
 */

const CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
