/**
 * @module zod model of a CSAF trusted provider's `provider-metadata.json`: where the documents are (directory
 * and/or ROLIE distributions) and which OpenPGP keys sign them.
 * @see CSAF 2.0 §7.1.20 https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#7120-requirement-20-provider-metadatajson
 */
import { z } from 'zod';
import { jsonSyntaxProblem } from '../../formats/json-syntax.js';

export const RolieFeedRefSchema = z.looseObject({
  url: z.string(),
  tlp_label: z.string(),
  summary: z.string().optional(),
});

export const DistributionSchema = z.looseObject({
  directory_url: z.string().optional(),
  rolie: z
    .looseObject({
      feeds: z.array(RolieFeedRefSchema).min(1),
      categories: z.array(z.string()).optional(),
      services: z.array(z.string()).optional(),
    })
    .optional(),
});

export const PublicOpenPgpKeySchema = z.looseObject({
  url: z.string(),
  fingerprint: z.string().optional(),
});

export const ProviderMetadataSchema = z.looseObject({
  canonical_url: z.string(),
  distributions: z.array(DistributionSchema).optional(),
  last_updated: z.string(),
  list_on_CSAF_aggregators: z.boolean().optional(),
  metadata_version: z.string(),
  mirror_on_CSAF_aggregators: z.boolean().optional(),
  public_openpgp_keys: z.array(PublicOpenPgpKeySchema).optional(),
  publisher: z.looseObject({
    category: z.string(),
    name: z.string(),
    namespace: z.string(),
    contact_details: z.string().optional(),
    issuing_authority: z.string().optional(),
  }),
  role: z.string(),
});

export type ProviderMetadata = z.infer<typeof ProviderMetadataSchema>;
export type Distribution = z.infer<typeof DistributionSchema>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Fetched bytes as JSON; a failure says where, never what the bytes were (the URL may be anyone's). */
export function parseJsonBytes(bytes: Uint8Array): Parsed<unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, reason: 'not JSON: not UTF-8 text' };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const { byte } = jsonSyntaxProblem(text, err);
    return { ok: false, reason: byte === null ? 'not JSON' : `not JSON at byte ${byte}` };
  }
}

export function parseProviderMetadata(input: Uint8Array | unknown): Parsed<ProviderMetadata> {
  let json: unknown = input;
  if (input instanceof Uint8Array) {
    const parsed = parseJsonBytes(input);
    if (!parsed.ok) return parsed;
    json = parsed.value;
  }
  const result = ProviderMetadataSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    return {
      ok: false,
      reason: `invalid provider-metadata.json: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'}`,
    };
  }
  return { ok: true, value: result.data };
}
