/**
 * @module An RFC 5424 reader for tests only, written from the ABNF in §6, independent of syslog.ts: it
 * reads back what Vigil sent (and what rsyslog wrote) and rejects anything the grammar does not allow.
 * @see RFC 5424 §6 (ABNF), §6.3.3 (PARAM-VALUE escaping), §6.4 (MSG and the BOM)
 */

export interface ParsedSyslog {
  pri: number;
  facility: number;
  severity: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: { id: string; params: [string, string][] }[];
  bom: boolean;
  msg: string;
}

/** Parses one message (bytes, or text as written to a log file); throws naming the offset. */
export function parseRfc5424(input: Buffer | string): ParsedSyslog {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`offset ${i}: ${why}`);
  };
  const m = /^<(\d{1,3})>([1-9]\d{0,2}) /.exec(text);
  if (!m) fail('no <PRI>VERSION');
  const pri = Number(m![1]);
  if (pri > 191) fail(`PRI ${pri} out of range`);
  i = m![0].length;
  const token = (max: number, what: string) => {
    const end = text.indexOf(' ', i);
    if (end < 0) fail(`${what} not followed by a space`);
    const v = text.slice(i, end);
    if (v.length < 1 || v.length > max || !/^[\x21-\x7e]+$/.test(v)) fail(`bad ${what} "${v}"`);
    i = end + 1;
    return v;
  };
  const timestamp = token(64, 'TIMESTAMP');
  if (
    timestamp !== '-' &&
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/.test(timestamp)
  ) {
    fail(`TIMESTAMP "${timestamp}" is not RFC 3339 as §6.2.3 restricts it`);
  }
  const hostname = token(255, 'HOSTNAME');
  const appName = token(48, 'APP-NAME');
  const procId = token(128, 'PROCID');
  const msgId = token(32, 'MSGID');
  const sd: ParsedSyslog['sd'] = [];
  if (text[i] === '-') {
    i++;
  } else {
    while (text[i] === '[') {
      i++;
      const idm = /^[^= \]"]{1,32}/.exec(text.slice(i));
      if (!idm) fail('bad SD-ID');
      i += idm![0].length;
      const params: [string, string][] = [];
      while (text[i] === ' ') {
        i++;
        const pm = /^([^= \]"]{1,32})="/.exec(text.slice(i));
        if (!pm) fail('bad SD-PARAM');
        i += pm![0].length;
        let v = '';
        for (;;) {
          const c = text[i];
          if (c === undefined) fail('unterminated PARAM-VALUE');
          if (c === '"') break;
          if (c === ']') fail('unescaped "]" in PARAM-VALUE');
          if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\' || text[i + 1] === ']')) {
            v += text[i + 1];
            i += 2;
          } else {
            v += c;
            i++;
          }
        }
        i++;
        params.push([pm![1]!, v]);
      }
      if (text[i] !== ']') fail('SD-ELEMENT not closed');
      i++;
      sd.push({ id: idm![0], params });
    }
    if (sd.length === 0) fail('STRUCTURED-DATA is neither "-" nor [..]');
  }
  let msg = '';
  let bom = false;
  if (i < text.length) {
    if (text[i] !== ' ') fail('no space before MSG');
    msg = text.slice(i + 1);
    if (msg.startsWith('\uFEFF')) {
      bom = true;
      msg = msg.slice(1);
    }
  }
  return {
    pri,
    facility: pri >> 3,
    severity: pri & 7,
    version: Number(m![2]),
    timestamp,
    hostname,
    appName,
    procId,
    msgId,
    sd,
    bom,
    msg,
  };
}

/** The value of one SD-PARAM, or undefined. */
export function sdParam(p: ParsedSyslog, id: string, name: string): string | undefined {
  return p.sd.find((e) => e.id === id)?.params.find(([k]) => k === name)?.[1];
}
