/**
 * @module CSAF 2.0 VEX (profile `csaf_vex`) reading and writing, on top of the CSAF reader in
 * `src/formats/csaf`.
 * @see https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html
 */
export { CSAF_STATUS_TO_VEX, type CsafVexReadResult, readCsafVex } from './read-csaf-vex.js';
export { type CsafVexWriteInput, writeCsafVex } from './write-csaf-vex.js';
