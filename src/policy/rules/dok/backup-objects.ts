import { parseCron, timeZoneProblem, worstGapMinutes } from '../../../backup/cron';
import {
  HINT_BACKS_UP, HINT_RETENTION, HINT_VERIFIES, LABEL_INSTANCE, annotationsOf, instanceMembers, isDatabaseWorkload, labelsOf, replicasOf,
} from '../../manifest';
import { PolicyContext } from '../../policy-context';

/**
 * What the backup rules share: which database a StatefulSet is, which objects back it up or verify its restores
 * (found by the hint annotations the library writes), and whether a CronJob's schedule runs at all.
 */

/** The instance a database StatefulSet belongs to: its `app.kubernetes.io/instance` label, else its own name. */
export function databaseInstance(o: any): string | undefined {
  const label = labelsOf(o)[LABEL_INSTANCE];
  if (typeof label === 'string' && label !== '') return label;
  const name = o?.metadata?.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * The objects that back up `instance` in `namespace`: CronJobs with `backs-up: <instance>`, and the database's own
 * StatefulSets when they carry it (continuous archiving runs in the pods, Spilo's cron takes the base backups).
 */
export function backupCarriers(context: PolicyContext, namespace: string, instance: string): any[] {
  const cronJobs = context.inNamespace('CronJob', namespace).filter((c) => annotationsOf(c)[HINT_BACKS_UP] === instance);
  const members = context.inNamespace('StatefulSet', namespace)
    .filter((s) => isDatabaseWorkload(s) && databaseInstance(s) === instance && annotationsOf(s)[HINT_BACKS_UP] === instance);
  return [...cronJobs, ...members];
}

/** The CronJobs in `namespace` that restore `instance`'s backups and check them. */
export function verificationCronJobs(context: PolicyContext, namespace: string, instance: string): any[] {
  return context.inNamespace('CronJob', namespace).filter((c) => annotationsOf(c)[HINT_VERIFIES] === instance);
}

/** Why a CronJob never runs (invalid schedule or time zone, a date that never comes, suspended), or undefined. */
export function cronJobRunProblem(cronJob: any): string | undefined {
  if (cronJob?.spec?.suspend === true) return 'is suspended (`spec.suspend: true`)';
  const gap = scheduleGapMinutes(cronJob);
  return typeof gap === 'string' ? gap : undefined;
}

/**
 * The longest time between two runs of a CronJob, in minutes, as the CronJob controller runs it in its `timeZone`
 * (src/backup/cron.ts, robfig/cron's reading); or why there is none.
 */
export function scheduleGapMinutes(cronJob: any): number | string {
  const schedule = cronJob?.spec?.schedule;
  if (typeof schedule !== 'string') return 'has no schedule';
  const timeZone = cronJob?.spec?.timeZone;
  if (timeZone !== undefined && timeZone !== null) {
    const problem = typeof timeZone === 'string' ? timeZoneProblem(timeZone) : 'is not a string';
    if (problem) return `has time zone ${JSON.stringify(timeZone)}, which ${problem}`;
  }
  const parsed = parseCron(schedule);
  if (typeof parsed === 'string') return `has schedule "${schedule}", which ${parsed}`;
  const gap = worstGapMinutes(parsed, timeZone ?? undefined);
  return gap === undefined ? `has schedule "${schedule}", which never fires (no date matches it)` : gap;
}

/** A retention the backup states (`cdk8s-databases.io/retention`), or undefined. */
export function statedRetention(o: any): string | undefined {
  const r = annotationsOf(o)[HINT_RETENTION];
  return typeof r === 'string' && r.trim() !== '' ? r : undefined;
}

/**
 * A database StatefulSet with a member to back up. At zero replicas (a DR pair's passive site waiting for its promote
 * Job, a parked database) nothing runs: no backup could read it, and nothing is written that a backup would miss.
 * Racks of one ring are one database: it runs when any of its StatefulSets does.
 */
export function isRunningDatabase(o: any, context: PolicyContext): boolean {
  return isDatabaseWorkload(o) && instanceMembers(o, context.objects).some((s) => replicasOf(s) > 0);
}
