/**
 * @module Evidence `audit-controls`: Vigil's audit log verified end to end (the SHA-256 hash chain)
 * when the report is made.
 */
import { listAudit, verifyAuditChain } from '../../audit/audit-log.js';
import { type EvidenceCollector, evidence } from './evidence.js';

export const collectAuditControls: EvidenceCollector = async (ctx) => {
  const v = await verifyAuditChain(ctx.h);
  const last = (await listAudit(ctx.h, { limit: 1 }))[0];
  const base = {
    kind: 'audit-controls' as const,
    title: 'Audit log integrity',
    figures: { entries: v.entries, chainIntact: v.ok, firstBrokenSeq: v.firstBroken?.seq ?? null },
    asOf: last?.at ?? null,
  };
  return v.ok
    ? evidence(ctx, { ...base, status: 'met', reason: `hash chain of ${v.entries} audit entries verified` })
    : evidence(ctx, {
        ...base,
        status: 'not-met',
        reason: `audit chain broken at entry ${v.firstBroken?.seq}: ${v.firstBroken?.reason}`,
      });
};
