/**
 * @module One openFDA device enforcement report (`device/enforcement`, the weekly Enforcement Report):
 * natural key `recall_number`; carries the recall's class (Class I/II/III) the recall records lack.
 * @see https://open.fda.gov/apis/device/enforcement/searchable-fields/
 */
import { z } from 'zod';
import { fdaDate, idText, optText, textList } from './openfda-fields.js';
import type { FdaRecallRecord } from './openfda-recall.js';

export const OpenFdaEnforcementSchema = z.looseObject({
  recall_number: idText('recall_number'),
  event_id: optText,
  classification: optText,
  product_description: optText,
  code_info: optText,
  reason_for_recall: optText,
  status: optText,
  recall_initiation_date: fdaDate,
  report_date: fdaDate,
  termination_date: fdaDate,
  recalling_firm: optText,
  product_quantity: optText,
  product_code: optText,
  openfda: z
    .looseObject({
      device_name: optText,
      medical_specialty_description: optText,
      device_class: optText,
      regulation_number: optText,
      k_number: textList,
      pma_number: textList,
    })
    .nullish(),
});

export type OpenFdaEnforcement = z.output<typeof OpenFdaEnforcementSchema>;

export function toEnforcementRecord(r: OpenFdaEnforcement): FdaRecallRecord {
  return {
    source: 'enforcement',
    naturalKey: `enforcement:${r.recall_number}`,
    eventNumber: r.event_id,
    recallNumber: r.recall_number,
    productCode: r.product_code?.toUpperCase() ?? null,
    kNumbers: (r.openfda?.k_number ?? []).map((k) => k.toUpperCase()),
    pmaNumbers: (r.openfda?.pma_number ?? []).map((k) => k.toUpperCase()),
    productDescription: r.product_description,
    codeInfo: r.code_info,
    recallingFirm: r.recalling_firm,
    reason: r.reason_for_recall,
    rootCause: null,
    action: null,
    classification: r.classification,
    status: r.status,
    initiated: r.recall_initiation_date,
    posted: r.report_date,
    terminated: r.termination_date,
    productQuantity: r.product_quantity,
    deviceName: r.openfda?.device_name ?? null,
    medicalSpecialty: r.openfda?.medical_specialty_description ?? null,
    deviceClass: r.openfda?.device_class ?? null,
    regulationNumber: r.openfda?.regulation_number ?? null,
  };
}
