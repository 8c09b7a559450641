/**
 * @module Which devices a recall affects, and why (pure: recall and inventory in, matches out).
 * Bases, strongest first:
 * - `udi`: the device's UDI device identifier is written in the recall, or its GUDID record has the
 *   recall's product code and a model/catalog number the recall names;
 * - `510k`: a 510(k)/PMA number of the recall is among the premarket submissions of the device's GUDID
 *   record (by DI, or by the model number and manufacturer) and the model is named (high), or not (low);
 * - `product-code`: the model's FDA product code, the recalling firm (manufacturer, aliases and
 *   acquisitions resolved) and the model named in the recall text;
 * - `firm-model`: the recalling firm and the model named.
 * Lot and serial lists in `code_info` then decide: a listed serial/lot makes the match high; a listed
 * list that leaves the device out drops it. High matches are `matched`; the rest are candidates a
 * person confirms or rejects.
 */
import {
  type NameText,
  namesProduct,
  nameText,
  nameWordsIn,
  resolveManufacturer,
  withoutLeadingBrand,
} from '../matching/names/names.js';
import { type CodeInfo, codeKey, listsCode, parseCodeInfo } from './code-info.js';

export type MatchBasis = 'udi' | '510k' | 'product-code' | 'firm-model';
export type MatchConfidence = 'high' | 'medium' | 'low';

export interface RecallForMatch {
  id: string;
  recallNumber: string;
  productCode: string | null;
  kNumbers: readonly string[];
  pmaNumbers: readonly string[];
  productDescription: string | null;
  codeInfo: string | null;
  recallingFirm: string | null;
}

/** What GUDID says about a DI or a model number. */
export interface GudidInfo {
  recordKey: string;
  primaryDi: string;
  productCodes: readonly string[];
  submissions: readonly string[];
  modelNumber: string | null;
  catalogNumber: string | null;
  companyName: string | null;
}

export interface DeviceForMatch {
  id: string;
  label: string;
  modelId: string | null;
  model: string | null;
  modelNumber: string | null;
  productCode: string | null;
  manufacturer: string | null;
  serial: string | null;
  /** From the device's parsed UDI. */
  di: string | null;
  lot: string | null;
  udiSerial: string | null;
  /** The GUDID record of the DI, when imported. */
  gudid: GudidInfo | null;
  /** GUDID records of the model number with this manufacturer. */
  modelGudid: readonly GudidInfo[];
}

export interface RecallMatchResult {
  deviceId: string;
  modelId: string | null;
  basis: MatchBasis;
  confidence: MatchConfidence;
  state: 'matched' | 'candidate';
  explanation: string;
  evidence: {
    di?: string;
    submissions?: string[];
    productCode?: string;
    firm?: string;
    modelNamed?: string;
    serial?: string;
    lot?: string;
    unitCheck?: string;
  };
}

/** The recall text prepared once for every device compared with it. */
export interface PreparedRecall {
  recall: RecallForMatch;
  phrase: string;
  compact: Set<string>;
  words: NameText;
  code: CodeInfo;
  firmKey: string | null;
  submissions: Set<string>;
}

const phraseOf = (s: string) =>
  ` ${s
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim()} `;

export function prepareRecall(recall: RecallForMatch): PreparedRecall {
  const text = [recall.productDescription, recall.codeInfo].filter(Boolean).join('\n');
  const compact = new Set(
    text
      .split(/[\s,;:()[\]]+/)
      .map(codeKey)
      .filter((t) => t.length >= 3),
  );
  return {
    recall,
    phrase: phraseOf(text),
    compact,
    words: nameText(text),
    code: parseCodeInfo(recall.codeInfo),
    firmKey: recall.recallingFirm ? resolveManufacturer(recall.recallingFirm).key : null,
    submissions: new Set([...recall.kNumbers, ...recall.pmaNumbers].map((s) => s.toUpperCase())),
  };
}

/** A model number or name is specific enough to look for in text. */
function specific(s: string | null): s is string {
  if (!s) return false;
  const k = codeKey(s);
  return (k.length >= 3 && /\d/.test(k)) || k.length >= 6;
}

