/**
 * @module The text encoding of a workbook's XML parts, checked before exceljs reads them. exceljs decodes
 * every part as UTF-8 leniently, so a byte that is not UTF-8 (a workbook edited by hand or written by a
 * careless generator) would reach the store as U+FFFD, indistinguishable from a real one. The bytes decide:
 * a part that is not what it declares is refused, naming the part, the byte offset and, where it can be
 * found, the sheet and cell whose text it is. OOXML parts may also be UTF-16 (with a byte order mark or
 * declaration); exceljs cannot read those, so they are re-encoded as UTF-8 rather than refused.
 * No I/O beyond the bytes given; jszip (exceljs's own zip reader) is loaded on first use.
 */
import { isUtf8 } from 'node:buffer';
import { type InputIssue, invalidInput } from '../../errors.js';
import { describeNotUtf8, type NotUtf8, utf8Prefix } from '../../formats/utf8.js';

/** Parts holding XML: what exceljs decodes as text (media, printer settings and the like are binary). */
const XML_PART = /\.(xml|rels|vml)$/i;
/** An MDS2 form unpacks to well under a megabyte; this leaves room for embedded pictures. */
const MAX_UNPACKED_BYTES = 200 * 1024 * 1024;
const DECLARATION = /^<\?xml\b[^?]*?\bencoding\s*=\s*["']([^"']*)["']/;
const UTF8_NAME = /^utf-?8$/i;
const UTF16_NAME = /^utf-?16(le|be)?$/i;
/** XML 1.0 EncName. */
const ENCODING_NAME = /^[A-Za-z][A-Za-z0-9._-]*$/;

type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

interface Part {
  name: string;
  encoding: Encoding;
  /** Byte order mark length (0, 2 or 3). */
  bom: number;
  /** The lenient decoding, without the byte order mark: what the sheet/cell lookup searches. */
  text: string;
}

/** What is wrong with a part: the reason, and the bad byte (with its place in `text`) if there is one. */
interface BadPart {
  part: Part;
  reason: string;
  bad?: NotUtf8;
  /** Index in `part.text` of the character the bad byte became. */
  at?: number;
}

function encodingOf(b: Uint8Array): { encoding: Encoding; bom: number } {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf-8', bom: 3 };
  if (b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', bom: 2 };
  if (b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', bom: 2 };
  // XML 1.0 appendix F: "<?" in UTF-16 without a byte order mark.
  if (b[0] === 0x3c && b[1] === 0 && b[2] === 0x3f && b[3] === 0) return { encoding: 'utf-16le', bom: 0 };
  if (b[0] === 0 && b[1] === 0x3c && b[2] === 0 && b[3] === 0x3f) return { encoding: 'utf-16be', bom: 0 };
  return { encoding: 'utf-8', bom: 0 };
}

/** The first UTF-16 code unit that is not part of a character (a lone surrogate), or a cut-off last byte. */
function firstNotUtf16(b: Uint8Array, le: boolean, start: number): (NotUtf8 & { unit?: number }) | null {
  const unit = (i: number) => (le ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!);
  for (let i = start; i < b.length; i += 2) {
    if (i + 1 >= b.length) return { offset: i, byte: b[i]! };
    const u = unit(i);
    if (u >= 0xdc00 && u <= 0xdfff) return { offset: i, byte: b[i]!, unit: u };
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = i + 3 < b.length ? unit(i + 2) : -1;
      if (next < 0xdc00 || next > 0xdfff) return { offset: i, byte: b[i]!, unit: u };
      i += 2;
    }
  }
  return null;
}

/** Checks one part; returns its decoding, or what is wrong with it. */
function checkPart(name: string, bytes: Uint8Array): { part: Part; bad?: BadPart } {
  const { encoding, bom } = encodingOf(bytes);
  const body = bytes.subarray(bom);
  const text = new TextDecoder(encoding).decode(body);
  const part: Part = { name, encoding, bom, text };
  const declared = DECLARATION.exec(text.slice(0, 200))?.[1];
  if (encoding === 'utf-8') {
    // An ASCII-only part reads the same in any ASCII-compatible encoding: nothing to lose.
    const foreign =
      declared !== undefined &&
      !UTF8_NAME.test(declared) &&
      (UTF16_NAME.test(declared) || !body.every((c) => c < 0x80));
    const declaredBad: BadPart = {
      part,
      reason: UTF16_NAME.test(declared ?? '')
        ? `declares encoding "${declared}" but is not UTF-16 (no byte order mark)`
        : `declares encoding "${declared}"; the XML parts of a workbook must be UTF-8 or UTF-16`,
    };
    // A well-formed encoding name says why the bytes are not UTF-8; a garbled one is a bad byte like any.
    if (foreign && ENCODING_NAME.test(declared ?? '')) return { part, bad: declaredBad };
    if (isUtf8(body)) return foreign ? { part, bad: declaredBad } : { part };
    const valid = utf8Prefix(body).valid;
    const bad = { offset: bom + valid, byte: bytes[bom + valid] ?? 0 };
    // The bytes before the first bad one are UTF-8, so they decode to exactly the start of `text`.
    const at = Buffer.from(body.buffer, body.byteOffset, valid).toString('utf8').length;
    return { part, bad: { part, reason: `is not valid UTF-8 (${describeNotUtf8(bad)})`, bad, at } };
  }
  const mislabelled: BadPart | undefined =
    declared !== undefined && !UTF16_NAME.test(declared)
      ? { part, reason: `is UTF-16 (${encoding.toUpperCase()}) but declares encoding "${declared}"` }
      : undefined;
  if (mislabelled && ENCODING_NAME.test(declared ?? '')) return { part, bad: mislabelled };
  const bad = firstNotUtf16(bytes, encoding === 'utf-16le', bom);
  if (!bad) return mislabelled ? { part, bad: mislabelled } : { part };
  const what =
    bad.unit === undefined
      ? `${describeNotUtf8(bad)}, a character cut off by the end`
      : `code unit 0x${bad.unit.toString(16).toUpperCase()} at offset ${bad.offset}, a lone surrogate`;
  return {
    part,
    bad: {
      part,
      reason: `is not valid ${encoding.toUpperCase()} (${what})`,
      bad,
      at: (bad.offset - bom) / 2,
    },
  };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (s: string) =>
  s.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));/gi, (m, hex, dec, name) => {
    const cp = hex ? Number.parseInt(hex, 16) : dec ? Number(dec) : undefined;
    if (cp !== undefined) return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    return ENTITIES[String(name).toLowerCase()] ?? m;
  });
