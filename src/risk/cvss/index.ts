/**
 * CVSS v2.0/v3.0/v3.1/v4.0: strict vector parsing, scoring, environmental adjustment.
 *
 * @see https://www.first.org/cvss/
 */
export {
  type CvssScore,
  type CvssSeverity,
  cvssSeverity,
  overallScore,
  scoreCvss,
  scoreParsedCvss,
  withEnvironmental,
} from './cvss.js';
export {
  CVSS_METRICS,
  type CvssMetricDef,
  type CvssMetricGroup,
  type CvssParseError,
  type CvssVersion,
  formatCvssVector,
  metricDef,
  notDefinedValue,
  type ParsedCvss,
  parseCvssVector,
} from './cvss-vector.js';
