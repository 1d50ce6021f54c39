import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Cron, Duration } from 'cdk8s';
import { parse } from 'yaml';
import {
  BackupMethod, BackupSchedule, BackupTarget, CassandraVersion, Engine, MongoDbVersion, MysqlVersion, PostgresVersion,
  RedisVersion, ReplicatedDatabase, Restore, Retention, StatefulDatabase,
} from '../src';
import { allContainers, newChart, only, synthValid } from './support/synth';
import { manifestProblems } from './support/validate';
import { parseCron, worstGapMinutes } from '../src/backup/cron';

const ZONES = ['a', 'b', 'c'];
const S3 = BackupTarget.s3({ endpoint: 'https://s3.eu-west-1.amazonaws.com', bucket: 'acme-db-backups', prefix: 'prod', credentialsSecretName: 'backup-s3' });
const PVC = BackupTarget.pvc({ claimName: 'backups' });
const SIX_HOURLY = Cron.schedule({ minute: '0', hour: '*/6' });
const NIGHTLY = Cron.schedule({ minute: '30', hour: '2' });
const snapshots = () => BackupMethod.volumeSnapshot({ snapshotClassName: 'csi-snap', schedule: SIX_HOURLY, retention: Retention.keepLast(8) });
const dumps = (target = S3) => BackupMethod.logicalDump({
  schedule: NIGHTLY, target, retention: Retention.of({ keepLast: 14, maxAge: Duration.days(30) }),
});

function cronJob(manifests: any[], name: string) {
  const cj = only(manifests, 'CronJob', name);
  return { cj, pod: cj.spec.jobTemplate.spec.template.spec };
}
const env = (c: any, name: string) => (c.env ?? []).find((e: any) => e.name === name);

describe('schedules', () => {
  test.each([
    ['0 */6 * * *', 360],
    ['30 2 * * *', 1440],
    ['*/15 * * * *', 15],
    ['0 0 * * 0', 10080],
    ['@weekly', 10080],
    ['0 0 1 * *', 31 * 1440],
    ['0 3 * * mon-fri', 3 * 1440],
    ['0 0 1,15 * *', 17 * 1440],
  ])('%s: worst gap %i minutes', (expr, minutes) => {
    const parsed = parseCron(expr);
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(worstGapMinutes(parsed)).toBe(minutes);
  });

  test.each([
    ['0 * * *', 'has 4 fields; Kubernetes CronJobs take 5 (minute hour day-of-month month day-of-week) or a macro such as @daily'],
    ['60 * * * *', 'has an invalid minute field "60" (values 0-59)'],
    ['0 0 * foo *', 'has an invalid month field "foo" (values 1-12)'],
    ['*/0 * * * *', 'has a zero step in the minute field "*/0"'],
  ])('%s is refused', (expr, message) => {
    expect(parseCron(expr)).toBe(message);
  });

  test('a schedule that never fires has no RPO', () => {
    const parsed = parseCron('0 0 31 2 *');
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(worstGapMinutes(parsed)).toBeUndefined();
  });
});

