// `node --import ./test/trace-packages.mjs …`: writes the npm package of every module the process loads
// through `import` to the file named by VIGIL_TRACE_PACKAGES, one per line (program.test.ts reads it to
// check what a command's start-up loads).
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
const out = process.env.VIGIL_TRACE_PACKAGES;
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
  if (m && out) appendFileSync(out, m[1] + '\\n');
  return r;
}`)}`,
);
