import { backupCarriers, cronJobRunProblem, databaseInstance, isRunningDatabase, verificationCronJobs } from './backup-objects';
import { HINT_VERIFIES, objectNamespace } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * A backup is only known to be good once it has been restored: dumps that stopped at a full disk, snapshots of an
 * unquiesced volume and expired credentials all look like backups until the day they are needed.
 */
export const restoreVerified: IPolicyRule = {
  id: 'DOK-RESTORE-VERIFIED',
  level: RuleLevel.WARNING,
  finding: 'A database with backups has no scheduled restore verification.',
  explanation: 'Restore the newest backup into a throwaway instance on a schedule and run a check query against it: '
    + `BackupSchedule \`verification\`, or a CronJob of your own annotated \`${HINT_VERIFIES}: <instance>\`. `
    + 'An untested backup is a hope, not a recovery point (DoK whitepaper: test restores regularly).',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isRunningDatabase(o, context)) return Verdict.notApplicable();
    const instance = databaseInstance(o);
    const namespace = objectNamespace(o);
    // Without backups there is nothing to verify: DOK-BACKUP-SCHEDULED reports that.
    if (instance === undefined || backupCarriers(context, namespace, instance).length === 0) return Verdict.notApplicable();
    const verifications = verificationCronJobs(context, namespace, instance);
    if (verifications.length === 0) {
      return Verdict.nonCompliant(`database \`${instance}\` is backed up, but no CronJob in namespace \`${namespace}\` is annotated `
        + `\`${HINT_VERIFIES}: ${instance}\`: its backups are never restored`);
    }
    const problems: string[] = [];
    for (const v of verifications) {
      const problem = cronJobRunProblem(v);
      if (problem === undefined) return Verdict.compliant();
      problems.push(`CronJob \`${v.metadata?.name}\` ${problem}`);
    }
    return Verdict.nonCompliant(`no restore verification of \`${instance}\` runs: ${problems.join('; ')}`);
  },
};