/**
 * The recall text names a model as a phrase (`RotoProne`), as one code (`#209500`), or word by word:
 * FDA describes the product in its own words ("RotoProne powered patient rotation bed, part #209500"),
 * so a model the hospital records as `RotoProne Bed` or `RotoProne 209500` is named when each of its
 * words is in the text (generic words aside; see `nameWordsIn`).
 */
function named(p: PreparedRecall, s: string | null, makers: readonly string[]): boolean {
  if (!specific(s)) return false;
  const ph = phraseOf(s);
  return p.phrase.includes(ph) || p.compact.has(codeKey(s)) || nameWordsIn(s, p.words, makers);
}

/**
 * The model without the maker's brand in front (`KCI RotoProne` → `RotoProne`): recalls rarely repeat
 * it. Only when the rest still names a product: `Covidien Ventilator` → `Ventilator` would be found in
 * any ventilator recall of the firm.
 */
function withoutBrand(d: DeviceForMatch, makers: readonly string[]): string | null {
  if (!d.model || !d.manufacturer) return null;
  const rest = withoutLeadingBrand(d.model, firmKeyOf(d.manufacturer)!, d.manufacturer, [])?.name ?? null;
  return rest !== null && namesProduct(rest, makers) ? rest : null;
}

export const firmKeyOf = (name: string | null): string | null =>
  name ? resolveManufacturer(name).key : null;

/** `firm Kinetic Concepts, Inc = KCI (both KCI)`: which table entry made two different names one firm. */
function firmSame(r: RecallForMatch, d: DeviceForMatch): string {
  const same = `firm ${r.recallingFirm} = ${d.manufacturer}`;
  const id = resolveManufacturer(d.manufacturer ?? '');
  return id.known && r.recallingFirm !== d.manufacturer ? `${same} (both ${id.name})` : same;
}

export function matchRecallToDevice(p: PreparedRecall, d: DeviceForMatch): RecallMatchResult | null {
  const r = p.recall;
  const ev: RecallMatchResult['evidence'] = {};
  const why: string[] = [];
  const gudids = [d.gudid, ...d.modelGudid].filter((g): g is GudidInfo => !!g);
  // Which name of the device the recall uses; the maker's own words name no product.
  const makers = [r.recallingFirm, d.manufacturer].filter((m): m is string => !!m);
  const modelNamed =
    [
      d.modelNumber,
      d.gudid?.modelNumber ?? null,
      d.gudid?.catalogNumber ?? null,
      d.model,
      withoutBrand(d, makers),
    ].find((s) => named(p, s, makers)) ?? null;
  if (modelNamed) ev.modelNamed = modelNamed;
  const firmMatch = !!p.firmKey && !!d.manufacturer && firmKeyOf(d.manufacturer) === p.firmKey;
  // The model's product code as the catalogue records it, else as GUDID gives it for the device or model.
  const codes = new Set(
    [d.productCode?.toUpperCase(), ...gudids.flatMap((g) => g.productCodes)].filter(Boolean),
  );
  const pcMatch = !!r.productCode && codes.has(r.productCode);

  let basis: MatchBasis | null = null;
  let confidence: MatchConfidence = 'low';
  if (d.di && (p.code.dis.includes(d.di) || p.compact.has(d.di))) {
    basis = 'udi';
    confidence = 'high';
    ev.di = d.di;
    why.push(`the recall lists the device's UDI-DI ${d.di}`);
  } else if (
    d.di &&
    d.gudid &&
    r.productCode &&
    d.gudid.productCodes.includes(r.productCode) &&
    (named(p, d.gudid.modelNumber, makers) || named(p, d.gudid.catalogNumber, makers))
  ) {
    basis = 'udi';
    confidence = 'high';
    ev.di = d.di;
    ev.productCode = r.productCode;
    why.push(
      `GUDID record of the device's UDI-DI ${d.di} has product code ${r.productCode} and model/catalog ${d.gudid.modelNumber ?? d.gudid.catalogNumber}, which the recall names`,
    );
  } else {
    const common = [...new Set(gudids.flatMap((g) => g.submissions.filter((s) => p.submissions.has(s))))];
    if (common.length) {
      basis = '510k';
      confidence = modelNamed ? 'high' : 'low';
      ev.submissions = common;
      why.push(
        `premarket submission ${common.join(', ')} of the recall is the device's (GUDID${d.gudid ? ` ${d.gudid.primaryDi}` : ` model ${d.modelNumber}`})${modelNamed ? ` and the recall names ${modelNamed}` : ', but the recall does not name the model'}`,
      );
    } else if (pcMatch && firmMatch && modelNamed) {
      basis = 'product-code';
      confidence = 'medium';
      ev.productCode = r.productCode!;
      ev.firm = r.recallingFirm!;
      why.push(`product code ${r.productCode}, ${firmSame(r, d)}, and the recall names ${modelNamed}`);
    } else if (firmMatch && modelNamed) {
      basis = 'firm-model';
      confidence = 'low';
      ev.firm = r.recallingFirm!;
      why.push(`${firmSame(r, d)} and the recall names ${modelNamed}`);
    }
  }
  if (!basis) return null;

  // Units: a listed serial or lot decides.
  const serial = d.serial ?? d.udiSerial;
  const serialListed = p.code.serials.length > 0 || p.code.serialRanges.length > 0;
  if (serialListed && !p.code.allUnits) {
    if (serial && listsCode(p.code.serials, p.code.serialRanges, serial)) {
      ev.serial = serial;
      confidence = 'high';
      why.push(`serial ${serial} is listed`);
    } else if (serial) return null;
    else {
      ev.unitCheck = 'serial numbers are listed; this device has none recorded';
      why.push(
        'the recall lists serial numbers and none is recorded for this device: check its serial number',
      );
    }
  } else if (p.code.lots.length && !p.code.allUnits) {
    if (d.lot && listsCode(p.code.lots, [], d.lot)) {
      ev.lot = d.lot;
      confidence = 'high';
      why.push(`lot ${d.lot} is listed`);
    } else if (d.lot) return null;
    else {
      ev.unitCheck = 'lot numbers are listed; this device has no lot recorded';
      why.push('the recall lists lots and none is recorded for this device: check its lot');
    }
  }
  return {
    deviceId: d.id,
    modelId: d.modelId,
    basis,
    confidence,
    state: confidence === 'high' ? 'matched' : 'candidate',
    explanation: `${r.recallNumber} → ${d.label}: ${why.join('; ')}`,
    evidence: ev,
  };
}

