// `npm run fuzz`: bundles bench/fuzz.ts with esbuild (as the product is built) and runs it.
// Arguments after `--` go to the campaign, e.g. `npm run fuzz -- --seconds 600 --seed 7 --only captures`.
import { runBundled } from './run-bundled.mjs';

await runBundled(['bench/fuzz.ts']);