describe('volume snapshots', () => {
  test('CronJob: Forbid, deadline, history, least-privilege RBAC, Guaranteed and restricted', () => {
    const chart = newChart('shop');
    const db = new StatefulDatabase(chart, 'db', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    const schedule = new BackupSchedule(chart, 'backups', { database: db, methods: [snapshots()], timeZone: 'Europe/Paris' });
    const manifests = synthValid(chart);
    const { cj, pod } = cronJob(manifests, 'orders-snapshots');
    expect(cj.spec).toMatchObject({ schedule: '0 */6 * * *', timeZone: 'Europe/Paris', concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3 });
    expect(cj.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(7200);
    expect(pod.containers[0].image).toBe('docker.io/alpine/k8s:1.31.2');
    for (const c of allContainers(pod)) {
      expect(c.resources.limits).toEqual(c.resources.requests);
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    }
    expect(only(manifests, 'Role', 'orders-snapshots').rules).toEqual([
      { apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshots'], verbs: ['create', 'get', 'list', 'watch', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'], resourceNames: ['orders-0'] },
    ]);
    // Europe/Paris: on the autumn fall-back day the 6-hourly schedule's gap is 7 h (robfig/cron gives 420 min too).
    expect(schedule.summaries[0]).toMatchObject({ method: 'volume snapshots', worstCaseRpoSeconds: 25200 });
  });

  test('the VolumeSnapshot each run creates is valid against the CRD schema', () => {
    const chart = newChart('shop');
    const db = new StatefulDatabase(chart, 'db', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    new BackupSchedule(chart, 'backups', { database: db, methods: [snapshots()] });
    const script: string = cronJob(synthValid(chart), 'orders-snapshots').pod.containers[0].command[2];
    const manifest = script.slice(script.indexOf('<<EOF\n') + 6, script.indexOf('\nEOF'))
      .replace(/\$RUN/g, '20261121t000000z').replace(/\$P/g, 'orders-0');
    const snapshot = parse(manifest);
    expect(snapshot.spec).toEqual({ volumeSnapshotClassName: 'csi-snap', source: { persistentVolumeClaimName: 'data-orders-0' } });
    expect(snapshot.metadata.labels).toMatchObject({ 'cdk8s-databases.io/backup': 'orders-snapshots', 'cdk8s-databases.io/backup-run': '20261121t000000z' });
    expect(manifestProblems(snapshot)).toEqual([]);
  });

  test.each([
    // One volume holds the data and its WAL: an atomic snapshot restores by crash recovery (the runtime tier
    // restores one); a CHECKPOINT first keeps the recovery short.
    ['postgres single: a checkpoint', { engine: Engine.postgres({ version: PostgresVersion.V16 }) }, false, 'PREPARE', /-c CHECKPOINT$/, 'PODS="db-0"'],
    ['postgres on Patroni: a replica by role label', { engine: Engine.postgres({ version: PostgresVersion.V16 }) }, true, 'PREPARE', /-c CHECKPOINT$/,
      "PODS=$(kubectl get pods -l 'app.kubernetes.io/name=postgresql,app.kubernetes.io/instance=db,app.kubernetes.io/component=database,spilo-role=replica'"],
    // Group Replication members carry the role label (the role labeller): the SECONDARY is found by it.
    ['mysql group: a SECONDARY found by its role label', { engine: Engine.mysql({ version: MysqlVersion.V8_4 }) }, true, 'HOLD', /FLUSH TABLES WITH READ LOCK/, ',cdk8s-databases.io/role=replica\' --field-selector=status.phase=Running'],
    ['mongodb replica set: fsyncLock on a secondary', { engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }) }, true, 'LOCK', /db\.fsyncLock\(\)/, 'for M in db-0 db-1 db-2; do'],
    ['redis: BGSAVE completion', { engine: Engine.redis({ version: RedisVersion.V7_4 }) }, false, 'PREPARE', /BGSAVE/, 'PODS="db-0"'],
    ['cassandra ring: nodetool flush on every node', { engine: Engine.cassandra({ version: CassandraVersion.V4_1 }) }, true, 'PREPARE', /^nodetool flush$/,
      'PODS="db-a-0 db-b-0 db-c-0"'],
  ])('%s', (_n, props, replicated, envName, command, selection) => {
    const chart = newChart('shop');
    const db = replicated
      ? new ReplicatedDatabase(chart, 'db', { name: 'db', zones: ZONES, ...props })
      : new StatefulDatabase(chart, 'db', { name: 'db', ...props });
    new BackupSchedule(chart, 'backups', { database: db, methods: [snapshots()] });
    const { pod } = cronJob(synthValid(chart), 'db-snapshots');
    const c = pod.containers[0];
    expect(env(c, envName).value).toMatch(command);
    expect(c.command[2]).toContain(selection);
    if (envName === 'LOCK') {
      expect(env(c, 'UNLOCK').value).toContain('db.fsyncUnlock()');
      expect(c.command[2]).toContain('trap unlock EXIT');
    }
    if (envName === 'HOLD') expect(c.command[2]).toContain('trap release EXIT');
  });
});

