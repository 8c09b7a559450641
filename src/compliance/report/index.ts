/**
 * @module One entry point for the report's formats: what the CLI writes and the API sends, with its
 * media type.
 */
import type { ComplianceReport } from '../evaluate.js';
import { type CsvTable, reportCsv } from './csv.js';
import { reportHtml } from './html.js';
import { reportJson } from './json.js';
import { reportPdf } from './pdf.js';

export const REPORT_FORMATS = ['json', 'html', 'pdf', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const REPORT_MEDIA_TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  csv: 'text/csv; charset=utf-8; header=present',
};

export async function renderReport(
  r: ComplianceReport,
  format: ReportFormat,
  table: CsvTable = 'controls',
): Promise<string | Buffer> {
  switch (format) {
    case 'json':
      return reportJson(r);
    case 'html':
      return reportHtml(r);
    case 'pdf':
      return reportPdf(r);
    case 'csv':
      return reportCsv(r, table);
  }
}

export { CSV_TABLES, type CsvTable } from './csv.js';