const attr = (tag: string, name: string) =>
  new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`)
    .exec(tag)
    ?.slice(1)
    .find((v) => v !== undefined);

/** Worksheet part name → sheet name, from xl/workbook.xml and its relationships. */
function sheetNames(parts: Map<string, Part>): Map<string, string> {
  const out = new Map<string, string>();
  const wb = parts.get('xl/workbook.xml')?.text ?? '';
  const rels = parts.get('xl/_rels/workbook.xml.rels')?.text ?? '';
  const targets = new Map<string, string>();
  for (const m of rels.matchAll(/<Relationship\b[^>]*>/g)) {
    const id = attr(m[0], 'Id');
    const target = attr(m[0], 'Target');
    if (id && target) targets.set(id, target.startsWith('/') ? target.slice(1) : `xl/${target}`);
  }
  for (const m of wb.matchAll(/<(?:\w+:)?sheet\b[^>]*>/g)) {
    const name = attr(m[0], 'name');
    const target = targets.get(attr(m[0], 'r:id') ?? attr(m[0], '\\w+:id') ?? '');
    if (name !== undefined && target) out.set(target, unescapeXml(name));
  }
  return out;
}

/** `sheet 'MDS2' cell D12`, or the part's name when no sheet name is known. */
const cellName = (names: Map<string, string>, part: string, ref: string | undefined) =>
  `${names.has(part) ? `sheet '${names.get(part)}'` : part}${ref ? ` cell ${ref}` : ''}`;

/** Where the character a bad byte became ends up: the cell(s) whose text holds it, as far as can be told. */
function whereItLands(parts: Map<string, Part>, bad: BadPart): string | undefined {
  if (bad.at === undefined) return undefined;
  const { text, name } = bad.part;
  const before = text.slice(0, bad.at);
  const names = sheetNames(parts);
  if (/sharedStrings\.xml$/i.test(name)) {
    // Shared string n is the n-th <si>; cells of type "s" hold its index.
    const index = (before.match(/<(?:\w+:)?si[\s>]/g)?.length ?? 0) - 1;
    if (index < 0) return undefined;
    const cells: string[] = [];
    for (const sheetPart of names.keys()) {
      const sheet = parts.get(sheetPart)?.text ?? '';
      // An empty cell is self-closed (<c r="A1" s="2"/>): not the start of a cell with content.
      for (const m of sheet.matchAll(/<(?:\w+:)?c\b([^>]*?)(?:\/>|>(.*?)<\/(?:\w+:)?c>)/gs)) {
        if (m[2] === undefined || attr(m[1]!, 't') !== 's') continue;
        if (Number(/<(?:\w+:)?v>\s*(\d+)\s*<\//.exec(m[2])?.[1]) === index)
          cells.push(cellName(names, sheetPart, attr(m[1]!, 'r')));
      }
    }
    const used = cells.length
      ? `, the text of ${cells.slice(0, 3).join(', ')}${cells.length > 3 ? ` and ${cells.length - 3} more` : ''}`
      : '';
    return `in shared string ${index}${used}`;
  }
  if (names.has(name)) {
    // A cell's own text (an inline string or a formula's cached text): the <c> the byte sits in.
    const open = [...before.matchAll(/<(?:\w+:)?c\b([^>]*?)(\/?)>/g)].filter((m) => !m[2]).pop();
    const closed = open && /<\/(?:\w+:)?c>/.test(before.slice(open.index));
    return `in ${cellName(names, name, open && !closed ? attr(open[1]!, 'r') : undefined)}`;
  }
  return undefined;
}

/** A part unpacked past what was left of the limit (`size`: the bytes it had given by then). */
class UnpackLimit extends Error {
  constructor(readonly size: number) {
    super('unpack limit');
  }
}

const tooBig = (file: string, size: number, limit: number, atLeast = false) =>
  invalidInput(
    `${file}: the workbook unpacks to ${atLeast ? 'more than ' : ''}${size} bytes, more than the ${limit} an MDS2 form can need`,
    [{ file, reason: `unpacks to ${atLeast ? 'more than ' : ''}${size} bytes (limit ${limit})` }],
  );

/**
 * One part of the zip, unpacked as a stream and stopped as soon as it gives more than `left` bytes: its
 * size, and its bytes when `keep` (other parts, pictures say, are only counted).
 */
function unpack(
  entry: { nodeStream(type: 'nodebuffer'): NodeJS.ReadableStream },
  left: number,
  keep: boolean,
): Promise<{ size: number; bytes: Uint8Array | null }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stream = entry.nodeStream('nodebuffer');
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > left) {
        stream.pause();
        stream.removeAllListeners('data');
        reject(new UnpackLimit(size));
        return;
      }
      if (keep) chunks.push(chunk);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve({ size, bytes: keep ? Buffer.concat(chunks) : null }));
  });
}

/**
 * Checks every XML part of the workbook's zip; throws invalid_input for the first part that is not the
 * encoding it is (or declares). Returns the bytes for exceljs: the same bytes, or, when a part is UTF-16,
 * the workbook with those parts re-encoded as UTF-8. Bytes that are not a zip are returned as they are
 * (exceljs says so in its own words).
 */
export async function checkWorkbookText(
  data: Uint8Array,
  file: string,
  maxUnpackedBytes = MAX_UNPACKED_BYTES,
): Promise<Uint8Array> {
  const { default: JSZip } = await import('jszip');
  let zip: InstanceType<typeof JSZip>;
  try {
    zip = await JSZip.loadAsync(data);
  } catch {
    return data;
  }
  // A zip bomb (a few MB that unpack to gigabytes) would fill the server's memory here and again in
  // exceljs. The sizes the zip declares are summed first (a quick refusal of an honest one), then every
  // part is unpacked as a stream counting what really comes out, which a zip that lies about its sizes
  // cannot get past: exceljs only reads a workbook that passed.
  let declared = 0;
  for (const entry of Object.values(zip.files))
    declared += (entry as unknown as { _data?: { uncompressedSize?: number } })._data?.uncompressedSize ?? 0;
  if (declared > maxUnpackedBytes) throw tooBig(file, declared, maxUnpackedBytes);
  const parts = new Map<string, Part>();
  let firstBad: BadPart | undefined;
  let left = maxUnpackedBytes;
  for (const entry of Object.values(zip.files)) {
    if (entry.dir) continue;
    const keep = XML_PART.test(entry.name);
    let unpacked: { size: number; bytes: Uint8Array | null };
    try {
      unpacked = await unpack(entry, left, keep);
    } catch (e) {
      if (e instanceof UnpackLimit)
        throw tooBig(file, maxUnpackedBytes - left + e.size, maxUnpackedBytes, true);
      throw invalidInput(
        `${file}: not a readable .xlsx workbook (${entry.name}: ${String((e as Error)?.message ?? e).slice(0, 200)})`,
        [{ file, field: entry.name, reason: 'not a readable .xlsx workbook' }],
      );
    }
    left -= unpacked.size;
    if (!unpacked.bytes) continue;
    const name = entry.name.replace(/^\//, '');
    const { part, bad } = checkPart(name, unpacked.bytes);
    parts.set(name, part);
    firstBad ??= bad;
  }
  if (firstBad) {
    const { part, reason, bad } = firstBad;
    const where = whereItLands(parts, firstBad);
    const issue: InputIssue = {
      file,
      field: part.name,
      reason: `${part.name} ${reason}${where ? `, ${where}` : ''}`,
    };
    if (bad) issue.offset = bad.offset;
    throw invalidInput(`${file}: ${issue.reason}; save the workbook again from Excel`, [issue]);
  }
  const utf16 = [...parts.values()].filter((p) => p.encoding !== 'utf-8');
  if (!utf16.length) return data;
  for (const p of utf16)
    zip.file(
      p.name,
      p.text.replace(DECLARATION, (d, enc: string) => d.replace(enc, 'UTF-8')),
    );
  return zip.generateAsync({ type: 'uint8array' });
}
