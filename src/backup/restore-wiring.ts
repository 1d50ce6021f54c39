import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { engineBackupFor } from './engine-backup';
import { S3_IMAGE } from './jobs';
import { Restore } from './restore';
import { fetchScript } from './scripts';
import { SPILO_CONVERTED_MARK, SPILO_STANDBY_ROLE, pgSnapshotLayout } from './snapshot-restore';
import { s3Env, s3Region, targetVolume, validateTarget } from './target-wiring';
import { CredentialsRef, EngineDefinition, ReplicationPlan } from '../engines/engine-definition';
import { scriptContainer } from '../pod/script-container';
import { check } from '../private/errors';
import { rewriteRegistry } from '../private/images';
import { MAX_STATEFULSET_NAME, checkSubdomainName, isServiceName } from '../private/names';
import { shellQuote, shellWord } from '../private/shell';

/** What a restore adds to a new database's pods and claims. */
export interface RestoreParts {
  readonly dataSource?: k8s.TypedLocalObjectReference;
  readonly initContainers: k8s.Container[];
  readonly volumes: k8s.Volume[];
  readonly mainMounts: k8s.VolumeMount[];
  readonly env: k8s.EnvVar[];
  /** Files for a `<name>-restore` ConfigMap mounted where the image runs first-start scripts. */
  readonly scripts?: Record<string, string>;
}

export interface RestoreInputs {
  readonly name: string;
  readonly def: EngineDefinition;
  readonly replication?: ReplicationPlan;
  readonly replicated: boolean;
  readonly hasInitScripts: boolean;
  readonly dataPath: string;
  readonly image: string;
  readonly runAsUser: number;
  readonly tls: boolean;
  readonly imageRegistry?: string;
  /** The new database's Secret: restored data takes its password. */
  readonly credentials: CredentialsRef;
}

/** Files that exist once the engine has initialised its data directory: restores then do nothing. */
const INITIALISED: Record<string, string[]> = {
  postgresql: ['pgdata/PG_VERSION'],
  mysql: ['data/mysql'],
  mongodb: ['WiredTiger'],
  // appendonlydir: the server ran with appendonly yes (the profile's default); dump.rdb: with it off.
  redis: ['appendonlydir', 'dump.rdb'],
  valkey: ['appendonlydir', 'dump.rdb'],
};

function helper(name: string, image: string, script: string, runAsUser: number, volumeMounts: k8s.VolumeMount[], env?: k8s.EnvVar[]): k8s.Container {
  return scriptContainer({ name, image, script, runAsUser, volumeMounts, env, cpuMillis: 200, memoryMebibytes: 256, tmpVolume: 'restore-tmp', bash: true });
}

/**
 * With `appendonly yes` the server loads the append-only files and ignores dump.rdb: a fresh start would
 * begin an empty AOF. So the RDB also becomes the base of a one-file AOF (Redis 7 / Valkey multi-part AOF:
 * `appendonlydir/` with a manifest line `file <base> seq 1 type b`; the base may be an RDB).
 * https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/#append-only-file
 */
function redisPlaceRdb(dataPath: string): string[] {
  const at = (file: string) => shellWord(`${dataPath}/${file}`);
  return [
    `gunzip -c /restore/dump > ${at('dump.rdb.tmp')} && mv ${at('dump.rdb.tmp')} ${at('dump.rdb')}`,
    `mkdir -p ${at('appendonlydir.tmp')}`,
    `cp ${at('dump.rdb')} ${at('appendonlydir.tmp/appendonly.aof.1.base.rdb')}`,
    `printf 'file appendonly.aof.1.base.rdb seq 1 type b\\n' > ${at('appendonlydir.tmp/appendonly.aof.manifest')}`,
    `mv ${at('appendonlydir.tmp')} ${at('appendonlydir')}`,
  ];
}

/**
 * A volume carries the source's roles and passwords. Once, before the first start from the snapshot, the
 * superuser takes the new database's Secret: `postgres --single` runs crash recovery and one statement on
 * the data directory with no server up (single-user mode has no psql variables, so the literal is escaped
 * by doubling quotes; standard_conforming_strings keeps backslashes literal). A volume that was a Patroni
 * member's also carries Spilo's replication role, whose password is in the source's Secret: it loses its login.
 * Where the kubelet re-owned the volume for the pod's fsGroup (with OnRootMismatch: when the restored root is not
 * the pod's group) the data directory is group-writable (2770), which PostgreSQL refuses: like the image's
 * entrypoint at every start (docker-entrypoint.sh `docker_create_db_directories`), the step first sets 0700.
 * https://www.postgresql.org/docs/current/app-postgres.html#APP-POSTGRES-SINGLE-USER
 */
