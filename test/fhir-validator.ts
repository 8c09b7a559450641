/**
 * A validator for FHIR R4 JSON against HL7's FHIR R4 JSON schema (`fhir.schema.json`, "id":
 * "http://hl7.org/fhir/json-schema/4.0", draft-06, 146 resource types), kept gzipped in
 * test/fixtures/fhir (see its PROVENANCE.md for where the copy comes from and its hash).
 *
 * The schema's `discriminator` (resourceType → definition) is applied the way it describes: instead
 * of compiling all 146 resource types into one `oneOf` (slow, and one error per branch), every place
 * that accepts "any resource" (Bundle.entry.resource, contained) dispatches on `resourceType` to that
 * type's own definition, compiled on first use. An unknown resourceType is an error.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export const FHIR_SCHEMA_PATH = new URL('./fixtures/fhir/fhir.schema.r4.json.gz', import.meta.url);

type Json = Record<string, unknown>;

export interface FhirValidation {
  ok: boolean;
  errors: string[];
}

export interface FhirValidator {
  validate(resource: unknown): FhirValidation;
  /** HL7 R4 resource types the validator knows. */
  resourceTypes: ReadonlySet<string>;
}

export function fhirValidator(): FhirValidator {
  const schema = JSON.parse(gunzipSync(readFileSync(FHIR_SCHEMA_PATH)).toString('utf8')) as Json;
  const mapping = (schema['discriminator'] as { mapping: Record<string, string> }).mapping;
  const types = new Set(Object.keys(mapping));
  const definitions = schema['definitions'] as Record<string, Json>;
  // "Any resource": the custom keyword below dispatches on resourceType.
  definitions['ResourceList'] = { fhirResource: true };
  const { id: _id, discriminator: _d, oneOf: _o, $schema: _s, ...rest } = schema;

  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false, validateSchema: false });
  const byType = new Map<string, ValidateFunction>();
  const validatorOf = (type: string): ValidateFunction => {
    let v = byType.get(type);
    if (!v) {
      v = ajv.getSchema(`fhir#/definitions/${type}`)!;
      byType.set(type, v);
    }
    return v;
  };
  ajv.addKeyword({
    keyword: 'fhirResource',
    errors: true,
    validate: function dispatch(
      this: unknown,
      _schema: unknown,
      data: unknown,
      _p?: unknown,
      ctx?: { instancePath?: string },
    ) {
      const self = dispatch as unknown as { errors: Partial<ErrorObject>[] | null };
      const type = (data as Json | null)?.['resourceType'];
      if (typeof type !== 'string' || !types.has(type)) {
        self.errors = [
          {
            keyword: 'fhirResource',
            instancePath: ctx?.instancePath ?? '',
            message: `unknown resourceType ${String(type)}`,
            params: {},
          },
        ];
        return false;
      }
      const v = validatorOf(type);
      if (v(data)) return true;
      self.errors = (v.errors ?? []).map((e) => ({
        ...e,
        instancePath: `${ctx?.instancePath ?? ''}${e.instancePath}`,
      }));
      return false;
    },
  });
  ajv.addSchema({ ...rest, $id: 'fhir' });
  const top = ajv.compile({ $ref: 'fhir#/definitions/ResourceList' });
  return {
    resourceTypes: types,
    validate(resource) {
      const ok = top(resource) as boolean;
      return {
        ok,
        errors: ok ? [] : (top.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`),
      };
    },
  };
}
