import { instanceMembersIn } from './instance-index';
import { parseCron, timeZoneProblem, worstGapMinutes } from '../../../backup/cron';
import {
  HINT_BACKS_UP, HINT_RETENTION, HINT_VERIFIES, LABEL_INSTANCE, annotationsOf, isDatabaseWorkload, labelsOf, replicasOf,
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
  const cronJobs = byAnnotation(context, 'CronJob', HINT_BACKS_UP, namespace).get(instance) ?? [];
  const members = (byAnnotation(context, 'StatefulSet', HINT_BACKS_UP, namespace).get(instance) ?? [])
    .filter((s) => isDatabaseWorkload(s) && databaseInstance(s) === instance);
  return [...cronJobs, ...members];
}

/** The CronJobs in `namespace` that restore `instance`'s backups and check them. */
export function verificationCronJobs(context: PolicyContext, namespace: string, instance: string): any[] {
  return byAnnotation(context, 'CronJob', HINT_VERIFIES, namespace).get(instance) ?? [];
}

/**
 * The objects of a kind in a namespace by the value of one annotation, in the set's order, built once per check (the
 * backup rules look up every database's backups): `get(v)` is the objects whose annotation is `=== v`.
 */
function byAnnotation(context: PolicyContext, kind: string, annotation: string, namespace: string): Map<unknown, any[]> {
  return context.memo(`backup-objects:${kind}-by-${annotation}:${namespace}`, () => {
    const index = new Map<unknown, any[]>();
    for (const o of context.inNamespace(kind, namespace)) {
      const value = annotationsOf(o)[annotation];
      const list = index.get(value) ?? [];
      list.push(o);
      index.set(value, list);
    }
    return index;
  });
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
  return isDatabaseWorkload(o) && instanceMembersIn(o, context).some((s) => replicasOf(s) > 0);
}