function pgSnapshotCredentials(i: RestoreInputs): k8s.Container {
  const pgdata = `${i.dataPath}/pgdata`;
  const marker = `${i.dataPath}/.cdk8s-restore-credentials-applied`;
  // `$do$`, not `$$`: Kubernetes turns `$$` in a command into `$`. With -j, a statement ends at ";" and an empty line.
  const standby = `DO $do$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SPILO_STANDBY_ROLE}') THEN `
    + `ALTER ROLE ${SPILO_STANDBY_ROLE} NOLOGIN PASSWORD NULL; END IF; END $do$;`;
  return helper('restore-credentials', i.image, [
    'set -euo pipefail',
    `if [ -f ${shellWord(marker)} ] || [ ! -s ${shellWord(`${pgdata}/PG_VERSION`)} ]; then exit 0; fi`,
    `chmod 00700 ${shellWord(pgdata)}`,
    'U=$(printf \'%s\' "$POSTGRES_USER" | sed \'s/"/""/g\')',
    'P=$(printf \'%s\' "$POSTGRES_PASSWORD" | sed "s/\'/\'\'/g")',
    'SQL=$(printf "ALTER ROLE \\"%s\\" PASSWORD \'%s\';" "$U" "$P")',
    `if [ -f ${shellWord(`${i.dataPath}/${SPILO_CONVERTED_MARK}`)} ]; then SQL="$SQL"$'\\n\\n'${shellQuote(standby)}; fi`,
    `printf '%s\\n' "$SQL" | postgres --single -D ${shellWord(pgdata)} -c ${shellWord(`config_file=${pgdata}/postgresql.conf`)} -j postgres > /tmp/single.log 2>&1 \\`,
    '  || { cat /tmp/single.log; exit 1; }',
    'cat /tmp/single.log',
    'if grep -q ERROR /tmp/single.log; then exit 1; fi',
    `touch ${shellWord(marker)}`,
    'echo "superuser password set from the new Secret"',
  ].join('\n'), i.runAsUser, [{ name: 'data', mountPath: i.dataPath }], [
    { name: 'POSTGRES_USER', valueFrom: { secretKeyRef: { name: i.credentials.secretName, key: i.credentials.usernameKey } } },
    { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: i.credentials.secretName, key: i.credentials.passwordKey } } },
  ]);
}

/** A source database's name starts its dump files and is its Patroni scope: the name the database had, a DNS-1035 label. */
function checkSourceName(scope: Construct, name: string): void {
  check(isServiceName(name) && name.length <= MAX_STATEFULSET_NAME, scope,
    `\`restoreFrom\` sourceName "${name}" is not a database name: use the \`name\` of the source database (at most ${MAX_STATEFULSET_NAME} lower-case letters, digits and '-', starting with a letter).`);
}