describe('logical dumps', () => {
  test.each([
    ['postgres', Engine.postgres({ version: PostgresVersion.V16 }), 'pg_dumpall -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" | gzip > "$OUT"', 'sql.gz'],
    ['mysql', Engine.mysql({ version: MysqlVersion.V8_0 }), 'mysqldump -h "$DB_HOST" -P "$DB_PORT" -uroot --single-transaction', 'sql.gz'],
    ['mongodb', Engine.mongodb({ version: MongoDbVersion.V7_0 }), 'mongodump --uri "$DB_URI"', 'archive.gz'],
    ['redis', Engine.redis({ version: RedisVersion.V7_4 }), 'redis-cli -h "$DB_HOST" -p "$DB_PORT" --rdb /tmp/work/dump.rdb', 'rdb.gz'],
  ])('%s: the engine\'s dump tool, gzip and sha256, then upload and prune in S3', (_n, engine, command, ext) => {
    const chart = newChart('shop');
    const db = new StatefulDatabase(chart, 'db', { engine, name: 'db' });
    new BackupSchedule(chart, 'backups', { database: db, methods: [dumps()] });
    const manifests = synthValid(chart);
    const { pod } = cronJob(manifests, 'db-dumps');
    const [dump] = pod.initContainers;
    expect(dump.image).toBe(engine.image);
    expect(dump.command[0]).toBe('bash');
    expect(dump.command[2]).toContain(command);
    expect(dump.command[2]).toContain(`F="db-$RUN.${ext}"`);
    // Written under .partial names, renamed once complete (the runtime tier runs a failing dump).
    expect(dump.command[2]).toContain('sha256sum "$F.partial" | sed \'s/\\.partial$//\' > "$F.sha256.partial"');
    expect(env(dump, 'DB_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'db-credentials', key: 'password' });
    const [upload] = pod.containers;
    expect(upload.image).toBe('docker.io/amazon/aws-cli:2.18.0');
    expect(upload.command[2]).toContain('aws --endpoint-url "$S3_ENDPOINT" s3 cp "/backup/$F" "s3://$S3_BUCKET/$S3_PREFIX/$F"');
    expect(upload.command[2]).toContain('[ $((COUNT - I)) -ge 14 ]');
    expect(env(upload, 'S3_PREFIX').value).toBe('prod');
    expect(env(upload, 'AWS_ACCESS_KEY_ID').valueFrom.secretKeyRef).toEqual({ name: 'backup-s3', key: 'access-key-id' });
    for (const c of allContainers(pod)) expect(c.resources.limits).toEqual(c.resources.requests);
    // The dump Job reaches the client port through the NetworkPolicy, like an application.
    expect(only(manifests, 'NetworkPolicy').spec.ingress[0].from).toContainEqual({ podSelector: { matchLabels: { 'cdk8s-databases.io/cronjob': 'db-dumps' } } });
  });

  test('Cassandra: nodetool snapshot in every node, streamed out as tar, bundled, cleared; exec on its pods only', () => {
    const chart = newChart('shop');
    const db = new ReplicatedDatabase(chart, 'db', { engine: Engine.cassandra({ version: CassandraVersion.V5_0 }), name: 'events', zones: ZONES });
    new BackupSchedule(chart, 'b', { database: db, methods: [dumps()] });
    const manifests = synthValid(chart);
    const { pod } = cronJob(manifests, 'events-dumps');
    const dump = pod.initContainers[0];
    expect(dump.image).toBe('docker.io/alpine/k8s:1.31.2');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(dump.command[2]).toContain('for P in events-a-0 events-b-0 events-c-0; do');
    expect(dump.command[2]).toContain('kubectl exec "$P" -c cassandra -- nodetool snapshot -t "$RUN"');
    expect(dump.command[2]).toContain("find . -path '*/snapshots/$RUN/*' -type f | tar -czf - -T -");
    expect(dump.command[2]).toContain('trap clear EXIT');
    expect(dump.command[2]).toContain('F="events-$RUN.tar.gz"');
    expect(only(manifests, 'Role', 'events-dumps').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'], resourceNames: ['events-a-0', 'events-b-0', 'events-c-0'] },
    ]);
  });

  test('to a PVC: the dump lands in a folder of the claim, pruned by the same image', () => {
    const chart = newChart('shop');
    const db = new StatefulDatabase(chart, 'db', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    new BackupSchedule(chart, 'backups', { database: db, methods: [dumps(PVC)] });
    const { pod } = cronJob(synthValid(chart), 'orders-dumps');
    expect(pod.volumes).toContainEqual({ name: 'backup', persistentVolumeClaim: { claimName: 'backups' } });
    expect(pod.initContainers[0].command[2]).toContain('OUT="/backup/orders/$F.partial"');
    expect(pod.containers[0].name).toBe('retention');
  });

  test('replicated: dumps read from the replicas (Patroni read-only Service; MongoDB secondaries with --oplog)', () => {
    const chart = newChart('shop');
    const pg = new ReplicatedDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ZONES });
    const mongo = new ReplicatedDatabase(chart, 'mongo', { engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), name: 'catalog', zones: ZONES });
    new BackupSchedule(chart, 'pgb', { database: pg, methods: [dumps()] });
    new BackupSchedule(chart, 'mb', { database: mongo, methods: [dumps()] });
    const manifests = synthValid(chart);
    expect(env(cronJob(manifests, 'orders-dumps').pod.initContainers[0], 'DB_HOST').value).toBe('orders-ro.shop.svc');
    expect(cronJob(manifests, 'orders-dumps').pod.initContainers[0].image).toBe('ghcr.io/zalando/spilo-16:3.3-p3');
    const m = cronJob(manifests, 'catalog-dumps').pod.initContainers[0];
    expect(env(m, 'DB_URI').value).toBe('mongodb://catalog-0.catalog-headless.shop.svc:27017,catalog-1.catalog-headless.shop.svc:27017,catalog-2.catalog-headless.shop.svc:27017/?replicaSet=catalog&readPreference=secondaryPreferred');
    expect(m.command[2]).toContain('--archive --gzip --oplog');
  });
});

