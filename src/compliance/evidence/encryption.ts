/**
 * @module Evidence `encryption-in-transit`: open findings of patient data or credentials in cleartext
 * (not met) and of weak TLS, bad certificates or insecure protocols (partial), judged only when traffic
 * was analysed at all.
 */
import { plural } from '../../format-count.js';
import { latestImportOf, openFindingsOf } from '../../store/compliance-store.js';
import { type EvidenceCollector, evidence, findingGaps } from './evidence.js';

export const CLEARTEXT_TYPES = ['cleartext-phi', 'cleartext-credentials'] as const;
export const WEAK_TYPES = ['weak-tls', 'certificate-problem', 'insecure-protocol'] as const;

export const collectEncryption: EvidenceCollector = async (ctx) => {
  const traffic = await latestImportOf(ctx.h, ['capture', 'zeek', 'eve']);
  const open = await openFindingsOf(ctx.h, [...CLEARTEXT_TYPES, ...WEAK_TYPES], ctx.siteIds, 25);
  const cleartext = CLEARTEXT_TYPES.reduce((n, t) => n + (open.byType[t] ?? 0), 0);
  const weak = WEAK_TYPES.reduce((n, t) => n + (open.byType[t] ?? 0), 0);
  const base = {
    kind: 'encryption-in-transit' as const,
    title: 'Encryption in transit',
    figures: {
      lastTrafficAnalysedAt: traffic?.finishedAt ?? null,
      cleartextPhi: open.byType['cleartext-phi'] ?? 0,
      cleartextCredentials: open.byType['cleartext-credentials'] ?? 0,
      weakTls: open.byType['weak-tls'] ?? 0,
      certificateProblems: open.byType['certificate-problem'] ?? 0,
      insecureProtocols: open.byType['insecure-protocol'] ?? 0,
    },
    asOf: traffic?.at ?? null,
    gaps: await findingGaps(ctx, open.items),
  };
  if (cleartext > 0)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: `${plural(cleartext, 'open finding')} of patient data or credentials sent in cleartext`,
    });
  if (weak > 0)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${plural(weak, 'open finding')} of weak TLS, bad certificates or insecure protocols`,
    });
  if (!traffic)
    return evidence(ctx, {
      ...base,
      status: 'no-evidence',
      reason: 'no traffic analysed (capture, Zeek or EVE)',
    });
  return evidence(ctx, { ...base, status: 'met', reason: 'no open cleartext or weak-encryption finding' });
};
