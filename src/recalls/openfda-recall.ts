/**
 * @module One openFDA device recall record (`device/recall`, FDA's Recall Enterprise System per
 * product): its natural key is `res_event_number` + `product_res_number`.
 * @see https://open.fda.gov/apis/device/recall/searchable-fields/
 */
import { z } from 'zod';
import { fdaDate, idText, optText, textList } from './openfda-fields.js';

export const OpenFdaRecallSchema = z.looseObject({
  res_event_number: idText('res_event_number'),
  product_res_number: idText('product_res_number'),
  cfres_id: optText,
  product_code: optText,
  k_numbers: textList,
  pma_numbers: textList,
  product_description: optText,
  code_info: optText,
  recalling_firm: optText,
  reason_for_recall: optText,
  root_cause_description: optText,
  action: optText,
  event_date_initiated: fdaDate,
  event_date_posted: fdaDate,
  event_date_created: fdaDate,
  event_date_terminated: fdaDate,
  recall_status: optText,
  product_quantity: optText,
  openfda: z
    .looseObject({
      device_name: optText,
      medical_specialty_description: optText,
      device_class: optText,
      regulation_number: optText,
    })
    .nullish(),
});

export type OpenFdaRecall = z.output<typeof OpenFdaRecallSchema>;

/** The fields both recall sources share, as Vigil stores them. */
export interface FdaRecallRecord {
  source: 'recall' | 'enforcement';
  /** Unique per source: `recall:<res_event_number>:<product_res_number>` or `enforcement:<recall_number>`. */
  naturalKey: string;
  eventNumber: string | null;
  /** Z-0418-05: the product's recall number (`product_res_number` = enforcement's `recall_number`). */
  recallNumber: string;
  productCode: string | null;
  kNumbers: string[];
  pmaNumbers: string[];
  productDescription: string | null;
  codeInfo: string | null;
  recallingFirm: string | null;
  reason: string | null;
  rootCause: string | null;
  action: string | null;
  classification: string | null;
  status: string | null;
  initiated: string | null;
  posted: string | null;
  terminated: string | null;
  productQuantity: string | null;
  deviceName: string | null;
  medicalSpecialty: string | null;
  deviceClass: string | null;
  regulationNumber: string | null;
}

export function toRecallRecord(r: OpenFdaRecall): FdaRecallRecord {
  return {
    source: 'recall',
    naturalKey: `recall:${r.res_event_number}:${r.product_res_number}`,
    eventNumber: r.res_event_number,
    recallNumber: r.product_res_number,
    productCode: r.product_code?.toUpperCase() ?? null,
    kNumbers: r.k_numbers.map((k) => k.toUpperCase()),
    pmaNumbers: r.pma_numbers.map((k) => k.toUpperCase()),
    productDescription: r.product_description,
    codeInfo: r.code_info,
    recallingFirm: r.recalling_firm,
    reason: r.reason_for_recall,
    rootCause: r.root_cause_description,
    action: r.action,
    classification: null,
    status: r.recall_status,
    initiated: r.event_date_initiated,
    posted: r.event_date_posted ?? r.event_date_created,
    terminated: r.event_date_terminated,
    productQuantity: r.product_quantity,
    deviceName: r.openfda?.device_name ?? null,
    medicalSpecialty: r.openfda?.medical_specialty_description ?? null,
    deviceClass: r.openfda?.device_class ?? null,
    regulationNumber: r.openfda?.regulation_number ?? null,
  };
}
