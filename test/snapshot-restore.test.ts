import { execFileSync } from 'child_process';
import { App, Chart, Cron, Testing } from 'cdk8s';
import {
  BackupMethod, BackupSchedule, Engine, MysqlVersion, PostgresVersion, ReplicatedDatabase, Restore, Retention, StatefulDatabase,
} from '../src';
import { only, synthValid } from './support/synth';

// Restores from a VolumeSnapshot: the init steps a single PostgreSQL gets (layout, credentials), and the synth-time
// checks against the snapshot's source when the library knows it (the `source` option, or a BackupSchedule's name).
// The runtime tier runs the steps on a Patroni member's volume (test-runtime/spilo-snapshot-restore.runtime.test.ts).

const ZONES = ['a', 'b', 'c'];
const pg = (version = PostgresVersion.V15) => Engine.postgres({ version });
const SNAP = 'orders-snapshots-20261121t000000z-orders-1';
const snapshots = () => BackupMethod.volumeSnapshot({
  snapshotClassName: 'csi-snapclass', schedule: Cron.schedule({ minute: '0', hour: '*/6' }), retention: Retention.keepLast(4),
});

function chartIn(app: App, namespace: string | undefined, id = 'c'): Chart {
  return new Chart(app, id, { namespace });
}

function initContainers(chart: Chart, name = 'orders-copy'): any[] {
  return only(synthValid(chart), 'StatefulSet', name).spec.template.spec.initContainers;
}