describe('continuous archiving', () => {
  test('PostgreSQL on Patroni: WAL-G env on every member, archive_timeout in Spilo\'s configuration, pods roll', () => {
    const chart = newChart('shop');
    const pg = new ReplicatedDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ZONES });
    const schedule = new BackupSchedule(chart, 'b', {
      database: pg,
      methods: [BackupMethod.continuousArchiving({ target: S3, archiveTimeout: Duration.minutes(2), retention: Retention.keepLast(5) })],
    });
    const manifests = synthValid(chart);
    const sts = only(manifests, 'StatefulSet');
    const main = sts.spec.template.spec.containers[0];
    expect(env(main, 'USE_WALG_BACKUP').value).toBe('true');
    expect(env(main, 'WAL_S3_BUCKET').value).toBe('acme-db-backups');
    expect(env(main, 'WAL_BUCKET_SCOPE_PREFIX').value).toBe('prod/');
    expect(env(main, 'AWS_ENDPOINT').value).toBe('https://s3.eu-west-1.amazonaws.com');
    expect(env(main, 'AWS_SECRET_ACCESS_KEY').valueFrom.secretKeyRef).toEqual({ name: 'backup-s3', key: 'secret-access-key' });
    expect(env(main, 'BACKUP_SCHEDULE').value).toBe('0 1 * * *');
    expect(env(main, 'BACKUP_NUM_TO_RETAIN').value).toBe('5');
    expect(only(manifests, 'ConfigMap', 'orders-spilo').data['spilo.yaml']).toMatch(/\npostgresql:\n {2}parameters:\n {4}archive_timeout: 120s\n$/);
    expect(sts.spec.template.metadata.annotations['cdk8s-databases.io/archiving']).toBe('acme-db-backups/prod');
    expect(schedule.worstCaseRpoSeconds).toBe(120);
  });
});

describe('restore', () => {
  test('from a VolumeSnapshot: dataSource on the claim template, no label (crash recovery), the new Secret\'s password set once', () => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'db', {
      engine: Engine.postgres({ version: PostgresVersion.V16 }),
      name: 'orders-copy',
      restoreFrom: Restore.fromVolumeSnapshot('orders-snapshots-20261121t000000z-orders-0'),
    });
    const sts = only(synthValid(chart), 'StatefulSet');
    expect(sts.spec.volumeClaimTemplates[0].spec.dataSource).toEqual({
      apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'orders-snapshots-20261121t000000z-orders-0',
    });
    // restore-layout first (a Patroni member's volume: test/snapshot-restore.test.ts), then the credentials.
    const [layout, init] = sts.spec.template.spec.initContainers;
    expect(layout.name).toBe('restore-layout');
    expect(init.name).toBe('restore-credentials');
    expect(init.command[2]).toContain('postgres --single -D /var/lib/postgresql/data/pgdata');
    expect(init.command[2]).toContain('if [ -f /var/lib/postgresql/data/.cdk8s-restore-credentials-applied ]');
    expect(init.env).toContainEqual({ name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'orders-copy-credentials', key: 'password' } } });
    expect(init.resources.limits).toEqual(init.resources.requests);
  });

  test.each([
    ['postgres', Engine.postgres({ version: PostgresVersion.V16 }), 'gunzip -c "$DUMP" | psql -X -q -U "$POSTGRES_USER" -d postgres', '/var/lib/postgresql/data/pgdata/PG_VERSION'],
    ['mysql', Engine.mysql({ version: MysqlVersion.V8_4 }), 'gunzip -c "$DUMP" | MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot', '/var/lib/mysql/data/mysql'],
    ['mongodb', Engine.mongodb({ version: MongoDbVersion.V7_0 }), 'db.changeUserPassword(process.env.MONGO_INITDB_ROOT_USERNAME, process.env.MONGO_INITDB_ROOT_PASSWORD)', '/data/db/WiredTiger'],
  ])('%s from a dump: fetched, checksum verified, loaded once by the first-start scripts', (_n, engine, load, marker) => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'db', { engine, name: 'copy', restoreFrom: Restore.fromDump({ target: S3, sourceName: 'orders' }) });
    const manifests = synthValid(chart);
    const pod = only(manifests, 'StatefulSet').spec.template.spec;
    const fetch = pod.initContainers[0];
    expect(fetch.image).toBe('docker.io/amazon/aws-cli:2.18.0');
    expect(fetch.command[2]).toContain(`if [ -e ${marker} ]; then echo "data already initialised: nothing to restore"; exit 0; fi`);
    expect(fetch.command[2]).toContain('sha256sum -c "$F.sha256"');
    expect(fetch.command[2]).toContain('--prefix "$S3_PREFIX/orders-"');
    expect(only(manifests, 'ConfigMap', 'copy-restore').data['00-restore.sh']).toContain(load);
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'restore-scripts', mountPath: engine._definition.initScriptsPath, readOnly: true });
  });

  test('Redis from a dump: the RDB is placed in the data volume before the first start', () => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'db', { engine: Engine.redis({ version: RedisVersion.V7_4 }), name: 'cache', restoreFrom: Restore.fromDump({ target: PVC, file: 'cache-20261120t023000z.rdb.gz' }) });
    const pod = only(synthValid(chart), 'StatefulSet').spec.template.spec;
    expect(pod.initContainers[0].command[2]).toContain('F="cache-20261120t023000z.rdb.gz"');
    expect(pod.initContainers[0].command[2]).toContain('gunzip -c /restore/dump > /data/dump.rdb');
    // appendonly yes ignores dump.rdb: the RDB is also the base of the AOF (the runtime tier restores it).
    expect(pod.initContainers[0].command[2]).toContain("printf 'file appendonly.aof.1.base.rdb seq 1 type b\\n' > /data/appendonlydir.tmp/appendonly.aof.manifest");
    expect(pod.initContainers[0].command[2]).toContain('if [ -e /data/appendonlydir ] || [ -e /data/dump.rdb ]; then');
    expect(pod.initContainers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/data', readOnly: false });
  });

  test('point in time: a Spilo clone from the source\'s WAL-G archive', () => {
    const chart = newChart('shop');
    new ReplicatedDatabase(chart, 'db', {
      engine: Engine.postgres({ version: PostgresVersion.V16 }),
      name: 'orders-pitr',
      zones: ZONES,
      restoreFrom: Restore.pointInTime({ target: S3, sourceName: 'orders', time: '2026-11-20T10:15:00+00:00' }),
    });
    const main = only(synthValid(chart), 'StatefulSet').spec.template.spec.containers[0];
    expect(env(main, 'CLONE_SCOPE').value).toBe('orders');
    expect(env(main, 'CLONE_METHOD').value).toBe('CLONE_WITH_WALE');
    expect(env(main, 'CLONE_TARGET_TIME').value).toBe('2026-11-20 10:15:00+00:00');
    expect(env(main, 'CLONE_WAL_S3_BUCKET').value).toBe('acme-db-backups');
    expect(env(main, 'CLONE_AWS_ACCESS_KEY_ID').valueFrom.secretKeyRef).toEqual({ name: 'backup-s3', key: 'access-key-id' });
  });
});

