import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ScriptContainerOptions, scriptContainer } from '../pod/script-container';
import { restrictedPodSecurity } from '../pod/security';

/** The AWS CLI, for S3-compatible object stores. */
export const S3_IMAGE = 'docker.io/amazon/aws-cli:2.18.0';

/** Label on the pods of each backup CronJob, so NetworkPolicies can admit exactly them. */
export const LABEL_CRONJOB = 'cdk8s-databases.io/cronjob';

/** A container of a backup Job: the script-container options less what the CronJob decides (user, /tmp). */
export type JobContainer = Omit<ScriptContainerOptions, 'runAsUser' | 'tmpVolume'>;

export interface BackupCronJobOptions {
  readonly name: string;
  readonly schedule: string;
  readonly timeZone?: string;
  readonly labels: Record<string, string>;
  readonly serviceAccountName: string;
  readonly needsApiToken: boolean;
  readonly runAsUser: number;
  readonly fsGroup: number;
  readonly initContainers?: JobContainer[];
  readonly containers: JobContainer[];
  readonly volumes?: k8s.Volume[];
  readonly deadlineSeconds: number;
  readonly imagePullSecrets?: string[];
  /** On the CronJob's own metadata (the policy hints): a change there starts no Job and restarts no pod. */
  readonly annotations?: Record<string, string>;
}

function container(c: JobContainer, runAsUser: number): k8s.Container {
  return scriptContainer({ ...c, runAsUser, tmpVolume: 'tmp' });
}

/**
 * A backup CronJob: never two runs at once (`Forbid`), a deadline so a stuck run fails visibly,
 * bounded history, restricted security and Guaranteed resources.
 */
export function backupCronJob(scope: Construct, id: string, o: BackupCronJobOptions): ApiObject {
  const podLabels = { ...o.labels, [LABEL_CRONJOB]: o.name };
  return new k8s.KubeCronJob(scope, id, {
    metadata: { name: o.name, labels: o.labels, annotations: o.annotations },
    spec: {
      schedule: o.schedule,
      timeZone: o.timeZone,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: o.labels },
        spec: {
          backoffLimit: 1,
          activeDeadlineSeconds: o.deadlineSeconds,
          template: {
            metadata: { labels: podLabels },
            spec: {
              restartPolicy: 'Never',
              serviceAccountName: o.serviceAccountName,
              automountServiceAccountToken: o.needsApiToken,
              securityContext: restrictedPodSecurity(o.runAsUser, o.fsGroup),
              imagePullSecrets: o.imagePullSecrets?.map((name) => ({ name })),
              initContainers: o.initContainers?.map((c) => container(c, o.runAsUser)),
              containers: o.containers.map((c) => container(c, o.runAsUser)),
              volumes: [{ name: 'tmp', emptyDir: {} }, ...(o.volumes ?? [])],
            },
          },
        },
      },
    },
  });
}

/** A ServiceAccount, and a Role with exactly these rules bound to it when there are any. */
export function jobIdentity(scope: Construct, prefix: string, name: string, labels: Record<string, string>, rules: k8s.PolicyRule[]): void {
  new k8s.KubeServiceAccount(scope, `${prefix}ServiceAccount`, { metadata: { name, labels }, automountServiceAccountToken: false });
  if (rules.length === 0) return;
  new k8s.KubeRole(scope, `${prefix}Role`, { metadata: { name, labels }, rules });
  new k8s.KubeRoleBinding(scope, `${prefix}RoleBinding`, {
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name }],
  });
}

/**
 * Shell that prunes runs by retention: reads run ids (UTC timestamps like 20261121t050000z, which
 * sort by time) on stdin and calls `delete_run <id>` for each run to drop. The newest run is always kept.
 */
export function pruneRunsShell(keepLast?: number, maxAgeSeconds?: number): string {
  return [
    'older() { [ "$1" != "$2" ] && [ "$(printf "%s\\n%s\\n" "$1" "$2" | sort | head -n 1)" = "$1" ]; }',
    'prune_runs() {',
    '  RUNS=$(sort -u | grep -E "^[0-9]{8}t[0-9]{6}z$" || true)',
    '  COUNT=$(printf "%s\\n" "$RUNS" | grep -c . || true)',
    `  CUTOFF=${maxAgeSeconds !== undefined ? `$(date -u -d "@$(( $(date +%s) - ${maxAgeSeconds} ))" +%Y%m%dt%H%M%Sz)` : '""'}`,
    '  I=0',
    '  for R in $RUNS; do',
    '    I=$((I+1))',
    '    [ "$I" -eq "$COUNT" ] && break',
    `    if ${keepLast !== undefined ? `[ $((COUNT - I)) -ge ${keepLast} ]` : 'false'} || { [ -n "$CUTOFF" ] && older "$R" "$CUTOFF"; }; then`,
    '      echo "retention: deleting run $R"; delete_run "$R"',
    '    fi',
    '  done',
    '}',
  ].join('\n');
}
