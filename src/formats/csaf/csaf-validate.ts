/**
 * @module CSAF 2.0 conformance check via the BSI/secvisogram validator: the JSON-schema test plus every
 * mandatory test (§6.1). Informative tests are left out because they fetch URLs and spell-check with hunspell;
 * optional tests are left out because they flag style, not import-blocking problems. Real provider documents
 * can fail individual mandatory tests, so callers may downgrade named tests to warnings.
 * @see CSAF 2.0 §6.1 https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#61-mandatory-tests
 */
interface LibMessage {
  message?: string;
  instancePath?: string;
}

interface LibTestResult {
  isValid?: boolean;
  errors?: LibMessage[];
  warnings?: LibMessage[];
  infos?: LibMessage[];
}

type DocumentTest = (doc: unknown) => LibTestResult | Promise<LibTestResult>;

export interface CsafValidationMessage {
  /** JSON pointer into the document ('' for the root). */
  path: string;
  message: string;
  /** Test id as exported by the library, e.g. `csaf_2_0` or `mandatoryTest_6_1_8`. */
  test: string;
}

export interface CsafValidationResult {
  ok: boolean;
  errors: CsafValidationMessage[];
  warnings: CsafValidationMessage[];
}

export interface ValidateCsafOptions {
  /**
   * Tests whose failures are reported as warnings instead of errors (real-world noise in provider documents).
   * Defaults to `DEFAULT_DOWNGRADED_TESTS`.
   */
  downgrade?: readonly string[];
}

/**
 * Mandatory tests that CISA's own published ICSMA documents fail, so treating them as errors would block
 * importing real advisories. See the report in docs or the module tests for which documents fail which test.
 */
export const DEFAULT_DOWNGRADED_TESTS: readonly string[] = [];

function asTests(namespace: unknown): [string, DocumentTest][] {
  if (typeof namespace !== 'object' || namespace === null) return [];
  // Export names are used as ids rather than `fn.name`, which bundlers may rename.
  return Object.entries(namespace).filter((e): e is [string, DocumentTest] => typeof e[1] === 'function');
}

let loading: Promise<[string, DocumentTest][]> | null = null;

/**
 * Loads the library on first use: importing it compiles its JSON schemas with ajv (~1.5 s), which must not
 * slow down every CLI start.
 */
function loadTests(): Promise<[string, DocumentTest][]> {
  loading ??= (async () => {
    // The library ships plain JS without declarations; the namespaces are narrowed to `DocumentTest` below.
    // @ts-expect-error TS7016: no .d.ts in @secvisogram/csaf-validator-lib 2.0.10
    const schemaImport: Promise<unknown> = import('@secvisogram/csaf-validator-lib/schemaTests.js');
    // @ts-expect-error TS7016: no .d.ts in @secvisogram/csaf-validator-lib 2.0.10
    const mandatoryImport: Promise<unknown> = import('@secvisogram/csaf-validator-lib/mandatoryTests.js');
    const [schemaModule, mandatoryModule] = await Promise.all([schemaImport, mandatoryImport]);
    const schema = asTests(schemaModule).filter(([name]) => name === 'csaf_2_0');
    // Sorted numerically by section so reports read 6.1.1, 6.1.2, …, 6.1.27.1, …
    const mandatory = asTests(mandatoryModule).sort(([a], [b]) => compareSection(a, b));
    return [...schema, ...mandatory];
  })();
  return loading;
}

/** The ids of the tests `validateCsaf` runs, in order (`csaf_2_0`, then `mandatoryTest_6_1_1` …). */
export async function listCsafTests(): Promise<string[]> {
  return (await loadTests()).map(([name]) => name);
}

function compareSection(a: string, b: string): number {
  const nums = (s: string) => (s.match(/\d+/g) ?? []).map(Number);
  const x = nums(a);
  const y = nums(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

export async function validateCsaf(
  json: unknown,
  options: ValidateCsafOptions = {},
): Promise<CsafValidationResult> {
  const downgrade = new Set(options.downgrade ?? DEFAULT_DOWNGRADED_TESTS);
  const errors: CsafValidationMessage[] = [];
  const warnings: CsafValidationMessage[] = [];
  for (const [test, run] of await loadTests()) {
    let result: LibTestResult;
    try {
      result = await run(json);
    } catch (err) {
      // Mandatory tests assume schema-valid input and can throw on odd shapes; that is a finding, not a crash.
      result = {
        isValid: false,
        errors: [{ message: `test crashed: ${err instanceof Error ? err.message : String(err)}` }],
      };
    }
    const toMessage = (m: LibMessage): CsafValidationMessage => ({
      path: m.instancePath ?? '',
      message: m.message ?? 'unspecified',
      test,
    });
    const testErrors = (result.errors ?? []).map(toMessage);
    if (result.isValid === false && testErrors.length === 0) {
      testErrors.push({ path: '', message: 'test failed', test });
    }
    (downgrade.has(test) ? warnings : errors).push(...testErrors);
    warnings.push(...(result.warnings ?? []).map(toMessage));
  }
  return { ok: errors.length === 0, errors, warnings };
}
