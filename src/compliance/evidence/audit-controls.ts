/**
 * @module Evidence `audit-controls`: Vigil's audit log verified end to end (the SHA-256 hash chain)
 * when the report is made, and still holding the head the newest good backup recorded (the chain alone
 * cannot show entries cut off its end; docs/backup.md). An empty log is not met: it shows nothing recorded.
 */

import { checkAuditAnchor, listAudit, verifyAuditChain } from '../../audit/audit-log.js';
import { plural } from '../../format-count.js';
import { type EvidenceCollector, evidence } from './evidence.js';

export const collectAuditControls: EvidenceCollector = async (ctx) => {
  const v = await verifyAuditChain(ctx.h);
  const last = (await listAudit(ctx.h, { limit: 1 }))[0];
  const backup = await ctx.h.db
    .selectFrom('backups')
    .select(['started_at', 'audit_entries', 'audit_head_hash'])
    .where('status', '=', 'ok')
    .where('audit_head_hash', 'is not', null)
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const anchor = backup
    ? await checkAuditAnchor(ctx.h, {
        entries: Number(backup.audit_entries),
        headHash: backup.audit_head_hash,
      })
    : null;
  const base = {
    kind: 'audit-controls' as const,
    title: "Vigil's audit log integrity",
    figures: {
      entries: v.entries,
      chainIntact: v.ok,
      firstBrokenSeq: v.firstBroken?.seq ?? null,
      lastBackupAt: backup?.started_at ?? null,
      holdsBackupHead: anchor ? anchor.ok : null,
    },
    asOf: last?.at ?? null,
  };
  if (!v.ok)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: `audit chain broken at entry ${v.firstBroken?.seq}: ${v.firstBroken?.reason}`,
    });
  if (anchor && !anchor.ok)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: `against the backup of ${backup!.started_at.slice(0, 10)}: ${anchor.reason}`,
    });
  // An empty log verifies trivially, yet shows no audit control at work: every change, sign-in and
  // import writes an entry, so none at all means nothing was recorded (or the log was emptied).
  if (v.entries === 0)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: 'the audit log holds no entry: no action has been recorded',
    });
  return evidence(ctx, {
    ...base,
    status: 'met',
    reason: `hash chain of ${plural(v.entries, 'audit entry', 'audit entries')} verified${anchor ? `, including the ${backup!.audit_entries} the backup of ${backup!.started_at.slice(0, 10)} recorded` : ''}`,
  });
};