describe('restore verification and alerts', () => {
  test('the newest dump restored into a throwaway server of the official image, then a check query', () => {
    const chart = newChart('shop');
    const pg = new ReplicatedDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ZONES });
    new BackupSchedule(chart, 'b', {
      database: pg,
      methods: [snapshots(), dumps()],
      alerts: true,
      verification: { schedule: Cron.schedule({ minute: '0', hour: '5' }), checkQuery: 'SELECT count(*) FROM orders.public.orders' },
    });
    const manifests = synthValid(chart);
    const { cj, pod } = cronJob(manifests, 'orders-verify');
    expect(cj.spec.schedule).toBe('0 5 * * *');
    expect(pod.initContainers[0].command[2]).toContain('sha256sum -c "$F.sha256"');
    const verify = pod.containers[0];
    expect(verify.image).toBe('docker.io/library/postgres:16.6');
    expect(verify.command[2]).toContain('initdb -D /tmp/verify/pg -U postgres --auth=trust');
    expect(verify.command[2]).toContain('restore verification FAILED');
    expect(env(verify, 'CHECK').value).toBe('SELECT count(*) FROM orders.public.orders');
    expect(verify.resources.limits).toEqual(verify.resources.requests);
    const rule = only(manifests, 'PrometheusRule');
    // Behaviour under Prometheus: test-runtime/alerts.runtime.test.ts (promtool).
    const tooOld = (name: string, gap: number) => `time() - (kube_cronjob_status_last_successful_time{namespace="shop",cronjob="${name}"}`
      + ` or on (namespace, cronjob) kube_cronjob_created{namespace="shop",cronjob="${name}"}) > ${gap}`;
    const failed = 'kube_job_failed{namespace="shop",condition="true"} == 1';
    const newestFailed = (name: string) => 'topk by (namespace, owner_name) (1, kube_job_created{namespace="shop"}'
      + ` * on (namespace, job_name) group_left (owner_name) kube_job_owner{namespace="shop",owner_kind="CronJob",owner_name="${name}"}`
      + ` and on (namespace, job_name) (${failed} or kube_job_complete{namespace="shop",condition="true"} == 1))`
      + ` and on (namespace, job_name) ${failed}`;
    expect(rule.spec.groups[0].rules.map((r: any) => [r.alert, r.labels.cronjob, r.expr])).toEqual([
      ['DatabaseBackupTooOld', 'orders-snapshots', tooOld('orders-snapshots', 25200)],
      ['DatabaseBackupTooOld', 'orders-dumps', tooOld('orders-dumps', 90000)],
      ['DatabaseBackupFailed', 'orders-snapshots', newestFailed('orders-snapshots')],
      ['DatabaseBackupFailed', 'orders-dumps', newestFailed('orders-dumps')],
      ['DatabaseRestoreVerificationFailed', 'orders-verify', newestFailed('orders-verify')],
    ]);
  });

  test.each([
    ['mysql', Engine.mysql({ version: MysqlVersion.V8_4 }), 'mysqld --initialize-insecure --datadir=/tmp/verify/my'],
    ['mongodb', Engine.mongodb({ version: MongoDbVersion.V7_0 }), 'mongod --dbpath /tmp/verify/db --bind_ip 127.0.0.1 --port 27018 --fork'],
    ['redis', Engine.redis({ version: RedisVersion.V7_4 }), 'redis-server --dir /tmp/verify/r --dbfilename dump.rdb --port 6390'],
  ])('%s verification starts its own server', (_n, engine, start) => {
    const chart = newChart('shop');
    const db = new StatefulDatabase(chart, 'db', { engine, name: 'db' });
    new BackupSchedule(chart, 'b', { database: db, methods: [dumps(PVC)], verification: { schedule: NIGHTLY } });
    const { pod } = cronJob(synthValid(chart), 'db-verify');
    expect(pod.containers[0].command[2]).toContain(start);
    expect(pod.initContainers[0].image).toBe(engine.image);
  });

  test('the synth report gives each method\'s worst-case RPO and restore path', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
    const app = new App({ outdir });
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    const pg = new ReplicatedDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ZONES });
    new BackupSchedule(chart, 'b', { database: pg, methods: [snapshots(), dumps(), BackupMethod.continuousArchiving({ target: S3 })] });
    app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'cdk8s-databases-report', 'report.json'), 'utf8'));
    expect(report.backups[0]).toMatchObject({
      name: 'orders',
      summary: 'worst-case RPO 5 min (volume snapshots 6 h, logical dumps 1 d, continuous archiving (WAL-G) 5 min)',
      worstCaseRpoSeconds: 300,
    });
    expect(report.backups[0].methods[2]).toContain('Restore.pointInTime');
    expect(fs.readFileSync(path.join(outdir, 'cdk8s-databases-report', 'report.md'), 'utf8')).toContain('## orders backups');
    fs.rmSync(outdir, { recursive: true });
  });
});

