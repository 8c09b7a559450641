/** @module Vigil's version, injected by the build (esbuild `define`); `dev` when run from source. */
declare const __VIGIL_VERSION__: string | undefined;
export const VERSION: string = typeof __VIGIL_VERSION__ === 'string' ? __VIGIL_VERSION__ : 'dev';
