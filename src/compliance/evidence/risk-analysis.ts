/**
 * @module Evidence `risk-analysis`: vulnerability matching has run over the inventory and every device
 * with an affected (or needs-review) match has a decision: a remediation task or a risk acceptance.
 */
import { plural, pluralWord } from '../../format-count.js';
import { riskFigures } from '../../store/compliance-store.js';
import { type EvidenceCollector, evidence } from './evidence.js';

export const collectRiskAnalysis: EvidenceCollector = async (ctx) => {
  const r = await riskFigures(ctx.h, ctx.siteIds);
  const undecided = r.devicesWithMatches - r.devicesDecided;
  const base = {
    kind: 'risk-analysis' as const,
    title: 'Risk analysis and decisions',
    figures: {
      devicesWithVulnerabilities: r.devicesWithMatches,
      devicesWithDecisions: r.devicesDecided,
      devicesUndecided: undecided,
      openFindings: r.openFindings,
    },
    asOf: r.lastMatchAt,
  };
  if (!r.lastMatchAt)
    return evidence(ctx, {
      ...base,
      status: r.openFindings ? 'partial' : 'not-met',
      reason:
        'vulnerability matching has not found or run on any device (vigil advisories import, vigil match)',
    });
  if (undecided > 0)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${undecided} of ${plural(r.devicesWithMatches, 'device')} with vulnerabilities ${pluralWord(undecided, 'has', 'have')} no task or risk acceptance for every one`,
    });
  return evidence(ctx, {
    ...base,
    status: 'met',
    reason: `every device with vulnerabilities has a decision (${plural(r.devicesWithMatches, 'device')})`,
  });
};
