/**
 * @module One openFDA device UDI record (the openFDA form of an AccessGUDID device record): natural key
 * `public_device_record_key`; the primary DI is the identifier of type Primary.
 * @see https://open.fda.gov/apis/device/udi/searchable-fields/ and FDA's GUDID data elements reference.
 */
import { z } from 'zod';
import { idText, optText } from './openfda-fields.js';

const IdentifierSchema = z.looseObject({
  id: idText('identifiers[].id'),
  type: optText,
  issuing_agency: optText,
});

export const GudidDeviceSchema = z
  .looseObject({
    public_device_record_key: idText('public_device_record_key'),
    identifiers: z.array(IdentifierSchema).min(1, 'at least one identifier'),
    brand_name: optText,
    version_or_model_number: optText,
    catalog_number: optText,
    company_name: optText,
    device_description: optText,
    commercial_distribution_status: optText,
    product_codes: z.array(z.looseObject({ code: optText, name: optText })).nullish(),
    premarket_submissions: z.array(z.looseObject({ submission_number: optText })).nullish(),
  })
  .refine((r) => r.identifiers.some((i) => (i.type ?? '').toLowerCase() === 'primary'), {
    message: 'no identifier of type Primary',
    path: ['identifiers'],
  });

export interface GudidIdentifier {
  di: string;
  type: string;
  issuingAgency: string | null;
}

export interface GudidDevice {
  recordKey: string;
  primaryDi: string;
  issuingAgency: string | null;
  identifiers: GudidIdentifier[];
  brandName: string | null;
  modelNumber: string | null;
  catalogNumber: string | null;
  companyName: string | null;
  description: string | null;
  distributionStatus: string | null;
  productCodes: string[];
  submissions: string[];
}

export function toGudidDevice(r: z.output<typeof GudidDeviceSchema>): GudidDevice {
  const primary = r.identifiers.find((i) => (i.type ?? '').toLowerCase() === 'primary')!;
  const seen = new Set<string>();
  const identifiers: GudidIdentifier[] = [];
  for (const i of r.identifiers) {
    if (seen.has(i.id)) continue;
    seen.add(i.id);
    identifiers.push({ di: i.id, type: i.type ?? 'Unknown', issuingAgency: i.issuing_agency });
  }
  return {
    recordKey: r.public_device_record_key,
    primaryDi: primary.id,
    issuingAgency: primary.issuing_agency,
    identifiers,
    brandName: r.brand_name,
    modelNumber: r.version_or_model_number,
    catalogNumber: r.catalog_number,
    companyName: r.company_name,
    description: r.device_description,
    distributionStatus: r.commercial_distribution_status,
    productCodes: [
      ...new Set((r.product_codes ?? []).map((p) => p.code?.toUpperCase()).filter((c): c is string => !!c)),
    ],
    submissions: [
      ...new Set(
        (r.premarket_submissions ?? [])
          .map((p) => p.submission_number?.toUpperCase())
          .filter((c): c is string => !!c),
      ),
    ],
  };
}
