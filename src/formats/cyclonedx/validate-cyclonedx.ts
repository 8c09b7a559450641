/**
 * @module Optional validation of CycloneDX JSON against the official JSON schema, via
 * `@cyclonedx/cyclonedx-library` (ajv underneath). Separate from reading: the readers accept
 * near-miss documents and report per field, while this says whether a document is schema-valid at all.
 *
 * Bundling: the library loads its schema files from its own package directory (`res/schema`) at run time.
 * `scripts/build.mjs` bundles with `packages: 'external'`, so the library stays in node_modules and finds
 * them; a build that inlined node_modules would break this function (and only this function).
 * @see https://github.com/CycloneDX/cyclonedx-javascript-library
 */
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { errorText } from './identifiers.js';

const VERSIONS: Record<string, Spec.Version> = {
  '1.2': Spec.Version.v1dot2,
  '1.3': Spec.Version.v1dot3,
  '1.4': Spec.Version.v1dot4,
  '1.5': Spec.Version.v1dot5,
  '1.6': Spec.Version.v1dot6,
};

/** One schema violation: where (a JSON pointer, `''` for the whole document) and what. */
export interface CycloneDxSchemaError {
  pointer: string;
  message: string;
}

/** RFC 6901 §3: `~` and `/` inside a key are escaped. */
const escapeKey = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

interface AjvError {
  instancePath?: unknown;
  keyword?: unknown;
  params?: { additionalProperty?: unknown };
  message?: unknown;
}

/**
 * Validates `json` (text or a parsed value) against the strict CycloneDX schema of `specVersion`
 * (`'1.4'`, `'1.5'`, `'1.6'`; 1.2 and 1.3 also accepted). Empty when valid. Never rejects.
 */
export async function validateCycloneDxJson(
  json: unknown,
  specVersion: string,
): Promise<CycloneDxSchemaError[]> {
  const version = VERSIONS[specVersion];
  if (version === undefined)
    return [{ pointer: '', message: `unsupported CycloneDX specVersion ${JSON.stringify(specVersion)}` }];
  try {
    const text = typeof json === 'string' ? json : JSON.stringify(json);
    const result = await new Validation.JsonStrictValidator(version).validate(text);
    if (result === null) return [];
    if (Array.isArray(result)) {
      return result.map((e: AjvError) => {
        const at = typeof e.instancePath === 'string' ? e.instancePath : '';
        const key = e.params?.additionalProperty;
        // ajv places an unknown key at its parent ("must NOT have additional properties"): point at the
        // key itself and name it, so `"componets"` is found without reading the whole document.
        if (e.keyword === 'additionalProperties' && typeof key === 'string') {
          return {
            pointer: `${at}/${escapeKey(key)}`,
            message: `unknown key ${JSON.stringify(key)} (not in the CycloneDX ${specVersion} schema)`,
          };
        }
        return { pointer: at, message: String(e.message ?? 'invalid') };
      });
    }
    return [{ pointer: '', message: String(result) }];
  } catch (err) {
    return [{ pointer: '', message: `validation failed: ${errorText(err)}` }];
  }
}
