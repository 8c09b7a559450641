/**
 * @module One openFDA device classification record (FDA's product code database): natural key
 * `product_code`, with the device name, class (1/2/3, U, N, F) and medical specialty.
 * @see https://open.fda.gov/apis/device/classification/searchable-fields/
 */
import { z } from 'zod';
import { idText, optText } from './openfda-fields.js';

export const ProductClassificationSchema = z.looseObject({
  product_code: idText('product_code'),
  device_name: optText,
  device_class: optText,
  medical_specialty: optText,
  medical_specialty_description: optText,
  regulation_number: optText,
  definition: optText,
  review_panel: optText,
  submission_type_id: optText,
  implant_flag: optText,
  life_sustain_support_flag: optText,
});

export interface ProductClassification {
  productCode: string;
  deviceName: string | null;
  deviceClass: string | null;
  medicalSpecialty: string | null;
  medicalSpecialtyDescription: string | null;
  regulationNumber: string | null;
  definition: string | null;
  implant: boolean | null;
  lifeSustaining: boolean | null;
}

const flag = (v: string | null) => (v === 'Y' ? true : v === 'N' ? false : null);

export function toProductClassification(
  r: z.output<typeof ProductClassificationSchema>,
): ProductClassification {
  return {
    productCode: r.product_code.toUpperCase(),
    deviceName: r.device_name,
    deviceClass: r.device_class,
    medicalSpecialty: r.medical_specialty,
    medicalSpecialtyDescription: r.medical_specialty_description,
    regulationNumber: r.regulation_number,
    definition: r.definition,
    implant: flag(r.implant_flag),
    lifeSustaining: flag(r.life_sustain_support_flag),
  };
}
