import { ApiObject, Cron } from 'cdk8s';
import { Construct } from 'constructs';
import { IDatabase } from './database';
import { checkSameNamespace } from '../assembly/cross-namespace';
import { databaseRecord } from '../assembly/database-record';
import { backupAlertRules } from '../backup/alerts';
import { verificationHints } from '../backup/backup-hints';
import { BackupMethod, BoundBackup, checkSchedule, cronJobName, engineBackup } from '../backup/backup-method';
import { timeZoneProblem } from '../backup/cron';
import { S3_IMAGE, backupCronJob, jobIdentity } from '../backup/jobs';
import { fetchScript } from '../backup/scripts';
import { s3Env, targetVolume } from '../backup/target-wiring';
import { checkFlag } from '../private/choices';
import { check, DatabaseConfigError } from '../private/errors';
import { imageFor, rewriteRegistry } from '../private/images';
import { checkChartNamespace } from '../private/names';
import { claimObjectNames } from '../private/object-names';
import { checkProps } from '../private/value-types';
import { ReportEntry, SynthReport } from '../report/synth-report';

/** Options of the scheduled restore verification. */
export interface RestoreVerificationOptions {
  /** When to verify (after the dumps it checks). */
  readonly schedule: Cron;
  /**
   * The query run against the restored copy; the run fails when it errors or returns nothing.
   * @default - the engine's: count of databases (PostgreSQL, MySQL, MongoDB), DBSIZE (Redis, Valkey)
   */
  readonly checkQuery?: string;
}

/** Properties of a `BackupSchedule`. */
export interface BackupScheduleProps {
  /** The database to back up (StatefulDatabase or ReplicatedDatabase). */
  readonly database: IDatabase;
  /** One or more methods: `BackupMethod.volumeSnapshot(...)`, `.logicalDump(...)`, `.continuousArchiving(...)`. */
  readonly methods: BackupMethod[];
  /**
   * IANA time zone of the schedules (CronJob `timeZone`).
   * @default - the kube-controller-manager's (usually UTC)
   */
  readonly timeZone?: string;
  /**
   * Restore the newest logical dump into a throwaway server on a schedule and run a check query:
   * a backup is only proven once it has been restored. Needs a logical dump method.
   * @default - no verification
   */
  readonly verification?: RestoreVerificationOptions;
  /**
   * A prometheus-operator PrometheusRule: backups older than their schedule allows, failed verifications.
   * Reads kube-state-metrics (`kube_cronjob_status_last_successful_time`, `kube_cronjob_created`, `kube_job_owner`,
   * `kube_job_created`, `kube_job_failed`, `kube_job_complete`): a schedule that never succeeded alerts too, and a
   * failure is cleared by a newer success.
   * @default false
   */
  readonly alerts?: boolean;
}

/** What one method gives, for applications and the report. */
export interface BackupSummary {
  /** The method. */
  readonly method: string;
  /**
   * Its CronJob.
   * @default - none (continuous archiving runs inside the database pods)
   */
  readonly cronJobName?: string;
  /** Worst-case data loss: the longest gap between two runs (or the WAL archive timeout). */
  readonly worstCaseRpoSeconds: number;
  /** How to restore from it. */
  readonly restorePath: string;
}

/**
 * Backups of one database, with retention and the way back: application-consistent CSI volume
 * snapshots, logical dumps with checksums, continuous WAL archiving, a scheduled restore verification
 * and alerts. Each method's worst-case RPO is computed from its schedule and written to the synth report.
 */
export class BackupSchedule extends Construct {
  /** One summary per method. */
  public readonly summaries: BackupSummary[];
  /** The smallest worst-case RPO over the methods, in seconds. */
  public readonly worstCaseRpoSeconds: number;

  private readonly database: IDatabase;

  constructor(scope: Construct, id: string, props: BackupScheduleProps) {
    super(scope, id);
    checkProps(this, props, '{ database: db, methods: [BackupMethod.logicalDump({ ... })] }');
    checkChartNamespace(this);
    checkFlag(this, 'alerts', props.alerts);
    this.database = props.database;
    const record = databaseRecord(props.database);
    if (!record) throw new DatabaseConfigError(this, '`database` is not a StatefulDatabase or ReplicatedDatabase of this library.');
    checkSameNamespace(this, record.assembly.namespace, props.database.node.path);
    check(Array.isArray(props.methods), this, '`methods` is missing: give a list of at least one BackupMethod.');
    check(props.methods.length > 0, this, '`methods` is empty: give at least one BackupMethod.');
    if (props.timeZone !== undefined) {
      // The API server loads it with Go's time.LoadLocation: only names of the tz database.
      const problem = timeZoneProblem(props.timeZone);
      check(problem === undefined, this, `\`timeZone\` "${props.timeZone}" ${problem}: give an IANA time zone name such as "Europe/Paris" or "Etc/UTC".`);
    }
    const a = record.assembly;
    const labels = { ...a.labels.common, 'app.kubernetes.io/component': 'backup' };
    const bound: BoundBackup[] = props.methods.map((m, i) => {
      const methodScope = new Construct(this, `Method${i}`);
      return m._bind(methodScope, { record, timeZone: props.timeZone, labels });
    });
    // By kind, not by CronJob: continuous archiving on Patroni has no CronJob and would set its env twice.
    const kinds = bound.map((b) => b.method);
    check(new Set(kinds).size === kinds.length, this,
      '`methods` has two methods of the same kind: their CronJobs or settings would share a name. Give one of each kind.');
    this.summaries = bound.map((b) => ({
      method: b.method, cronJobName: b.cronJobName, worstCaseRpoSeconds: b.worstCaseRpoSeconds, restorePath: b.restorePath,
    }));
    this.worstCaseRpoSeconds = Math.min(...bound.map((b) => b.worstCaseRpoSeconds));

    let verifyName: string | undefined;
    if (props.verification) verifyName = this.verification(props.verification, bound, props.timeZone, labels);
    if (props.alerts) this.alerts(bound, verifyName, labels);
    claimObjectNames(this, 'Give a database one BackupSchedule that lists all its `methods` (each kind once), with one `verification` and one set of `alerts`.');
    SynthReport.register(this, this);
  }

