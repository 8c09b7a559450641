/**
 * @module SPDX 2.2/2.3 JSON reading.
 * @see https://spdx.github.io/spdx-spec/v2.3/
 */
export { readSpdx, SpdxPackage, type SpdxReadResult, SpdxRelationship } from './read-spdx.js';
