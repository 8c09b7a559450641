/**
 * @module Guesses which feed or document format a file holds from its first bytes (about 64 KiB) and
 * its name, so an upload or a watched folder can be routed to the right reader. The prefix may be cut
 * in the middle of a JSON value, so this looks for tell-tale keys with regular expressions instead of
 * parsing. Gzip is recognised by its magic bytes and a bounded prefix is inflated. Pure and
 * synchronous; returns null when nothing is recognised.
 */
import { constants, gunzipSync } from 'node:zlib';
import { isKevCsv } from './kev/kev.js';

export type AdvisoryFormat =
  | 'csaf'
  | 'nvd'
  | 'cve5'
  | 'osv'
  | 'kev'
  | 'epss'
  | 'cyclonedx'
  | 'spdx'
  | 'openvex';

/** How much text is examined; also the cap on inflated bytes. */
export const SNIFF_BYTES = 64 * 1024;
/** Compressed bytes fed to zlib: enough for 64 KiB of text at any realistic ratio, bounded work. */
const GZIP_INPUT_BYTES = 16 * 1024;

function inflatePrefix(head: Uint8Array): Uint8Array | null {
  for (const input of [GZIP_INPUT_BYTES, 2 * 1024]) {
    try {
      // Z_SYNC_FLUSH accepts a truncated stream and returns what it could inflate.
      return gunzipSync(head.subarray(0, input), {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: 16 * SNIFF_BYTES,
      });
    } catch {
      // Too much output (a compression bomb) or corrupt data: try less input, then give up.
    }
  }
  return null;
}

const key = (name: string) => new RegExp(`"${name}"\\s*:`);

const RULES: readonly [AdvisoryFormat, (t: string) => boolean][] = [
  ['csaf', (t) => key('csaf_version').test(t)],
  ['openvex', (t) => /"@context"\s*:\s*"https:\/\/openvex\.dev/.test(t)],
  [
    'cyclonedx',
    (t) =>
      /"bomFormat"\s*:\s*"CycloneDX"/.test(t) || /<bom\b[^>]*xmlns\s*=\s*"http:\/\/cyclonedx\.org/.test(t),
  ],
  [
    'spdx',
    (t) =>
      key('spdxVersion').test(t) ||
      /^\s*SPDXVersion:\s*SPDX-/m.test(t) ||
      /spdx\.org\/rdf\/terms/.test(t) ||
      // SPDX 3.0 JSON-LD (whether the SPDX reader accepts 3.0 is its decision).
      /"@context"\s*:\s*"https:\/\/spdx\.org\/rdf\/3/.test(t),
  ],
  ['cve5', (t) => /"dataType"\s*:\s*"CVE_RECORD"/.test(t) || key('cveMetadata').test(t)],
  ['kev', (t) => (key('catalogVersion').test(t) && key('vulnerabilities').test(t)) || isKevCsv(t)],
  [
    'nvd',
    (t) =>
      key('resultsPerPage').test(t) ||
      /"format"\s*:\s*"NVD_CVE"/.test(t) ||
      key('CVE_Items').test(t) ||
      /"vulnerabilities"\s*:\s*\[\s*\{\s*"cve"\s*:\s*\{/.test(t) ||
      (/"cve"\s*:\s*\{\s*"id"\s*:\s*"CVE-/i.test(t) && key('configurations').test(t)) ||
      (key('CVE_data_meta').test(t) && (key('impact').test(t) || key('configurations').test(t))),
  ],
  [
    'osv',
    (t) =>
      key('id').test(t) &&
      key('modified').test(t) &&
      (key('affected').test(t) || key('aliases').test(t)) &&
      (key('schema_version').test(t) ||
        /"id"\s*:\s*"(GHSA|PYSEC|GO|RUSTSEC|OSV|GSD|MAL|DLA|DSA|DTSA|USN|ALSA|ALBA|RHSA|BIT|CURL|UBUNTU|CGA)-/.test(
          t,
        ) ||
        /"ecosystem"\s*:/.test(t)),
  ],
  [
    'epss',
    (t) =>
      /^#model_version:/.test(t) ||
      /^(#[^\n]*\n)*\s*cve\s*,\s*epss\s*,\s*percentile\s*\r?$/im.test(t.slice(0, 4096)),
  ],
  // Weak CycloneDX signals, last: tools that sort keys put `bomFormat` after a long `components`.
  [
    'cyclonedx',
    (t) =>
      /"\$schema"\s*:\s*"http:\/\/cyclonedx\.org/.test(t) ||
      (key('bom-ref').test(t) && key('components').test(t)),
  ],
];

/** Name patterns used only when the content says nothing (e.g. an empty or unusual prefix). */
const NAME_RULES: readonly [AdvisoryFormat, RegExp][] = [
  ['cyclonedx', /\.cdx\.(json|xml)$|(^|[/\\])bom\.(json|xml)$/i],
  ['spdx', /\.spdx(\.json|\.rdf|\.xml|\.ya?ml)?$/i],
  ['openvex', /\.openvex\.json$/i],
  ['kev', /known_exploited_vulnerabilities[^/\\]*\.(json|csv)$/i],
  ['epss', /epss[^/\\]*\.csv$/i],
  ['nvd', /nvdcve-[^/\\]*\.json$/i],
];

export function detectAdvisoryFormat(head: Uint8Array, fileName: string): AdvisoryFormat | null {
  let bytes = head.subarray(0, Math.max(SNIFF_BYTES, GZIP_INPUT_BYTES));
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const inflated = inflatePrefix(head);
    if (inflated === null) return null;
    bytes = inflated;
  }
  const text = new TextDecoder('utf-8', { fatal: false })
    .decode(bytes.subarray(0, SNIFF_BYTES))
    .replace(/^\uFEFF/, '');
  for (const [format, test] of RULES) if (test(text)) return format;
  const name = fileName.replace(/\.gz$/i, '');
  for (const [format, re] of NAME_RULES) if (re.test(name)) return format;
  return null;
}