export function restoreParts(scope: Construct, restore: Restore, i: RestoreInputs): RestoreParts {
  const engine = `Engine '${i.def.family} ${i.def.version}'`;
  if (restore._kind === 'snapshot') {
    checkSubdomainName(scope, 'restoreFrom snapshotName', restore._snapshotName!);
    check(restore._snapshot?.backupLabelConfigMap === undefined, scope,
      '`restoreFrom` backupLabelConfigMap: a snapshot of the volume that holds the data and its WAL is restored by crash '
      + 'recovery and needs no label; a backup_label without the WAL written after the snapshot stops with "WAL ends before '
      + 'end of online backup". Remove the option.');
    const single = i.def.family === 'postgresql' && !i.replication;
    return {
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: restore._snapshotName! },
      // The layout step moves a Patroni member's data directory where the postgres image looks (snapshot-restore.ts).
      initContainers: single ? [pgSnapshotLayout(i), pgSnapshotCredentials(i)] : [],
      volumes: single ? [{ name: 'restore-tmp', emptyDir: {} }] : [],
      mainMounts: [],
      env: [],
    };
  }

  if (restore._kind === 'pitr') {
    const o = restore._pitr!;
    check(i.def.family === 'postgresql' && i.replication !== undefined, scope,
      `\`restoreFrom\` point-in-time recovery replays WAL archived by Patroni/WAL-G: it needs a ReplicatedDatabase with Engine.postgres, not ${engine}${i.replicated ? '' : ' as a single instance'}.`);
    check(o.target._s3 !== undefined, scope, '`restoreFrom` point-in-time target must be BackupTarget.s3(...), where the source archives its WAL.');
    validateTarget(scope, 'restoreFrom', o.target);
    checkSourceName(scope, o.sourceName);
    check(o.time === undefined || /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{2}:[0-9]{2}|Z)$/.test(o.time), scope,
      `\`restoreFrom\` time "${o.time}" must be ISO 8601 with an offset, e.g. "2026-11-20T10:15:00+00:00".`);
    const s3 = o.target._s3!;
    // Spilo clones a new cluster from the source's WAL-G base backup and WAL up to the target time.
    // https://github.com/zalando/spilo/blob/master/ENVIRONMENT.rst (CLONE_*)
    return {
      initContainers: [],
      volumes: [],
      mainMounts: [],
      env: [
        { name: 'CLONE_SCOPE', value: o.sourceName },
        { name: 'CLONE_METHOD', value: 'CLONE_WITH_WALE' },
        ...(o.time !== undefined ? [{ name: 'CLONE_TARGET_TIME', value: o.time.replace('T', ' ') }] : []),
        { name: 'CLONE_USE_WALG_RESTORE', value: 'true' },
        { name: 'CLONE_WAL_S3_BUCKET', value: s3.bucket },
        { name: 'CLONE_WAL_BUCKET_SCOPE_PREFIX', value: s3.prefix ? `${s3.prefix}/` : '' },
        { name: 'CLONE_AWS_ENDPOINT', value: s3.endpoint },
        { name: 'CLONE_AWS_REGION', value: s3Region(o.target) },
        { name: 'CLONE_AWS_S3_FORCE_PATH_STYLE', value: 'true' },
        { name: 'CLONE_AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: s3.credentialsSecretName, key: 'access-key-id' } } },
        { name: 'CLONE_AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: s3.credentialsSecretName, key: 'secret-access-key' } } },
      ],
    };
  }

  // From a dump.
  const o = restore._dump!;
  validateTarget(scope, 'restoreFrom', o.target);
  const backup = engineBackupFor(i.def, i.replicated, i.tls);
  const redis = i.def.family === 'redis' || i.def.family === 'valkey';
  check(backup.initdbRestore !== undefined || redis, scope, `\`restoreFrom\` a dump is not offered for ${engine}: ${backup.notes}`);
  check(!i.replication || !(i.replication.image || i.def.family === 'mysql'), scope,
    `\`restoreFrom\` a dump would ${i.def.family === 'mysql' ? 'run on every Group Replication member and make them diverge' : 'bypass Patroni, which bootstraps the cluster itself'}: restore a single instance from the dump${i.def.family === 'postgresql' ? ', or use Restore.pointInTime' : ''}.`);
  check(!i.hasInitScripts || redis, scope, '`restoreFrom` a dump uses the first-start scripts folder, and so does `initScripts`: load one, then the other through a Job.');
  const s3 = o.target._s3 !== undefined;
  if (o.sourceName !== undefined) checkSourceName(scope, o.sourceName);
  const source = o.sourceName ?? i.name;
  check(o.file === undefined || (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(o.file) && o.file.length <= 255), scope,
    `\`restoreFrom\` file "${o.file}" must be a plain file name (letters, digits, '.', '_' and '-', not starting with '.' or '-'), e.g. "orders-20261120t020000z.sql.gz".`);
  const markers = INITIALISED[i.def.family].map((m) => `[ -e ${shellWord(`${i.dataPath}/${m}`)} ]`).join(' || ');
  const fetch = [
    `if ${markers}; then echo "data already initialised: nothing to restore"; exit 0; fi`,
    fetchScript(s3 ? 's3' : 'pvc', source, backup.dumpExtension, source, o.file),
    ...(redis ? redisPlaceRdb(i.dataPath) : []),
  ].join('\n');
  const mounts: k8s.VolumeMount[] = [
    { name: 'restore', mountPath: '/restore' },
    { name: 'data', mountPath: i.dataPath, readOnly: !redis },
    ...(s3 ? [] : [{ name: 'backup', mountPath: '/backup', readOnly: true }]),
  ];
  return {
    initContainers: [helper('restore-fetch', s3 ? rewriteRegistry(S3_IMAGE, i.imageRegistry) : i.image, fetch, i.runAsUser, mounts,
      s3 ? s3Env(o.target, source) : undefined)],
    volumes: [{ name: 'restore-tmp', emptyDir: {} }, { name: 'restore', emptyDir: {} }, ...(s3 ? [] : [targetVolume(o.target)])],
    mainMounts: redis ? [] : [{ name: 'restore', mountPath: '/restore', readOnly: true }],
    env: [],
    // The image runs these once, on an empty data directory, with its temporary server up.
    scripts: redis ? undefined : { '00-restore.sh': `DUMP=/restore/dump\n${backup.initdbRestore}\n` },
  };
}