/** Inventory indexes so each recall is compared only with devices that could match it. */
export class DeviceIndex {
  private readonly byDi = new Map<string, DeviceForMatch[]>();
  private readonly byFirm = new Map<string, DeviceForMatch[]>();
  private readonly bySubmission = new Map<string, DeviceForMatch[]>();
  private readonly byProductCode = new Map<string, DeviceForMatch[]>();

  constructor(devices: readonly DeviceForMatch[]) {
    const add = (m: Map<string, DeviceForMatch[]>, k: string | null | undefined, d: DeviceForMatch) => {
      if (!k) return;
      const l = m.get(k);
      if (l) l.push(d);
      else m.set(k, [d]);
    };
    for (const d of devices) {
      add(this.byDi, d.di, d);
      add(this.byFirm, firmKeyOf(d.manufacturer), d);
      add(this.byProductCode, d.productCode?.toUpperCase(), d);
      for (const g of [d.gudid, ...d.modelGudid]) {
        if (!g) continue;
        for (const s of g.submissions) add(this.bySubmission, s, d);
        for (const c of g.productCodes) add(this.byProductCode, c, d);
      }
    }
  }

  candidates(p: PreparedRecall): DeviceForMatch[] {
    const out = new Map<string, DeviceForMatch>();
    const take = (l: DeviceForMatch[] | undefined) => {
      for (const d of l ?? []) out.set(d.id, d);
    };
    for (const di of p.code.dis) take(this.byDi.get(di));
    for (const t of p.compact) if (/^\d{8,14}$/.test(t)) take(this.byDi.get(t));
    for (const s of p.submissions) take(this.bySubmission.get(s));
    if (p.recall.productCode) take(this.byProductCode.get(p.recall.productCode));
    if (p.firmKey) take(this.byFirm.get(p.firmKey));
    return [...out.values()];
  }
}
