/**
 * @module Evidence `audit-controls`: Vigil's audit log verified end to end (the SHA-256 hash chain)
 * when the report is made, and still holding the head the newest good backup recorded (the chain alone
 * cannot show entries cut off its end; docs/backup.md). Backups of a log that a `vigil db restore`
 * replaced are passed over when the log proves that restore (backup/audit-anchor.ts): their head is
 * rightly gone. A `db.restore` entry that proves nothing excuses nothing, and is named. An empty log is
 * not met: it shows nothing recorded.
 */

import { checkAuditAnchor, listAudit, verifyAuditChain } from '../../audit/audit-log.js';
import { anchorBackup, claimedRestoreReason } from '../../backup/audit-anchor.js';
import { plural } from '../../format-count.js';
import { type EvidenceCollector, evidence } from './evidence.js';

export const collectAuditControls: EvidenceCollector = async (ctx) => {
  const v = await verifyAuditChain(ctx.h);
  const last = (await listAudit(ctx.h, { limit: 1 }))[0];
  const { backup, replaced, claimed } = await anchorBackup(ctx.h);
  const anchor = backup ? await checkAuditAnchor(ctx.h, backup) : null;
  const base = {
    kind: 'audit-controls' as const,
    title: "Vigil's audit log integrity",
    figures: {
      entries: v.entries,
      chainIntact: v.ok,
      firstBrokenSeq: v.firstBroken?.seq ?? null,
      lastBackupAt: backup?.startedAt ?? null,
      holdsBackupHead: anchor ? anchor.ok : null,
      backupsReplacedByRestore: replaced,
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
      reason: `against the backup of ${backup!.startedAt.slice(0, 10)}: ${anchor.reason}${claimed ? `; ${claimedRestoreReason(claimed)}` : ''}`,
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
    reason: `hash chain of ${plural(v.entries, 'audit entry', 'audit entries')} verified${anchor ? `, including the ${backup!.entries} the backup of ${backup!.startedAt.slice(0, 10)} recorded` : ''}${
      // Said, so a reader knows those backups were seen and why they did not count.
      replaced
        ? `; ${plural(replaced, 'backup', 'backups')} of the log a recorded restore replaced not counted`
        : ''
    }`,
  });
};
