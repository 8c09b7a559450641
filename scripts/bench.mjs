// `npm run bench`: bundles bench/run.ts with esbuild (as the product is built) and runs it.
// Arguments after `--` go to the benchmark, e.g. `npm run bench -- --devices 20000`.
import { runBundled } from './run-bundled.mjs';

await runBundled(['bench/run.ts', 'bench/capture-child.ts']);
