/**
 * @module What every dissector's parse function returns. Dissectors are pure: bytes in, typed records
 * out, no I/O, no database, never a throw on bad input. Stream protocols (DICOM, HL7/MLLP, HTTP, TLS …)
 * get bytes as they arrive and may answer `need-more`; a malformed message says where and why.
 */

export type ParseResult<T> =
  /** One message parsed from the start of the input; `consumed` bytes belong to it. */
  | { kind: 'ok'; value: T; consumed: number }
  /** The input is a valid prefix; call again with more bytes. `needed` is a lower bound when known. */
  | { kind: 'need-more'; needed?: number }
  /** Not this protocol, or malformed: `offset` is relative to the start of the input. */
  | { kind: 'error'; offset: number; reason: string };

export const ok = <T>(value: T, consumed: number): ParseResult<T> => ({ kind: 'ok', value, consumed });
export const needMore = <T>(needed?: number): ParseResult<T> =>
  needed === undefined ? { kind: 'need-more' } : { kind: 'need-more', needed };
export const malformed = <T>(offset: number, reason: string): ParseResult<T> => ({
  kind: 'error',
  offset,
  reason,
});
