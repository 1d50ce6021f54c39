import { Cron, Duration, JsonPatch, ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { backupHints, retentionInWords } from './backup-hints';
import { ParsedCron, parseCron, worstGapMinutes } from './cron';
import { EngineBackup, engineBackupFor } from './engine-backup';
import { LABEL_CRONJOB, S3_IMAGE, backupCronJob, jobIdentity } from './jobs';
import { Retention } from './retention';
import { dumpScript, pvcRetentionScript, s3UploadScript, snapshotScript } from './scripts';
import { BackupTarget } from './target';
import { s3Env, s3Region, targetVolume, validateTarget } from './target-wiring';
import type { DatabaseAssembly } from '../assembly/database-assembly';
import type { DatabaseRecord } from '../assembly/database-record';
import { withSpiloLocalParameters } from '../engines/postgres-patroni';
import { check } from '../private/errors';
import { TOOLS_IMAGE, rewriteRegistry } from '../private/images';
import { checkSubdomainName } from '../private/names';
import { INT32_MAX, checkInteger, wholeSeconds } from '../private/numbers';

/** How the assembled database is quiesced, dumped and loaded. */
/** Continuous archiving's defaults: a segment switch at least every 5 minutes, a base backup every day at 01:00. */
export const DEFAULT_ARCHIVE_TIMEOUT = Duration.minutes(5);
export const DEFAULT_BASE_BACKUP_SCHEDULE = Cron.schedule({ minute: '0', hour: '1' });

export function engineBackup(a: DatabaseAssembly): EngineBackup {
  return engineBackupFor(a.def, a.replication !== undefined, a.ctx.tlsPath !== undefined);
}

/** Options of volume snapshots. */
export interface VolumeSnapshotBackupOptions {
  /** VolumeSnapshotClass of the CSI driver behind the data volumes. */
  readonly snapshotClassName: string;
  /** When to snapshot, e.g. `Cron.schedule({ minute: '0', hour: '*\/6' })`. */
  readonly schedule: Cron;
  /** How many runs to keep. */
  readonly retention: Retention;
}

/** Options of logical dumps. */
export interface LogicalDumpOptions {
  /** When to dump. */
  readonly schedule: Cron;
  /** Where the compressed dumps and their checksums go. */
  readonly target: BackupTarget;
  /** How many dumps to keep. */
  readonly retention: Retention;
}

/** Options of continuous archiving. */
export interface ContinuousArchivingOptions {
  /** S3-compatible store for WAL segments and base backups. */
  readonly target: BackupTarget;
  /**
   * Force a WAL segment switch at least this often (PostgreSQL `archive_timeout`): the worst-case RPO.
   * @default Duration.minutes(5)
   */
  readonly archiveTimeout?: Duration;
  /**
   * When to take base backups (WAL-G backup-push, run by Spilo's own cron).
   * @default - daily at 01:00
   */
  readonly baseBackupSchedule?: Cron;
  /**
   * Base backups to keep (WAL-G retains the WAL they need); count only.
   * @default Retention.keepLast(7)
   */
  readonly retention?: Retention;
}

/** What a bound method tells the schedule and the report. @internal */
export interface BoundBackup {
  readonly method: string;
  readonly cronJobName?: string;
  readonly worstCaseRpoSeconds: number;
  readonly restorePath: string;
  readonly target?: BackupTarget;
  readonly dumpExtension?: string;
}

/** What a method needs to bind to a database. @internal */
export interface BackupBindContext {
  readonly record: DatabaseRecord;
  readonly timeZone?: string;
  readonly labels: Record<string, string>;
}

/**
 * A way of backing up a database, bound by a BackupSchedule: volume snapshots with the engine's
 * quiesce commands, logical dumps with its dump tool, or continuous WAL archiving.
 */
export abstract class BackupMethod {
  /** CSI VolumeSnapshots of the data volumes, application-consistent through the engine's own quiesce. */
  public static volumeSnapshot(options: VolumeSnapshotBackupOptions): BackupMethod {
    return new VolumeSnapshotMethod(options);
  }

  /** Compressed logical dumps with a sha256 checksum, to an S3-compatible store or a PVC. */
  public static logicalDump(options: LogicalDumpOptions): BackupMethod {
    return new LogicalDumpMethod(options);
  }

  /** PostgreSQL on Patroni: WAL archiving and base backups with WAL-G (as carried by Spilo), for point-in-time recovery. */
  public static continuousArchiving(options: ContinuousArchivingOptions): BackupMethod {
    return new ContinuousArchivingMethod(options);
  }

  /** @internal */
  public abstract _bind(scope: Construct, ctx: BackupBindContext): BoundBackup;
}

export function checkSchedule(scope: Construct, prop: string, cron: Cron): ParsedCron {
  const parsed = parseCron(cron.expressionString);
  check(typeof parsed !== 'string', scope,
    `\`${prop}\` schedule "${cron.expressionString}" ${parsed}. Use e.g. Cron.schedule({ minute: '0', hour: '2' }).`);
  return parsed as ParsedCron;
}

/** The longest gap between runs, as the CronJob controller runs them in `timeZone` (DST included). */
function rpoOf(scope: Construct, prop: string, parsed: ParsedCron, expression: string, timeZone: string | undefined): number {
  const gap = worstGapMinutes(parsed, timeZone);
  check(gap !== undefined, scope, `\`${prop}\` schedule "${expression}" never fires (no date matches it): fix the day or month fields.`);
  return gap! * 60;
}

function checkRetention(scope: Construct, prop: string, r: Retention | undefined): asserts r is Retention {
  // Required by the types; JavaScript callers can still leave it out.
  check(r !== undefined && r !== null, scope, `\`${prop}\` needs a retention: give \`retention: Retention.keepLast(n)\` or \`Retention.maxAge(...)\`.`);
  check(r.keepLastCount !== undefined || r.maxAgeSeconds !== undefined, scope, `\`${prop}\` retention keeps everything forever: give keepLast or maxAge.`);
  if (r.keepLastCount !== undefined) checkInteger(scope, `${prop}.retention.keepLast`, r.keepLastCount, { min: 1, unit: 'backups' });
  // The prune step subtracts it from the epoch in shell arithmetic; int32 seconds is 68 years.
  if (r.maxAgeSeconds !== undefined) checkInteger(scope, `${prop}.retention.maxAge`, r.maxAgeSeconds, { min: 1, max: INT32_MAX, unit: 'seconds' });
}

/** CronJob names stop at 52 characters: its Jobs add 11. */
export function cronJobName(scope: Construct, base: string, suffix: string): string {
  const name = `${base}-${suffix}`;
  check(name.length <= 52, scope, `the CronJob name "${name}" is longer than 52 characters (its Jobs add 11): shorten the database name.`);
  return name;
}

class VolumeSnapshotMethod extends BackupMethod {
  constructor(private readonly options: VolumeSnapshotBackupOptions) {
    super();
  }

  public _bind(scope: Construct, ctx: BackupBindContext): BoundBackup {
    const a = ctx.record.assembly;
    checkSubdomainName(scope, 'volumeSnapshot snapshotClassName', this.options.snapshotClassName);
    const parsed = checkSchedule(scope, 'volumeSnapshot', this.options.schedule);
    checkRetention(scope, 'volumeSnapshot', this.options.retention);
    const backup = engineBackup(a);
    const name = cronJobName(scope, a.name, 'snapshots');
    const members = ctx.record.members;
    const role = a.replication?.roleLabel;
    const q = backup.quiesce;
    const env: k8s.EnvVar[] = [
      ...(q.mode === 'session' ? [{ name: 'HOLD', value: q.hold }] : []),
      ...(q.mode === 'lock' ? [{ name: 'LOCK', value: q.lock }, { name: 'UNLOCK', value: q.unlock }] : []),
      ...(q.mode === 'prepare' ? [{ name: 'PREPARE', value: q.prepare }] : []),
      ...(backup.roleProbe && ctx.record.replicated && !role ? [{ name: 'ROLE_PROBE', value: backup.roleProbe }] : []),
    ];
    const selector = Object.entries(a.labels.selector).map(([k, v]) => `${k}=${v}`).join(',');
    // Least privilege: snapshots of this namespace, and exec into this database's pods only.
    jobIdentity(scope, 'Snapshot', name, ctx.labels, [
      { apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshots'], verbs: ['create', 'get', 'list', 'watch', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'], resourceNames: members },
    ]);
    const worstCaseRpoSeconds = rpoOf(scope, 'volumeSnapshot', parsed, this.options.schedule.expressionString, ctx.timeZone);
    backupCronJob(scope, 'SnapshotCronJob', {
      name,
      schedule: this.options.schedule.expressionString,
      timeZone: ctx.timeZone,
      labels: ctx.labels,
      annotations: backupHints(a.name, worstCaseRpoSeconds, retentionInWords(this.options.retention, 'snapshot runs')),
      serviceAccountName: name,
      needsApiToken: true,
      runAsUser: 65534,
      fsGroup: 65534,
      deadlineSeconds: 2 * 3600,
      imagePullSecrets: a.props.imagePullSecrets,
      containers: [{
        name: 'snapshot',
        image: rewriteRegistry(TOOLS_IMAGE, a.props.imageRegistry),
        script: snapshotScript({
          schedule: name,
          container: a.def.family,
          snapshotClass: this.options.snapshotClassName,
          members,
          backup,
          replicaSelector: role ? `${selector},${role.key}=${role.replicaValue}` : undefined,
          replicated: ctx.record.replicated,
          instance: a.name,
          keepLast: this.options.retention.keepLastCount,
          maxAgeSeconds: this.options.retention.maxAgeSeconds,
        }),
        env,
        cpuMillis: 100,
        memoryMebibytes: 128,
      }],
    });
    return {
      method: 'volume snapshots',
      cronJobName: name,
      worstCaseRpoSeconds,
      restorePath: `Restore.fromVolumeSnapshot('<${name}-RUN-POD>') on a new database`,
    };
  }
}

