/**
 * @module CSAF 2.0 reading: the document model and validation, the flattened product tree, and the
 * per-vulnerability, per-product advisory view. Pure functions over parsed JSON.
 * @see CSAF 2.0, https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html
 */
export * from './csaf-advisory.js';
export * from './csaf-document.js';
export * from './product-tree.js';
