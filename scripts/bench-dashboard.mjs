// `npm run bench:dashboard`: bundles bench/dashboard.ts with esbuild (as scripts/bench.mjs does) and runs it.
// Arguments after `--` go to the benchmark, e.g. `npm run bench:dashboard -- --devices 20000`.
import { runBundled } from './run-bundled.mjs';

await runBundled(['bench/dashboard.ts'], { define: { __VIGIL_VERSION__: '"bench"' } });
