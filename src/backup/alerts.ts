/**
 * Prometheus alerting rules of a BackupSchedule, over kube-state-metrics series.
 * @see https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/cronjob-metrics.md
 * @see https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/job-metrics.md
 */

/** One backup CronJob to watch. */
export interface AlertedBackup {
  /** The method, for the summary ("logical dumps"). */
  readonly method: string;
  readonly cronJobName: string;
  readonly worstCaseRpoSeconds: number;
}

export interface BackupAlertsInput {
  /** The database's name, for the summaries. */
  readonly databaseName: string;
  /** The namespace the CronJobs run in; undefined: no namespace matcher (any namespace). */
  readonly namespace?: string;
  readonly backups: AlertedBackup[];
  /** The restore verification CronJob, if any. */
  readonly verifyCronJobName?: string;
}

/** A rule of a PrometheusRule group. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** `{namespace="ns",m1,m2}`; without a namespace, no namespace matcher (any namespace), as before. */
function selector(namespace: string | undefined, ...matchers: string[]): string {
  const all = [...(namespace ? [`namespace="${namespace}"`] : []), ...matchers];
  return all.length > 0 ? `{${all.join(',')}}` : '';
}

/** Slack beyond a schedule's longest gap, for the run itself. */
export const RUN_SLACK_SECONDS = 3600;

/**
 * Fires when the last success of `cronJob` is older than `gapSeconds`, and also when it never succeeded
 * but has existed for longer than that: kube-state-metrics has no `kube_cronjob_status_last_successful_time`
 * series before a first success (status.lastSuccessfulTime is unset), so `or` falls back to the CronJob's
 * creation time, `kube_cronjob_created`. Both carry the labels `namespace` and `cronjob`.
 */
export function backupTooOldExpr(namespace: string | undefined, cronJob: string, gapSeconds: number): string {
  const sel = selector(namespace, `cronjob="${cronJob}"`);
  return `time() - (kube_cronjob_status_last_successful_time${sel} or on (namespace, cronjob) kube_cronjob_created${sel}) > ${gapSeconds}`;
}

/**
 * Fires when the newest finished Job of `cronJob` failed; quiet once a newer Job of it succeeded.
 * Jobs are tied to their CronJob by `kube_job_owner{owner_kind="CronJob",owner_name}` (this also covers
 * `kubectl create job --from=cronjob/...`), ordered by `kube_job_created`, and judged by the Job's own
 * conditions (`kube_job_failed` / `kube_job_complete` with `condition="true"`), not by
 * `kube_job_status_failed`, which counts failed pods: with `backoffLimit: 1` a Job whose first pod failed
 * and whose retry succeeded has `kube_job_status_failed` 1. A running Job is not finished: the alert stays
 * until it ends. Relies on the CronJob keeping at least one Job of each outcome (history limits >= 1).
 * The alert carries `job_name`: the failed Job to read logs from.
 */
export function newestJobFailedExpr(namespace: string | undefined, cronJob: string): string {
  const failed = `kube_job_failed${selector(namespace, 'condition="true"')} == 1`;
  const complete = `kube_job_complete${selector(namespace, 'condition="true"')} == 1`;
  const jobsOfCronJob = `kube_job_created${selector(namespace)}`
    + ` * on (namespace, job_name) group_left (owner_name) kube_job_owner${selector(namespace, 'owner_kind="CronJob"', `owner_name="${cronJob}"`)}`;
  const newestFinished = `topk by (namespace, owner_name) (1, ${jobsOfCronJob} and on (namespace, job_name) (${failed} or ${complete}))`;
  return `${newestFinished} and on (namespace, job_name) ${failed}`;
}

/**
 * The rules: per backup CronJob "too old" and "newest run failed"; "verification failed" when verified.
 * Each carries a static `cronjob` label: rules of one name then differ (promtool's duplicate-rule lint), and
 * routing can tell the CronJobs apart.
 */
export function backupAlertRules(input: BackupAlertsInput): AlertRule[] {
  const ns = input.namespace;
  const db = input.databaseName;
  const rules: AlertRule[] = [];
  for (const b of input.backups) {
    const gap = b.worstCaseRpoSeconds + RUN_SLACK_SECONDS;
    rules.push({
      alert: 'DatabaseBackupTooOld',
      expr: backupTooOldExpr(ns, b.cronJobName, gap),
      for: '15m',
      labels: { severity: 'critical', cronjob: b.cronJobName },
      annotations: {
        summary: `No successful ${b.method} of ${db} within its schedule`,
        description: `CronJob ${b.cronJobName} has not succeeded for more than ${gap} s (or never did, and exists for longer than that).`,
      },
    });
  }
  for (const b of input.backups) {
    rules.push({
      alert: 'DatabaseBackupFailed',
      expr: newestJobFailedExpr(ns, b.cronJobName),
      for: '5m',
      labels: { severity: 'warning', cronjob: b.cronJobName },
      annotations: {
        summary: `The newest ${b.method} run of ${db} failed`,
        description: `Job {{ $labels.job_name }} of CronJob ${b.cronJobName} failed and no newer run has succeeded yet.`,
      },
    });
  }
  if (input.verifyCronJobName) {
    rules.push({
      alert: 'DatabaseRestoreVerificationFailed',
      expr: newestJobFailedExpr(ns, input.verifyCronJobName),
      for: '5m',
      labels: { severity: 'critical', cronjob: input.verifyCronJobName },
      annotations: {
        summary: `Restoring the newest dump of ${db} failed`,
        description: `Job {{ $labels.job_name }} of CronJob ${input.verifyCronJobName} failed: the backup may not restore.`,
      },
    });
  }
  return rules;
}