class LogicalDumpMethod extends BackupMethod {
  constructor(private readonly options: LogicalDumpOptions) {
    super();
  }

  public _bind(scope: Construct, ctx: BackupBindContext): BoundBackup {
    const a = ctx.record.assembly;
    const backup = engineBackup(a);
    check(backup.dump !== undefined || backup.dumpThroughExec !== undefined, scope, `\`logicalDump\`: ${backup.notes} Use BackupMethod.volumeSnapshot instead.`);
    const members = ctx.record.members;
    const viaExec = backup.dump === undefined;
    const parsed = checkSchedule(scope, 'logicalDump', this.options.schedule);
    checkRetention(scope, 'logicalDump', this.options.retention);
    validateTarget(scope, 'logicalDump', this.options.target);
    const name = cronJobName(scope, a.name, 'dumps');
    const s3 = this.options.target._s3;
    const dir = s3 ? '.' : a.name;
    const replicaHost = a.readerHost ?? a.host;
    const isMongoSet = a.def.family === 'mongodb' && ctx.record.replicated;
    const env: k8s.EnvVar[] = [
      // Dumps read from a replica where the engine routes one, to spare the primary.
      { name: 'DB_HOST', value: replicaHost },
      { name: 'DB_PORT', value: String(a.port) },
      { name: 'DB_USER', valueFrom: { secretKeyRef: { name: a.credentialsSecretName, key: a.usernameKey } } },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: a.credentialsSecretName, key: a.passwordKey } } },
      ...(a.def.family === 'mongodb' ? [{
        name: 'DB_URI',
        value: isMongoSet
          ? `mongodb://${a.memberHosts.map((h) => `${h}:${a.port}`).join(',')}/?replicaSet=${a.name}&readPreference=secondaryPreferred`
          : `mongodb://${a.host}:${a.port}/`,
      }] : []),
    ];
    // Dumps through exec (Cassandra) may exec into this database's pods, nothing else.
    jobIdentity(scope, 'Dump', name, ctx.labels, viaExec ? [
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'], resourceNames: members },
    ] : []);
    // The dump Job connects like an application: admit it to the client port.
    a.connections.allowFrom(kplus.Pods.select(scope, 'DumpPods', { labels: { [LABEL_CRONJOB]: name } }));
    const volumes = [targetVolume(this.options.target)];
    const backupMount = [{ name: 'backup', mountPath: '/backup' }];
    const dumpContainer = viaExec
      ? {
        name: 'dump',
        image: rewriteRegistry(TOOLS_IMAGE, a.props.imageRegistry),
        script: dumpScript(a.name, dir, backup, { members, container: a.def.family }),
        volumeMounts: backupMount,
        cpuMillis: 500,
        memoryMebibytes: 512,
      }
      : {
        name: 'dump',
        image: a.image,
        script: dumpScript(a.name, dir, backup),
        env,
        volumeMounts: backupMount,
        cpuMillis: 500,
        memoryMebibytes: 512,
        bash: true,
      };
    const keepLast = this.options.retention.keepLastCount;
    const maxAgeSeconds = this.options.retention.maxAgeSeconds;
    const worstCaseRpoSeconds = rpoOf(scope, 'logicalDump', parsed, this.options.schedule.expressionString, ctx.timeZone);
    backupCronJob(scope, 'DumpCronJob', {
      name,
      schedule: this.options.schedule.expressionString,
      timeZone: ctx.timeZone,
      labels: ctx.labels,
      annotations: backupHints(a.name, worstCaseRpoSeconds, retentionInWords(this.options.retention, 'dumps')),
      serviceAccountName: name,
      needsApiToken: viaExec,
      runAsUser: a.replication?.runAsUser ?? a.def.runAsUser,
      fsGroup: a.replication?.fsGroup ?? a.def.fsGroup,
      deadlineSeconds: 6 * 3600,
      imagePullSecrets: a.props.imagePullSecrets,
      // The dump runs first; then the upload (S3) or the pruning of the PVC folder.
      initContainers: [dumpContainer],
      containers: [s3
        ? {
          name: 'upload',
          image: rewriteRegistry(S3_IMAGE, a.props.imageRegistry),
          script: s3UploadScript(a.name, backup.dumpExtension, keepLast, maxAgeSeconds),
          env: s3Env(this.options.target, a.name),
          volumeMounts: backupMount,
          cpuMillis: 200,
          memoryMebibytes: 256,
          bash: true,
        }
        : {
          name: 'retention',
          image: a.image,
          script: pvcRetentionScript(a.name, dir, backup.dumpExtension, keepLast, maxAgeSeconds),
          volumeMounts: backupMount,
          cpuMillis: 50,
          memoryMebibytes: 64,
        }],
      volumes,
    });
    return {
      method: 'logical dumps',
      cronJobName: name,
      worstCaseRpoSeconds,
      restorePath: 'Restore.fromDump({ target }) on a new database (checksum verified, loaded once on first start)',
      target: this.options.target,
      dumpExtension: backup.dumpExtension,
    };
  }
}

