/**
 * @module CSAF trusted-provider sync client and offline bundle import (network + verification, no database).
 * @see CSAF 2.0 §7.1 https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#71-requirements
 */
export * from './bundle.js';
export * from './directory.js';
export * from './entry.js';
export * from './fetcher.js';
export * from './provider-metadata.js';
export * from './rolie.js';
export * from './sync.js';
export * from './verify.js';
