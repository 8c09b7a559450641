/**
 * @module ICCBBA (ISBT 128) UDIs for medical products of human origin: a sequence of data structures,
 * each introduced by its data identifier. Only the structures FDA lists for UDIs are read:
 * `=/` processor product identification code (the DI: FIN 5 + FPC 6 + PDC 5), `=,` product divisions
 * (serial), `=` + alphanumeric donation identification number (DIN 13 + 2 flag characters), `=>`
 * expiry and `=}` production date (cyyjjj), `&,1` MPHO lot number, `=)` / `&)` blood container
 * code and lot, and the `=+` compound message header.
 * @see ICCBBA ST-011 (ISBT 128 for medical devices) §7, ST-001 (technical specification) data structures.
 */
import { emptyUdi, julianDate, type ParsedUdi, udiError } from './udi-types.js';

interface Structure {
  id: string;
  name: string;
  length: number;
  pattern: RegExp;
}

// Longest identifiers first: `&,1` before anything two characters long.
const STRUCTURES: Structure[] = [
  { id: '&,1', name: 'MPHO LOT NUMBER', length: 18, pattern: /^[A-Z0-9]{18}$/ },
  { id: '=+', name: 'COMPOUND MESSAGE', length: 5, pattern: /^\d{5}$/ },
  {
    id: '=/',
    name: 'PROCESSOR PRODUCT IDENTIFICATION CODE',
    length: 16,
    pattern: /^[A-NP-Z0-9]{5}[A-Z0-9]{6}[A-Z0-9]{5}$/,
  },
  { id: '=,', name: 'PRODUCT DIVISIONS', length: 6, pattern: /^(?!000000)[A-Z0-9]{6}$/ },
  { id: '=>', name: 'EXPIRATION DATE', length: 6, pattern: /^\d{6}$/ },
  { id: '=}', name: 'PRODUCTION DATE', length: 6, pattern: /^\d{6}$/ },
  { id: '=)', name: 'CONTAINER MANUFACTURER AND CATALOG NUMBER', length: 10, pattern: /^[A-Z0-9]{10}$/ },
  { id: '&)', name: 'CONTAINER LOT NUMBER', length: 10, pattern: /^[A-Z0-9]{10}$/ },
];

export function looksLikeIccbba(s: string): boolean {
  return /^[=&]/.test(s);
}

/** cyyjjj: century digit (0 = 2000s), year, day of year. */
function cyyjjj(v: string): string | null {
  return julianDate(2000 + Number(v[0]) * 100 + Number(v.slice(1, 3)), Number(v.slice(3, 6)));
}

export function parseIccbba(input: string): ParsedUdi {
  const out = emptyUdi('ICCBBA');
  let i = 0;
  while (i < input.length) {
    const at = i;
    let st = STRUCTURES.find((x) => input.startsWith(x.id, i));
    let id: string;
    if (st) {
      id = st.id;
      i += st.id.length;
    } else if (input[i] === '=' && /[A-NP-Z1-9]/.test(input[i + 1] ?? '')) {
      // Donation identification number: the only structure whose second identifier character is data.
      st = {
        id: '=',
        name: 'DONATION IDENTIFICATION NUMBER',
        length: 15,
        pattern: /^[A-NP-Z1-9][A-NP-Z0-9]{4}\d{8}[A-Z0-9]{2}$/,
      };
      id = '=';
      i += 1;
    } else throw udiError(at, `unknown ISBT 128 data identifier "${input.slice(i, i + 2)}"`);
    const value = input.slice(i, i + st.length);
    if (value.length !== st.length)
      throw udiError(i, `${st.name} (${id}) needs ${st.length} characters, found ${value.length}`);
    if (!st.pattern.test(value)) throw udiError(i, `${st.name} (${id}) "${value}" is not well formed`);
    i += st.length;
    out.elements.push({ id, name: st.name, value, position: at });
    switch (id) {
      case '=/':
        out.di = value;
        break;
      case '=)':
        out.di ??= value;
        break;
      case '=,':
        out.serial = value;
        break;
      case '&,1':
      case '&)':
        out.lot = value;
        break;
      case '=': {
        out.extra['donationId'] = value.slice(0, 13);
        break;
      }
      case '=>':
      case '=}': {
        const date = cyyjjj(value);
        if (!date) throw udiError(at + 2, `${st.name} ${value} is not a cyyjjj date`);
        if (id === '=>') out.expiry = date;
        else out.manufactured = date;
        break;
      }
    }
  }
  if (!out.di)
    throw udiError(0, 'no device identifier: the processor product identification code (=/) is missing');
  return out;
}
