import { backupCarriers, cronJobRunProblem, databaseInstance, isRunningDatabase, statedRetention } from './backup-objects';
import { HINT_BACKS_UP, HINT_RETENTION, objectNamespace } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * Replicas and DR copies are no backups: a DROP TABLE or a corrupting bug reaches every member and the other site
 * in seconds. A running database needs at least one backup that runs (valid schedule, not suspended) and states how
 * long it keeps what it takes.
 */
export const backupScheduled: IPolicyRule = {
  id: 'DOK-BACKUP-SCHEDULED',
  level: RuleLevel.ERROR,
  finding: 'A database has no scheduled backup that runs and states its retention.',
  explanation: 'Give the database a BackupSchedule (volume snapshots, logical dumps or continuous archiving), or a CronJob of your own '
    + `annotated \`${HINT_BACKS_UP}: <instance>\` and \`${HINT_RETENTION}: <how long>\`, with a valid schedule that is not suspended. `
    + 'Replication and DR sites copy mistakes as fast as data: only a backup brings back the data before them (DoK whitepaper: backup and restore). '
    + 'A StatefulSet at zero replicas (a DR pair\'s passive site) is not checked: nothing runs there to back up.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isRunningDatabase(o, context)) return Verdict.notApplicable();
    const instance = databaseInstance(o);
    if (instance === undefined) return Verdict.notApplicable();
    const namespace = objectNamespace(o);
    const carriers = backupCarriers(context, namespace, instance);
    if (carriers.length === 0) {
      return Verdict.nonCompliant(`no CronJob in namespace \`${namespace}\` is annotated \`${HINT_BACKS_UP}: ${instance}\`: `
        + `database \`${instance}\` has no backup`);
    }
    const problems: string[] = [];
    for (const c of carriers) {
      const problem = carrierProblem(c);
      if (problem === undefined) return Verdict.compliant();
      problems.push(`${c.kind} \`${c.metadata?.name}\` ${problem}`);
    }
    return Verdict.nonCompliant(`no backup of \`${instance}\` runs and states its retention: ${problems.join('; ')}`);
  },
};

/** Why a backing-up object does not count: it never runs, or keeps its backups for an unstated time. */
function carrierProblem(carrier: any): string | undefined {
  // Continuous archiving runs in the database's own pods: the StatefulSet is running (checked above).
  const runs = carrier.kind === 'CronJob' ? cronJobRunProblem(carrier) : undefined;
  if (runs !== undefined) return runs;
  return statedRetention(carrier) === undefined ? `states no retention (\`${HINT_RETENTION}\`)` : undefined;
}
