/**
 * @module CycloneDX reading (JSON and XML, SBOM and VEX) and optional schema validation.
 * @see https://cyclonedx.org/specification/overview/
 */
export { type CycloneDxReadResult, MAX_COMPONENT_DEPTH, mapCycloneDx } from './cyclonedx-model.js';
export { cycloneDxXmlToJson, MAX_XML_CHARS, MAX_XML_DEPTH } from './cyclonedx-xml.js';
export { checkCpe, checkPurl } from './identifiers.js';
export { readCycloneDx, readCycloneDxJson, readCycloneDxXml } from './read-cyclonedx.js';
export { validateCycloneDxJson } from './validate-cyclonedx.js';