describe('a single PostgreSQL restored from a snapshot', () => {
  const chart = chartIn(Testing.app(), 'shop');
  new StatefulDatabase(chart, 'copy', { name: 'orders-copy', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot(SNAP) });
  const [layout, credentials] = initContainers(chart);

  test('first puts a Patroni member\'s data directory where the postgres image looks, then sets the password', () => {
    expect(layout.name).toBe('restore-layout');
    expect(credentials.name).toBe('restore-credentials');
    expect(layout.image).toBe(credentials.image);
    expect(layout.securityContext).toEqual(credentials.securityContext);
    expect(layout.securityContext.runAsUser).toBe(999);
    expect(layout.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
    expect(layout.resources.limits).toEqual(layout.resources.requests);
  });

  test('the layout step detects the layout in the volume, checks the major, and commits the copy with one rename', () => {
    const s = layout.command[2];
    expect(s).toContain('if [ -s "$PGD/PG_VERSION" ]; then');
    expect(s).toContain('SPILO="$V/pgroot/data"');
    expect(s).toContain('[ "$FOUND" = 15 ] || fail');
    expect(s).toContain('cp -R "$SPILO/." "$WORK/"');
    expect(s).toContain('rm -f postmaster.pid postmaster.opts standby.signal recovery.signal patroni.dynamic.json');
    expect(s).toContain("'host all all all scram-sha-256'");
    // the copy becomes pgdata in one rename, and only then is the original removed
    expect(s.indexOf('mv "$WORK" "$PGD"')).toBeLessThan(s.indexOf('rm -rf "$SPILO"\n'));
  });

  test('the credentials step makes the data directory 0700 first (fsGroup leaves it 2770) and locks out Spilo\'s standby role', () => {
    const s = credentials.command[2];
    expect(s.indexOf('chmod 00700 /var/lib/postgresql/data/pgdata')).toBeLessThan(s.indexOf('postgres --single'));
    expect(s).toContain('if [ -f /var/lib/postgresql/data/.cdk8s-restore-converted-from-spilo ]; then');
    expect(s).toContain('ALTER ROLE standby NOLOGIN PASSWORD NULL');
    // Kubernetes turns `$$` in a command into `$`: the DO block is quoted with a tag.
    expect(s).not.toContain('$$');
  });

  test('both scripts are valid bash', () => {
    for (const c of [layout, credentials]) execFileSync('bash', ['-n', '-c', c.command[2]]);
  });

  test('PostgreSQL 13 images get md5 host lines, as the image\'s entrypoint writes them before 14', () => {
    const c13 = chartIn(Testing.app(), 'shop');
    new StatefulDatabase(c13, 'copy', { name: 'orders-copy', engine: pg(PostgresVersion.of('13.18')), restoreFrom: Restore.fromVolumeSnapshot(SNAP) });
    expect(initContainers(c13)[0].command[2]).toContain("'host all all all md5'");
  });
});

describe('synth-time checks against the snapshot\'s source', () => {
  test('a Patroni member\'s snapshot, named by its BackupSchedule, restores into a StatefulDatabase of the same major', () => {
    const app = Testing.app();
    const chart = chartIn(app, 'shop');
    const source = new ReplicatedDatabase(chart, 'orders', { name: 'orders', engine: pg(), zones: ZONES });
    new BackupSchedule(chart, 'backups', { database: source, methods: [snapshots()] });
    new StatefulDatabase(chart, 'copy', { name: 'orders-copy', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot(SNAP) });
    expect(() => app.synth()).not.toThrow();
    expect(initContainers(chart).map((c) => c.name)).toEqual(['restore-layout', 'restore-credentials']);
  });

  test('with `source`, a snapshot of any name is checked: the same major passes', () => {
    const chart = chartIn(Testing.app(), 'shop');
    const source = new ReplicatedDatabase(chart, 'orders', { name: 'orders', engine: pg(), zones: ZONES });
    new StatefulDatabase(chart, 'copy', { name: 'orders-copy', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot('manual-1', { source }) });
    expect(only(synthValid(chart), 'StatefulSet', 'orders-copy').spec.volumeClaimTemplates[0].spec.dataSource.name).toBe('manual-1');
  });

  test.each([
    ['another PostgreSQL major (source)', (app: App) => {
      const c = chartIn(app, 'shop');
      const source = new ReplicatedDatabase(c, 'orders', { name: 'orders', engine: pg(PostgresVersion.V16), zones: ZONES });
      new StatefulDatabase(c, 'copy', { name: 'orders-copy', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot('manual-1', { source }) });
    }, 'c/copy: `restoreFrom` snapshot "manual-1" is of orders (the `source` option), PostgreSQL 16 data: PostgreSQL 15 cannot start a data '
      + 'directory of another major. Use Engine.postgres with a PostgreSQL 16 version, or move the data with a logical dump '
      + '(BackupMethod.logicalDump, Restore.fromDump).'],
    ['another engine', (app: App) => {
      const c = chartIn(app, 'shop');
      const source = new StatefulDatabase(c, 'shop-db', { name: 'shop-db', engine: Engine.mysql({ version: MysqlVersion.V8_4 }) });
      new StatefulDatabase(c, 'copy', { name: 'orders-copy', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot('manual-1', { source }) });
    }, 'c/copy: `restoreFrom` snapshot "manual-1" is of shop-db (the `source` option), a mysql volume: Engine \'postgresql 15.10\' cannot '
      + 'start from it. Restore it into a mysql database.'],
    ['a StatefulDatabase\'s volume into Patroni', (app: App) => {
      const c = chartIn(app, 'shop');
      const source = new StatefulDatabase(c, 'orders', { name: 'orders', engine: pg() });
      new ReplicatedDatabase(c, 'copy', { name: 'orders-copy', engine: pg(), zones: ZONES, restoreFrom: Restore.fromVolumeSnapshot('manual-1', { source }) });
    }, 'c/copy: `restoreFrom` snapshot "manual-1" is of orders (the `source` option), a StatefulDatabase\'s volume (data in pgdata/): Spilo '
      + 'looks for its data in pgroot/data and would initialise an empty cluster beside it. Restore the snapshot into a StatefulDatabase, '
      + 'or seed the ReplicatedDatabase from a dump (restore a StatefulDatabase, then move with pg_dump) or from a WAL-G archive (Restore.pointInTime).'],
    ['a source of another namespace (source)', (app: App) => {
      const prod = chartIn(app, 'prod', 'prod');
      const source = new ReplicatedDatabase(prod, 'orders', { name: 'orders', engine: pg(), zones: ZONES });
      new StatefulDatabase(chartIn(app, 'staging', 'staging'), 'copy', { name: 'orders-copy', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot('manual-1', { source }) });
    }, 'staging/copy: `restoreFrom` snapshot "manual-1" is of orders (the `source` option), in namespace "prod", and this database is in "staging": '
      + 'a claim\'s dataSource names a VolumeSnapshot of the claim\'s own namespace (cross-namespace data sources need the alpha '
      + 'CrossNamespaceVolumeDataSource feature gate and a ReferenceGrant in "prod", which this library does not emit). Define this database '
      + 'in namespace "prod", or restore from a VolumeSnapshot in "staging" under a name of its own (pre-provisioned from the source snapshot\'s '
      + 'VolumeSnapshotContent).'],
    ['a source that is not a database', (app: App) => {
      const c = chartIn(app, 'shop');
      new StatefulDatabase(c, 'copy', { name: 'orders-copy', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot('manual-1', { source: c as any }) });
    }, 'c/copy: `restoreFrom` source is not a StatefulDatabase or ReplicatedDatabase of this library: give the database the snapshot was cut from, or leave `source` out.'],
  ])('refused at construction: %s', (_n, build, message) => {
    expect(() => build(Testing.app())).toThrow(message);
  });

  test.each([
    ['another PostgreSQL major', (app: App) => {
      const c = chartIn(app, 'shop');
      new StatefulDatabase(c, 'copy', { name: 'orders-copy', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot(SNAP) });
      // defined after the restoring database: the check runs at synth, once every construct exists
      const source = new ReplicatedDatabase(c, 'orders', { name: 'orders', engine: pg(PostgresVersion.V16), zones: ZONES });
      new BackupSchedule(c, 'backups', { database: source, methods: [snapshots()] });
    }, 'c/copy: `restoreFrom` snapshot "orders-snapshots-20261121t000000z-orders-1" is of orders (a name its BackupSchedule gives its '
      + 'snapshots), PostgreSQL 16 data: PostgreSQL 15 cannot start a data directory of another major.'],
    ['a BackupSchedule of another namespace', (app: App) => {
      const prod = chartIn(app, 'prod', 'prod');
      const source = new ReplicatedDatabase(prod, 'orders', { name: 'orders', engine: pg(), zones: ZONES });
      new BackupSchedule(prod, 'backups', { database: source, methods: [snapshots()] });
      new StatefulDatabase(chartIn(app, 'staging', 'staging'), 'copy', { name: 'orders-copy', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot(SNAP) });
    }, 'staging/copy: `restoreFrom` snapshot "orders-snapshots-20261121t000000z-orders-1" is of orders (a name its BackupSchedule gives its '
      + 'snapshots), in namespace "prod", and this database is in "staging": a claim\'s dataSource names a VolumeSnapshot of the claim\'s own namespace'],
  ])('refused at synth: %s', (_n, build, message) => {
    const app = Testing.app();
    build(app);
    expect(() => app.synth()).toThrow(message);
  });

  test('a name its BackupSchedule would give resolves in the restoring database\'s namespace first', () => {
    const app = Testing.app();
    // orders in prod (PostgreSQL 16) and orders in staging (15): staging's copy restores staging's snapshot.
    const prod = chartIn(app, 'prod', 'prod');
    new ReplicatedDatabase(prod, 'orders', { name: 'orders', engine: pg(PostgresVersion.V16), zones: ZONES });
    const staging = chartIn(app, 'staging', 'staging');
    new ReplicatedDatabase(staging, 'orders', { name: 'orders', engine: pg(), zones: ZONES });
    new StatefulDatabase(staging, 'copy', { name: 'orders-copy', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot(SNAP) });
    expect(() => app.synth()).not.toThrow();
    synthValid(staging);
  });

  test('a snapshot of unknown origin is left to the pod\'s layout step', () => {
    const app = Testing.app();
    const c = chartIn(app, 'shop');
    new ReplicatedDatabase(c, 'orders', { name: 'orders', engine: pg(PostgresVersion.V16), zones: ZONES });
    // not a member of orders: not a name orders' schedule gives
    new StatefulDatabase(c, 'copy', { name: 'orders-copy', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot('orders-snapshots-20261121t000000z-other-0') });
    expect(() => app.synth()).not.toThrow();
    synthValid(c);
  });
});
