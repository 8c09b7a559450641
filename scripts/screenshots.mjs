// `npm run screenshots`: bundles test/e2e/screenshots.ts with esbuild and runs it against the built
// dist/ (run `npm run build` first). Writes docs/screenshots/*.png.
import { runBundled } from './run-bundled.mjs';

await runBundled(['test/e2e/screenshots.ts']);
