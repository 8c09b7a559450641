/**
 * @module Where and why JSON.parse refused a text, said without quoting it. V8's own messages carry an
 * excerpt (`Unexpected token 'r', "root:x:0:0:"... is not valid JSON`): shown for a fetched feed, that
 * would hand whatever a URL answered to whoever typed the URL.
 */

export interface JsonSyntaxProblem {
  /** UTF-16 index into the text where parsing failed, or null if it cannot be found. */
  at: number | null;
  /** The same place as a UTF-8 byte offset. */
  byte: number | null;
  /** "not valid JSON (…)", naming the kind of problem, never the text. */
  reason: string;
}

export function jsonSyntaxProblem(text: string, err: unknown): JsonSyntaxProblem {
  // V8 gives a position for some errors but none for "Unexpected token …" or "Unexpected end of JSON
  // input" (a truncated download): the scan below finds it then.
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : String(err));
  const at = m ? Number(m[1]) : jsonErrorOffset(text);
  if (at === null) return { at, byte: null, reason: 'not valid JSON' };
  const byte = Buffer.byteLength(text.slice(0, at));
  const what = at >= text.length ? 'it ends early' : `unexpected character at byte ${byte}`;
  return { at, byte, reason: `not valid JSON (${what})` };
}

/**
 * Where JSON.parse gave up, for the messages that carry no position (Node 20: "Unexpected token …
 * is not valid JSON", "Unexpected end of JSON input"): a syntax-only scan, run only after a failure.
 */
export function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const fail = (at = i): never => {
    throw new JsonSyntaxAt(Math.min(at, text.length));
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail();
      if (c !== 0x5c) {
        i++;
        continue;
      }
      const e = text.charAt(i + 1);
      if (e === 'u') {
        if (!/^[0-9a-f]{4}$/i.test(text.slice(i + 2, i + 6))) fail(i + 2);
        i += 6;
      } else if (e !== '' && '"\\/bfnrt'.includes(e)) i += 2;
      else fail(i + 1);
    }
  };
  const container = (close: string) => {
    i++;
    ws();
    if (text.charAt(i) === close) {
      i++;
      return;
    }
    for (;;) {
      if (close === '}') {
        ws();
        if (text.charAt(i) !== '"') fail();
        string();
        ws();
        if (text.charAt(i) !== ':') fail();
        i++;
      }
      value();
      ws();
      const c = text.charAt(i);
      i++;
      if (c === close) return;
      if (c !== ',') fail(i - 1);
    }
  };
  function value(): void {
    ws();
    const c = text.charAt(i);
    if (c === '{') container('}');
    else if (c === '[') container(']');
    else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else {
      const num = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (!num) fail();
      else i += num[0].length;
    }
  }
  try {
    value();
    ws();
    return i < text.length ? i : null;
  } catch (err) {
    return err instanceof JsonSyntaxAt ? err.offset : null;
  }
}

class JsonSyntaxAt extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at ${offset}`);
  }
}