describe('BackupSchedule errors', () => {
  const pg = () => Engine.postgres({ version: PostgresVersion.V16 });
  const cases: Array<[string, (chart: Chart) => void, string]> = [
    ['no methods', (c) => new BackupSchedule(c, 'b', { database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }), methods: [] }),
      'test/b: `methods` is empty: give at least one BackupMethod.'],
    ['invalid schedule', (c) => new BackupSchedule(c, 'b', {
      database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }),
      methods: [BackupMethod.volumeSnapshot({ snapshotClassName: 'csi', schedule: Cron.schedule({ minute: '61' }), retention: Retention.keepLast(1) })],
    }), 'test/b/Method0: `volumeSnapshot` schedule "61 * * * *" has an invalid minute field "61" (values 0-59). Use e.g. Cron.schedule({ minute: \'0\', hour: \'2\' }).'],
    ['schedule never fires', (c) => new BackupSchedule(c, 'b', {
      database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }),
      methods: [BackupMethod.logicalDump({ schedule: Cron.schedule({ minute: '0', hour: '0', day: '31', month: '2' }), target: S3, retention: Retention.keepLast(1) })],
    }), 'test/b/Method0: `logicalDump` schedule "0 0 31 2 *" never fires (no date matches it): fix the day or month fields.'],
    ['zero retention', (c) => new BackupSchedule(c, 'b', {
      database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }),
      methods: [BackupMethod.volumeSnapshot({ snapshotClassName: 'csi', schedule: SIX_HOURLY, retention: Retention.keepLast(0) })],
    }), 'test/b/Method0: `volumeSnapshot.retention.keepLast` (0) must be a whole number from 1 to 2147483647 backups.'],
    ['no snapshot class', (c) => new BackupSchedule(c, 'b', {
      database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }),
      methods: [BackupMethod.volumeSnapshot({ snapshotClassName: '', schedule: SIX_HOURLY, retention: Retention.keepLast(3) })],
    }), 'test/b/Method0: `volumeSnapshot snapshotClassName` ("") is not a valid Kubernetes name: use at most 253 lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit (RFC 1123 subdomain).'],
    ['object store without a Secret', (c) => new BackupSchedule(c, 'b', {
      database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }),
      methods: [dumps(BackupTarget.s3({ endpoint: 'https://s3.example.com', bucket: 'b-1', credentialsSecretName: '' }))],
    }), 'test/b/Method0: `logicalDump target credentialsSecretName` ("") is not a valid Kubernetes name: use at most 253 lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit (RFC 1123 subdomain).'],
    ['bad bucket', (c) => new BackupSchedule(c, 'b', {
      database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }),
      methods: [dumps(BackupTarget.s3({ endpoint: 'https://s3.example.com', bucket: 'My_Bucket', credentialsSecretName: 's' }))],
    }), 'test/b/Method0: `logicalDump` target bucket "My_Bucket" is not a valid bucket name: 3 to 63 lower-case letters, digits, \'.\' and \'-\'.'],
    ['endpoint without scheme', (c) => new BackupSchedule(c, 'b', {
      database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }),
      methods: [dumps(BackupTarget.s3({ endpoint: 's3.example.com', bucket: 'bucket', credentialsSecretName: 's' }))],
    }), 'test/b/Method0: `logicalDump` target endpoint "s3.example.com" must be an http(s) URL, e.g. "https://s3.eu-west-1.amazonaws.com".'],
    ['restore Cassandra from a dump', (c) => new StatefulDatabase(c, 'db', {
      engine: Engine.cassandra({ version: CassandraVersion.V4_1 }), name: 'db', restoreFrom: Restore.fromDump({ target: S3 }),
    }), "test/db: `restoreFrom` a dump is not offered for Engine 'cassandra 4.1.7': Cassandra dumps are per-node snapshots (SSTables and schema.cql) bundled in one tar; loading them back is an sstableloader operation, so dump restores and verification are not offered."],
    ['archiving of a single PostgreSQL', (c) => new BackupSchedule(c, 'b', {
      database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }), methods: [BackupMethod.continuousArchiving({ target: S3 })],
    }), "test/b/Method0: `continuousArchiving` needs PostgreSQL on Patroni (a ReplicatedDatabase with Engine.postgres), whose Spilo image carries WAL-G; Engine 'postgresql 16.6' as a single instance has no WAL archiving here. Use logical dumps or volume snapshots."],
    ['archiving to a PVC', (c) => new BackupSchedule(c, 'b', {
      database: new ReplicatedDatabase(c, 'db', { engine: pg(), name: 'db', zones: ZONES }), methods: [BackupMethod.continuousArchiving({ target: PVC })],
    }), 'test/b/Method0: `continuousArchiving` target must be BackupTarget.s3(...): WAL-G archives to object storage.'],
    ['archiving with an age retention', (c) => new BackupSchedule(c, 'b', {
      database: new ReplicatedDatabase(c, 'db', { engine: pg(), name: 'db', zones: ZONES }),
      methods: [BackupMethod.continuousArchiving({ target: S3, retention: Retention.maxAge(Duration.days(7)) })],
    }), 'test/b/Method0: `continuousArchiving` retention must be Retention.keepLast(n): Spilo keeps a count of base backups (BACKUP_NUM_TO_RETAIN), not an age.'],
    ['archive timeout too short', (c) => new BackupSchedule(c, 'b', {
      database: new ReplicatedDatabase(c, 'db', { engine: pg(), name: 'db', zones: ZONES }),
      methods: [BackupMethod.continuousArchiving({ target: S3, archiveTimeout: Duration.seconds(10) })],
    }), 'test/b/Method0: `continuousArchiving.archiveTimeout` (10) must be a whole number from 60 to 1073741823 seconds: shorter switches fill the store with mostly empty 16 MiB segments.'],
    ['two methods of a kind', (c) => new BackupSchedule(c, 'b', { database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }), methods: [dumps(), dumps(PVC)] }),
      'test/b: `methods` has two methods of the same kind: their CronJobs or settings would share a name. Give one of each kind.'],
    ['two continuous archivings on Patroni (no CronJob, one set of env)', (c) => new BackupSchedule(c, 'b', {
      database: new ReplicatedDatabase(c, 'db', { engine: pg(), name: 'db', zones: ZONES }),
      methods: [BackupMethod.continuousArchiving({ target: S3 }), BackupMethod.continuousArchiving({ target: S3 })],
    }), 'test/b: `methods` has two methods of the same kind: their CronJobs or settings would share a name. Give one of each kind.'],
    ['verification without dumps', (c) => new BackupSchedule(c, 'b', {
      database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }), methods: [snapshots()], verification: { schedule: NIGHTLY },
    }), 'test/b: `verification` restores the newest logical dump, but `methods` has no BackupMethod.logicalDump(...): add one.'],
    ['bad time zone', (c) => new BackupSchedule(c, 'b', { database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }), methods: [snapshots()], timeZone: 'CET+1 summer' }),
      'test/b: `timeZone` "CET+1 summer" is not in the tz database: give an IANA time zone name such as "Europe/Paris" or "Etc/UTC".'],
    ['CronJob name too long', (c) => new BackupSchedule(c, 'b', { database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'a'.repeat(45) }), methods: [snapshots()] }),
      `test/b/Method0: the CronJob name "${'a'.repeat(45)}-snapshots" is longer than 52 characters (its Jobs add 11): shorten the database name.`],
    ['restore a dump into Patroni', (c) => new ReplicatedDatabase(c, 'db', { engine: pg(), name: 'db', zones: ZONES, restoreFrom: Restore.fromDump({ target: S3 }) }),
      'test/db: `restoreFrom` a dump would bypass Patroni, which bootstraps the cluster itself: restore a single instance from the dump, or use Restore.pointInTime.'],
    ['restore a dump with init scripts', (c) => new StatefulDatabase(c, 'db', { engine: pg(), name: 'db', initScripts: { 'a.sql': '' }, restoreFrom: Restore.fromDump({ target: S3 }) }),
      'test/db: `restoreFrom` a dump uses the first-start scripts folder, and so does `initScripts`: load one, then the other through a Job.'],
    ['point in time on a single instance', (c) => new StatefulDatabase(c, 'db', { engine: pg(), name: 'db', restoreFrom: Restore.pointInTime({ target: S3, sourceName: 'x', time: '2026-11-20T10:15:00Z' }) }),
      "test/db: `restoreFrom` point-in-time recovery replays WAL archived by Patroni/WAL-G: it needs a ReplicatedDatabase with Engine.postgres, not Engine 'postgresql 16.6' as a single instance."],
    ['point in time without an offset', (c) => new ReplicatedDatabase(c, 'db', { engine: pg(), name: 'db', zones: ZONES, restoreFrom: Restore.pointInTime({ target: S3, sourceName: 'x', time: '2026-11-20 10:15' }) }),
      'test/db: `restoreFrom` time "2026-11-20 10:15" must be ISO 8601 with an offset, e.g. "2026-11-20T10:15:00+00:00".'],
    ['a backup label', (c) => new StatefulDatabase(c, 'db', { engine: pg(), name: 'db', restoreFrom: Restore.fromVolumeSnapshot('s', { backupLabelConfigMap: 'l' }) }),
      'test/db: `restoreFrom` backupLabelConfigMap: a snapshot of the volume that holds the data and its WAL is restored by crash recovery and needs no label; '
      + 'a backup_label without the WAL written after the snapshot stops with "WAL ends before end of online backup". Remove the option.'],
    ['a volume snapshot without retention (JavaScript)', (c) => new BackupSchedule(c, 'b', {
      database: new StatefulDatabase(c, 'db', { engine: pg(), name: 'db' }),
      methods: [BackupMethod.volumeSnapshot({ snapshotClassName: 'x', schedule: Cron.schedule({ minute: '0' }) } as any)],
    }), 'test/b/Method0: `volumeSnapshot` needs a retention: give `retention: Retention.keepLast(n)` or `Retention.maxAge(...)`.'],
  ];
  test.each(cases)('%s', (_n, build, message) => {
    expect(() => build(newChart('shop'))).toThrow(message);
  });
});

