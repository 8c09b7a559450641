/**
 * @module The `vigil` binary's entry (bin/vigil.js runs its bundle, dist/vigil.js): builds the command tree
 * for this command line (`program.ts`), runs it, and closes the database.
 */
import { buildProgram } from './program.js';
import { reportError } from './run-command.js';

// The in-process test runner (test/cli-in-process.ts) builds programs from the bundle's own copy.
export { buildProgram };

// `vigil vulns list | head`: a closed pipe ends the command quietly, as with any Unix tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

const { program, cli } = await buildProgram(process.argv.slice(2));
try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
// `serve` keeps running; every other command closes the database and exits.
if (!cli.keptOpen) await cli.close();