  /** @internal */
  public _reportEntry(): ReportEntry {
    const human = (s: number) => (s % 86400 === 0 ? `${s / 86400} d` : s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`);
    return {
      kind: 'backup',
      path: this.node.path,
      name: this.database.name,
      summary: `worst-case RPO ${human(this.worstCaseRpoSeconds)} (${this.summaries.map((s) => `${s.method} ${human(s.worstCaseRpoSeconds)}`).join(', ')})`,
      details: {
        worstCaseRpoSeconds: this.worstCaseRpoSeconds,
        methods: this.summaries.map((s) => `${s.method}: worst-case RPO ${human(s.worstCaseRpoSeconds)}; restore with ${s.restorePath}`),
        cronJobs: this.summaries.map((s) => s.cronJobName).filter((n): n is string => n !== undefined).join(', '),
      },
      notes: [],
    };
  }

  private verification(o: RestoreVerificationOptions, bound: BoundBackup[], timeZone: string | undefined, labels: Record<string, string>): string {
    const record = databaseRecord(this.database)!;
    const a = record.assembly;
    const dump = bound.find((b) => b.method === 'logical dumps');
    check(dump !== undefined, this, '`verification` restores the newest logical dump, but `methods` has no BackupMethod.logicalDump(...): add one.');
    const backup = engineBackup(a);
    check(backup.verify !== undefined, this, `\`verification\` is not offered for Engine '${a.def.family} ${a.def.version}': ${backup.notes}`);
    checkSchedule(this, 'verification', o.schedule);
    const name = cronJobName(this, a.name, 'verify');
    const check_ = o.checkQuery ?? backup.defaultCheck!;
    check(!/[\r\n]/.test(check_), this, '`verification` checkQuery must be one line.');
    const target = dump!.target!;
    const s3 = target._s3 !== undefined;
    const dir = s3 ? '.' : a.name;
    const restoreMount = [{ name: 'restore', mountPath: '/restore' }];
    const backupMount = s3 ? [] : [{ name: 'backup', mountPath: '/backup', readOnly: true }];
    jobIdentity(this, 'Verify', name, labels, []);
    // The official image of the same version: a plain server, whatever image the database runs.
    const official = rewriteRegistry(imageFor(a.def), a.props.imageRegistry);
    backupCronJob(this, 'VerifyCronJob', {
      name,
      schedule: o.schedule.expressionString,
      timeZone,
      labels,
      annotations: verificationHints(a.name),
      serviceAccountName: name,
      needsApiToken: false,
      runAsUser: a.def.runAsUser,
      fsGroup: a.def.fsGroup,
      deadlineSeconds: 6 * 3600,
      imagePullSecrets: a.props.imagePullSecrets,
      initContainers: [{
        name: 'fetch',
        image: s3 ? rewriteRegistry(S3_IMAGE, a.props.imageRegistry) : official,
        script: fetchScript(s3 ? 's3' : 'pvc', a.name, dump!.dumpExtension!, dir),
        env: s3 ? s3Env(target, a.name) : undefined,
        volumeMounts: [...restoreMount, ...backupMount],
        cpuMillis: 200,
        memoryMebibytes: 256,
        bash: true,
      }],
      containers: [{
        name: 'verify',
        image: official,
        script: [
          'set -euo pipefail',
          'DUMP=/restore/dump',
          'mkdir -p /tmp/verify',
          backup.verify!,
          '[ -n "${RESULT:-}" ] || { echo "restore verification FAILED: the check query returned nothing"; exit 1; }',
          'echo "restore verified: $CHECK -> $RESULT"',
        ].join('\n'),
        env: [{ name: 'CHECK', value: check_ }],
        volumeMounts: restoreMount,
        cpuMillis: a.ctx.cpuMillis,
        memoryMebibytes: Math.floor(a.ctx.memoryBytes / 1024 / 1024),
        bash: true,
      }],
      volumes: [{ name: 'restore', emptyDir: {} }, ...(s3 ? [] : [targetVolume(target)])],
    });
    return name;
  }

  private alerts(bound: BoundBackup[], verifyName: string | undefined, labels: Record<string, string>): void {
    const a = databaseRecord(this.database)!.assembly;
    const rules = backupAlertRules({
      databaseName: a.name,
      namespace: a.namespace,
      backups: bound.filter((b) => b.cronJobName)
        .map((b) => ({ method: b.method, cronJobName: b.cronJobName!, worstCaseRpoSeconds: b.worstCaseRpoSeconds })),
      verifyCronJobName: verifyName,
    });
    new ApiObject(this, 'PrometheusRule', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: `${a.name}-backups`, labels },
      spec: { groups: [{ name: `${a.name}-backups`, rules }] },
    });
  }
}

