/**
 * @module OpenVEX reading (0.0.1 and 0.2.0) and writing (0.2.0).
 * @see https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md
 */
export {
  OPENVEX_STATUSES,
  OpenVexProduct,
  type OpenVexReadResult,
  OpenVexStatement,
  readOpenVex,
} from './read-openvex.js';
export {
  OPENVEX_CONTEXT,
  OPENVEX_JUSTIFICATIONS,
  type OpenVexWriteInput,
  toVexJustificationLabel,
  writeOpenVex,
} from './write-openvex.js';