class ContinuousArchivingMethod extends BackupMethod {
  constructor(private readonly options: ContinuousArchivingOptions) {
    super();
  }

  public _bind(scope: Construct, ctx: BackupBindContext): BoundBackup {
    const a = ctx.record.assembly;
    check(a.def.family === 'postgresql' && a.replication !== undefined, scope,
      `\`continuousArchiving\` needs PostgreSQL on Patroni (a ReplicatedDatabase with Engine.postgres), whose Spilo image carries WAL-G; Engine '${a.def.family} ${a.def.version}'${ctx.record.replicated ? '' : ' as a single instance'} has no WAL archiving here. Use logical dumps or volume snapshots.`);
    const s3 = this.options.target._s3;
    check(s3 !== undefined, scope, '`continuousArchiving` target must be BackupTarget.s3(...): WAL-G archives to object storage.');
    validateTarget(scope, 'continuousArchiving', this.options.target);
    // At least 60 s: shorter switches fill the store with mostly empty 16 MiB segments; PostgreSQL's
    // archive_timeout stops at INT_MAX / 2 seconds.
    const timeout = wholeSeconds(scope, 'continuousArchiving.archiveTimeout', this.options.archiveTimeout ?? DEFAULT_ARCHIVE_TIMEOUT,
      { min: 60, max: 1073741823, hint: 'shorter switches fill the store with mostly empty 16 MiB segments' });
    const baseSchedule = this.options.baseBackupSchedule ?? DEFAULT_BASE_BACKUP_SCHEDULE;
    checkSchedule(scope, 'continuousArchiving baseBackupSchedule', baseSchedule);
    const retention = this.options.retention ?? Retention.keepLast(7);
    check(retention.maxAgeSeconds === undefined && retention.keepLastCount !== undefined, scope,
      '`continuousArchiving` retention must be Retention.keepLast(n): Spilo keeps a count of base backups (BACKUP_NUM_TO_RETAIN), not an age.');
    checkInteger(scope, 'continuousArchiving.retention.keepLast', retention.keepLastCount, { min: 1, unit: 'base backups' });

    // Spilo's documented WAL-G settings; WAL goes to s3://<bucket>/spilo/<prefix><scope>/wal/<major>.
    // https://github.com/zalando/spilo/blob/master/ENVIRONMENT.rst
    const secret = s3!.credentialsSecretName;
    const env: k8s.EnvVar[] = [
      { name: 'USE_WALG_BACKUP', value: 'true' },
      { name: 'USE_WALG_RESTORE', value: 'true' },
      { name: 'WAL_S3_BUCKET', value: s3!.bucket },
      { name: 'WAL_BUCKET_SCOPE_PREFIX', value: s3!.prefix ? `${s3!.prefix}/` : '' },
      { name: 'AWS_ENDPOINT', value: s3!.endpoint },
      { name: 'AWS_REGION', value: s3Region(this.options.target) },
      { name: 'AWS_S3_FORCE_PATH_STYLE', value: 'true' },
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: secret, key: 'access-key-id' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: secret, key: 'secret-access-key' } } },
      { name: 'BACKUP_SCHEDULE', value: baseSchedule.expressionString },
      { name: 'BACKUP_NUM_TO_RETAIN', value: String(retention.keepLastCount) },
    ];
    // The StatefulSets exist already: extend them with JSON patches (env entries are plain fields the
    // serializer keeps), and add archive_timeout to Spilo's local configuration.
    for (const sts of a.statefulSets) {
      for (const e of env) ApiObject.of(sts).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/env/-', e));
    }
    const spilo = withSpiloLocalParameters(a.configData['spilo.yaml'], { archive_timeout: `${timeout}s` });
    ApiObject.of(a.configMap).addJsonPatch(JsonPatch.replace('/data/spilo.yaml', spilo));
    for (const sts of a.statefulSets) {
      ApiObject.of(sts).addJsonPatch(JsonPatch.add('/spec/template/metadata/annotations/cdk8s-databases.io~1archiving', `${s3!.bucket}/${s3!.prefix ?? ''}`));
      // No CronJob runs these backups (Spilo's own cron does, in the pods): the hints go on the StatefulSets' metadata.
      const hints = backupHints(a.name, timeout, `${retentionInWords(retention, 'base backups')} and the WAL they need`);
      for (const [key, value] of Object.entries(hints)) sts.metadata.addAnnotation(key, value);
    }
    return {
      method: 'continuous archiving (WAL-G)',
      worstCaseRpoSeconds: timeout,
      restorePath: 'Restore.pointInTime({ target, sourceName, time }) on a new ReplicatedDatabase (Spilo clone with WAL-G)',
      target: this.options.target,
    };
  }
}
