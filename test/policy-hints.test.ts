import { Cron, Duration, Size } from 'cdk8s';
import {
  BackupMethod, BackupSchedule, BackupTarget, CassandraVersion, Engine, MongoDbVersion, PostgresVersion, ReplicatedDatabase, Retention,
  StatefulDatabase,
} from '../src';
import { newChart, only, synthValid } from './support/synth';
import {
  HINT_BACKS_UP, HINT_QUORUM, HINT_RETENTION, HINT_ROLE_VALUES, HINT_RPO_SECONDS, HINT_RPO_TARGET_SECONDS, HINT_RUNTIME_LABELS, HINT_VERIFIES,
  HINT_ZONES,
  SUPPRESSION_PREFIX,
} from '../src/policy/manifest';

const S3 = BackupTarget.s3({ endpoint: 'https://s3.eu-west-1.amazonaws.com', bucket: 'acme-db-backups', credentialsSecretName: 'backup-s3' });
const annotations = (o: any): Record<string, string> => o.metadata.annotations ?? {};
const statefulSets = (manifests: any[]) => manifests.filter((m) => m.kind === 'StatefulSet');

describe('hints on the StatefulSets of a ReplicatedDatabase', () => {
  test('Patroni over 3 zones with a synchronous standby: quorum 2, 3 zones, Patroni\'s role label set at runtime', () => {
    const chart = newChart('shop');
    const db = new ReplicatedDatabase(chart, 'pg', {
      engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ['a', 'b', 'c'], synchronousStandbys: 1,
    });
    const sts = only(synthValid(chart), 'StatefulSet');
    expect(db.tolerance().quorum).toBe(2);
    expect(annotations(sts)).toMatchObject({ [HINT_QUORUM]: '2', [HINT_ZONES]: '3', [HINT_RUNTIME_LABELS]: 'spilo-role', [HINT_ROLE_VALUES]: 'master,replica' });
    expect(Object.keys(annotations(sts)).some((k) => k.startsWith(SUPPRESSION_PREFIX))).toBe(false);
    // Metadata only: the pod template carries none of them, so adding them rolls no pod.
    expect(Object.keys(sts.spec.template.metadata.annotations ?? {}).filter((k) => k.includes('quorum') || k.includes('zones'))).toEqual([]);
  });

  test('Patroni without synchronous standbys: quorum 1, as the tolerance has it (the Kubernetes API is the consensus store)', () => {
    const chart = newChart('shop');
    const db = new ReplicatedDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ['a', 'b', 'c'] });
    expect(annotations(only(synthValid(chart), 'StatefulSet'))[HINT_QUORUM]).toBe(String(db.tolerance().quorum));
    expect(db.tolerance().quorum).toBe(1);
  });

  test('MongoDB with 5 members: quorum 3, no zones declared means no zones hint, no runtime label', () => {
    const chart = newChart('catalog');
    new ReplicatedDatabase(chart, 'mongo', { engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), name: 'catalog', replicas: 5 });
    const hints = annotations(only(synthValid(chart), 'StatefulSet'));
    expect(hints[HINT_QUORUM]).toBe('3');
    expect(hints[HINT_ZONES]).toBeUndefined();
    expect(hints[HINT_RUNTIME_LABELS]).toBeUndefined();
  });

  test('Cassandra ring of 3 racks: the quorum is QUORUM of the replication factor, on every rack', () => {
    const chart = newChart('events');
    const db = new ReplicatedDatabase(chart, 'ring', {
      engine: Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west' }),
      name: 'events',
      replicas: 6,
      memory: Size.gibibytes(8),
      zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    });
    const sets = statefulSets(synthValid(chart));
    expect(sets).toHaveLength(3);
    // The tolerance's own figure (QUORUM needs 2 of 3 replicas per range), not a majority of the 6 members.
    expect(db.tolerance().quorum).toBe(2);
    for (const s of sets) expect(annotations(s)).toMatchObject({ [HINT_QUORUM]: '2', [HINT_ZONES]: '3' });
  });

  test('allowQuorumLossOnZoneFailure is written as a suppression of DOK-ZONE-QUORUM with its reason', () => {
    const chart = newChart('shop');
    new ReplicatedDatabase(chart, 'pg', {
      engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ['a'], allowQuorumLossOnZoneFailure: true,
    });
    const reason = annotations(only(synthValid(chart), 'StatefulSet'))[`${SUPPRESSION_PREFIX}DOK-ZONE-QUORUM`];
    expect(reason).toMatch(/accepted quorum loss on a zone failure: `allowQuorumLossOnZoneFailure: true`/);
  });

  test('a StatefulDatabase has no quorum or zones hint', () => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    const hints = annotations(only(synthValid(chart), 'StatefulSet'));
    expect(hints[HINT_QUORUM]).toBeUndefined();
    expect(hints[HINT_ZONES]).toBeUndefined();
  });
});