describe('BackupSchedule defaults', () => {
  test('no alerts, no verification, no time zone; archiving every 5 minutes with 7 daily base backups', () => {
    const chart = newChart('shop');
    const pg = new ReplicatedDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ZONES });
    const schedule = new BackupSchedule(chart, 'b', { database: pg, methods: [snapshots(), BackupMethod.continuousArchiving({ target: S3 })] });
    const manifests = synthValid(chart);
    expect(manifests.filter((m) => m.kind === 'PrometheusRule')).toEqual([]);
    expect(manifests.filter((m) => m.kind === 'CronJob').map((c) => c.metadata.name)).toEqual(['orders-snapshots']);
    expect(cronJob(manifests, 'orders-snapshots').cj.spec.timeZone).toBeUndefined();
    const main = only(manifests, 'StatefulSet').spec.template.spec.containers[0];
    expect(env(main, 'BACKUP_SCHEDULE').value).toBe('0 1 * * *');
    expect(env(main, 'BACKUP_NUM_TO_RETAIN').value).toBe('7');
    expect(schedule.worstCaseRpoSeconds).toBe(300);
  });
});

describe('S3 region', () => {
  const region = (endpoint: string, given?: string) => {
    const chart = newChart('shop');
    const db = new StatefulDatabase(chart, 'db', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    const target = BackupTarget.s3({ endpoint, bucket: 'acme-db-backups', credentialsSecretName: 'backup-s3', region: given });
    new BackupSchedule(chart, 'backups', { database: db, methods: [BackupMethod.logicalDump({ schedule: Cron.schedule({ minute: '0', hour: '1' }), target, retention: Retention.keepLast(3) })] });
    const { pod } = cronJob(synthValid(chart), 'orders-dumps');
    return pod.containers[0].env.find((e: any) => e.name === 'AWS_DEFAULT_REGION').value;
  };

  test('an AWS regional endpoint signs for its own region; other stores default to us-east-1', () => {
    expect(region('https://s3.eu-west-1.amazonaws.com')).toBe('eu-west-1');
    expect(region('https://s3.dualstack.ap-southeast-2.amazonaws.com')).toBe('ap-southeast-2');
    expect(region('https://s3-us-gov-west-1.amazonaws.com')).toBe('us-gov-west-1');
    expect(region('http://minio.storage:9000')).toBe('us-east-1');
    expect(region('http://minio.storage:9000', 'garage')).toBe('garage');
  });

  test('a region that contradicts the endpoint is refused', () => {
    expect(() => region('https://s3.eu-west-1.amazonaws.com', 'us-east-1')).toThrow(
      'test/backups/Method0: `logicalDump` target region "us-east-1" differs from the region of the endpoint "https://s3.eu-west-1.amazonaws.com" (eu-west-1): '
      + 'requests would be signed for the wrong region. Remove `region` or make them agree.');
  });
});