describe('hints on the CronJobs of a BackupSchedule', () => {
  test('dumps, snapshots and verification: instance, worst-case RPO from the schedule, retention in words, verified instance', () => {
    const chart = newChart('shop');
    const pg = new ReplicatedDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ['a', 'b', 'c'] });
    const schedule = new BackupSchedule(chart, 'b', {
      database: pg,
      methods: [
        BackupMethod.logicalDump({
          schedule: Cron.schedule({ minute: '30', hour: '2' }), target: S3, retention: Retention.of({ keepLast: 14, maxAge: Duration.days(30) }),
        }),
        BackupMethod.volumeSnapshot({ snapshotClassName: 'csi-snap', schedule: Cron.schedule({ minute: '0', hour: '*/6' }), retention: Retention.keepLast(8) }),
      ],
      verification: { schedule: Cron.schedule({ minute: '0', hour: '5' }) },
    });
    const manifests = synthValid(chart);
    const dumps = annotations(only(manifests, 'CronJob', 'orders-dumps'));
    expect(dumps).toEqual({
      [HINT_BACKS_UP]: 'orders',
      [HINT_RPO_SECONDS]: '86400',
      [HINT_RETENTION]: 'newest 14 dumps, none older than 30 d (the newest always kept)',
    });
    // The figures are the report's: one number, two readers.
    expect(Number(dumps[HINT_RPO_SECONDS])).toBe(schedule.summaries.find((s) => s.method === 'logical dumps')!.worstCaseRpoSeconds);
    expect(annotations(only(manifests, 'CronJob', 'orders-snapshots'))).toEqual({
      [HINT_BACKS_UP]: 'orders', [HINT_RPO_SECONDS]: '21600', [HINT_RETENTION]: 'newest 8 snapshot runs',
    });
    expect(annotations(only(manifests, 'CronJob', 'orders-verify'))).toEqual({ [HINT_VERIFIES]: 'orders' });
    // BackupSchedule has no RPO target to state.
    for (const c of manifests.filter((m) => m.kind === 'CronJob')) expect(annotations(c)[HINT_RPO_TARGET_SECONDS]).toBeUndefined();
  });

  test('a time zone with DST lengthens the RPO the hint states (daily 02:30 in Berlin skips a spring day)', () => {
    const chart = newChart('shop');
    const pg = new StatefulDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    new BackupSchedule(chart, 'b', {
      database: pg,
      timeZone: 'Europe/Berlin',
      methods: [BackupMethod.logicalDump({ schedule: Cron.schedule({ minute: '30', hour: '2' }), target: S3, retention: Retention.maxAge(Duration.days(7)) })],
    });
    const dumps = annotations(only(synthValid(chart), 'CronJob', 'orders-dumps'));
    expect(dumps[HINT_RPO_SECONDS]).toBe(String(47 * 3600));
    expect(dumps[HINT_RETENTION]).toBe('dumps younger than 7 d (the newest always kept)');
  });

  test('continuous archiving has no CronJob: its hints go on the StatefulSet, the archive timeout as RPO', () => {
    const chart = newChart('shop');
    const pg = new ReplicatedDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ['a', 'b', 'c'] });
    new BackupSchedule(chart, 'b', {
      database: pg,
      methods: [BackupMethod.continuousArchiving({ target: S3, archiveTimeout: Duration.minutes(2), retention: Retention.keepLast(5) })],
    });
    const manifests = synthValid(chart);
    expect(manifests.filter((m) => m.kind === 'CronJob')).toEqual([]);
    expect(annotations(only(manifests, 'StatefulSet'))).toMatchObject({
      [HINT_BACKS_UP]: 'orders', [HINT_RPO_SECONDS]: '120', [HINT_RETENTION]: 'newest 5 base backups and the WAL they need', [HINT_QUORUM]: '1',
    });
  });
});
