import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Chart, Cron, Testing } from 'cdk8s';
import {
  BackupMethod, BackupSchedule, BackupTarget, Engine, PostgresVersion, Restore, Retention, StatefulDatabase,
} from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { synthValid } from '../test/support/synth';

// PostgreSQL 15 (the postgres:15.x image's server, from Debian bookworm) run from the synthesized
// StatefulSet, its logical dumps run from the synthesized CronJobs into a claim, verified by the
// synthesized verification CronJob, and restored into a new database by the synthesized restore.
const SOURCE_PASSWORD = 'source-password-1';
const COPY_PASSWORD = 'copy-password-2';

function synth(): any[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
  const source = new StatefulDatabase(chart, 'db', { name: 'orders-db', engine: Engine.postgres({ version: PostgresVersion.V15 }), databaseName: 'orders' });
  new BackupSchedule(chart, 'backups', {
    database: source,
    methods: [
      BackupMethod.logicalDump({
        schedule: Cron.schedule({ minute: '0', hour: '1' }),
        target: BackupTarget.pvc({ claimName: 'orders-backups' }),
        retention: Retention.keepLast(3),
      }),
      BackupMethod.volumeSnapshot({
        snapshotClassName: 'csi-snapclass', schedule: Cron.schedule({ minute: '0', hour: '*/6' }), retention: Retention.keepLast(4),
      }),
    ],
    verification: { schedule: Cron.schedule({ minute: '0', hour: '4' }) },
  });
  new StatefulDatabase(chart, 'copy', {
    name: 'orders-copy',
    engine: Engine.postgres({ version: PostgresVersion.V15 }),
    databaseName: 'orders',
    restoreFrom: Restore.fromDump({ target: BackupTarget.pvc({ claimName: 'orders-backups' }), sourceName: 'orders-db' }),
  });
  new StatefulDatabase(chart, 'bad', {
    name: 'orders-bad',
    engine: Engine.postgres({ version: PostgresVersion.V15 }),
    databaseName: 'orders',
    restoreFrom: Restore.fromDump({ target: BackupTarget.pvc({ claimName: 'orders-backups' }), sourceName: 'orders-db', file: BAD_DUMP }),
  });
  new StatefulDatabase(chart, 'snap', {
    name: 'orders-snap',
    engine: Engine.postgres({ version: PostgresVersion.V15 }),
    databaseName: 'orders',
    restoreFrom: Restore.fromVolumeSnapshot('orders-db-snapshots-20261121t000000z-orders-db-0'),
  });
  return synthValid(chart);
}
const BAD_DUMP = 'orders-db-20990201t000000z.sql.gz';

async function sql(pod: LocalPod, query: string, options: { db?: string; password?: string } = {}): Promise<string> {
  // With a password: over TCP to the pod's own address, where pg_hba asks for scram-sha-256 (as for clients).
  const conn = options.password ? ['-h', pod.ip] : [];
  const argv = options.password ? ['env', `PGPASSWORD=${options.password}`, 'psql'] : ['psql'];
  const r = await pod.exec('postgresql', [...argv, ...conn, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', options.db ?? 'orders', '-c', query], 30);
  if (r.code !== 0) throw new Error(`${pod.name}: ${query}: ${r.stderr}`);
  return r.stdout.trim();
}

const fingerprint = (pod: LocalPod) => sql(pod, "SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY id)) FROM items t");

describe('PostgreSQL: the pod, its dumps, their verification and the restore, run from the synthesized YAML', () => {
  let cluster: LocalCluster;
  let source: LocalPod;
  let backupDir: string;
  const manifests = synth();

  beforeAll(async () => {
    cluster = new LocalCluster(manifests, {
      'orders-db-credentials': { username: 'postgres', password: SOURCE_PASSWORD },
      'orders-copy-credentials': { username: 'postgres', password: COPY_PASSWORD },
      'orders-bad-credentials': { username: 'postgres', password: COPY_PASSWORD },
      'orders-snap-credentials': { username: 'postgres', password: COPY_PASSWORD },
    });
    [source] = await cluster.startStatefulSet('orders-db', { readyTimeoutSeconds: 120 });
    backupDir = cluster.claimDir('orders-backups');
  });
  afterAll(async () => cluster?.destroy());

  test('starts from our postgresql.conf without a warning; probes pass, and fail once the server stops', async () => {
    expect(source.skipped).toEqual(['metrics-exporter (quay.io/prometheuscommunity/postgres-exporter:v0.15.0)']);
    const log = source.logs('postgresql');
    expect(log).toContain('database system is ready to accept connections');
    // A probe that connects while the server is still starting is answered "FATAL: the database system is starting
    // up" (as the kubelet's probes are): that line says nothing about our configuration.
    const ours = log.split('\n').filter((l) => !/FATAL: {2}the database system is starting up/.test(l)).join('\n');
    expect(ours).not.toMatch(/WARNING|unrecognized configuration parameter|invalid value|FATAL/);
    expect(await sql(source, 'SHOW shared_buffers')).toMatch(/MB|GB/);
    expect(await source.probe('postgresql', 'readiness')).toBe(true);
    const preStop = source.spec.containers[0].lifecycle.preStop.exec.command;
    // pg_ctl stop ends the container's first process, and with it the hook's own process: its exit
    // status is not the point (the kubelet only logs a failed hook); the server being down is.
    await source.exec('postgresql', preStop, 60);
    expect(source.logs('postgresql')).toContain('database system is shut down');
    expect(await source.probe('postgresql', 'readiness')).toBe(false);
    await source.waitReady(60); // the kubelet restarts the container
  });

  test('a dump restored into a new database holds the same data, and the new database\'s Secret works', async () => {
    await sql(source, 'CREATE TABLE items (id int PRIMARY KEY, name text, price numeric)');
    await sql(source, "INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 5000) g");
    await sql(source, "CREATE ROLE app_reader LOGIN PASSWORD 'reader-pw'; GRANT SELECT ON items TO app_reader");
    const before = await fingerprint(source);

    const dump = await cluster.runJob('orders-db-dumps', 'CronJob');
    expect(dump.code).toBe(0);
    expect(dump.logs).toMatch(/dumped orders-db-\d{8}t\d{6}z\.sql\.gz/);
    const verify = await cluster.runJob('orders-db-verify', 'CronJob');
    expect(verify.logs).toContain('restore verified');
    expect(verify.code).toBe(0);

    const [copy] = await cluster.startStatefulSet('orders-copy', { readyTimeoutSeconds: 120 });
    expect(await fingerprint(copy)).toBe(before);
    expect(await sql(copy, "SELECT rolname FROM pg_roles WHERE rolname = 'app_reader'")).toBe('app_reader');
    // The copy's own Secret, not the source's, is the superuser's password after the restore.
    expect(await sql(copy, 'SELECT 1', { password: COPY_PASSWORD })).toBe('1');
    await expect(sql(copy, 'SELECT 1', { password: SOURCE_PASSWORD })).rejects.toThrow(/password authentication failed/);
    // A restart finds the data initialised and does not load the dump again.
    await copy.stop();
    await copy.start();
    await copy.waitReady(60);
    expect(await fingerprint(copy)).toBe(before);
  });

  test('verification fails on a dump that is corrupt, truncated or not gzip at all', async () => {
    const good = fs.readdirSync(path.join(backupDir, 'orders-db')).filter((f) => f.endsWith('.sql.gz')).sort().pop()!;
    const bytes = fs.readFileSync(path.join(backupDir, 'orders-db', good));
    const cases: Record<string, Buffer> = {
      'not gzip': Buffer.from('this is not a dump\n'),
      'truncated': bytes.subarray(0, Math.floor(bytes.length / 2)),
      'gzip of garbage': zlib.gzipSync(Buffer.from('CREATE TABLE oops (;\n')),
      'gzip of a cut-off dump': zlib.gzipSync(zlib.gunzipSync(bytes).subarray(0, 2000)),
    };
    let n = 0;
    for (const [what, content] of Object.entries(cases)) {
      // Newer than the good one, with a matching checksum: only the content is wrong.
      const name = `orders-db-2099010${++n}t000000z.sql.gz`;
      const file = path.join(backupDir, 'orders-db', name);
      fs.writeFileSync(file, content);
      fs.writeFileSync(`${file}.sha256`, `${crypto.createHash('sha256').update(content).digest('hex')}  ${name}\n`);
      try {
        const verify = await cluster.runJob('orders-db-verify', 'CronJob');
        // Every case fails the Job and says so in its log.
        expect({ what, failed: verify.code !== 0, saysFailed: /FAILED/.test(verify.logs) }).toEqual({ what, failed: true, saysFailed: true });
      } finally {
        fs.rmSync(file);
        fs.rmSync(`${file}.sha256`);
      }
    }
  });

  test('a failed dump leaves nothing behind: the newest dump stays the last good one', async () => {
    const dir = path.join(backupDir, 'orders-db');
    const beforeFiles = fs.readdirSync(dir).sort();
    await source.stop();
    const dump = await cluster.runJob('orders-db-dumps', 'CronJob');
    expect(dump.code).not.toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(beforeFiles);
    await source.start();
    await source.waitReady(60);
    const verify = await cluster.runJob('orders-db-verify', 'CronJob');
    expect(verify.code).toBe(0);
  });

  test('a restore from a dump that does not load never starts a half-restored database', async () => {
    const good = fs.readdirSync(path.join(backupDir, 'orders-db')).filter((f) => f.endsWith('.sql.gz')).sort().pop()!;
    // A real dump cut off after its first tables: valid gzip, right checksum, no end marker.
    const cut = zlib.gzipSync(zlib.gunzipSync(fs.readFileSync(path.join(backupDir, 'orders-db', good))).subarray(0, 6000));
    const file = path.join(backupDir, 'orders-db', BAD_DUMP);
    fs.writeFileSync(file, cut);
    fs.writeFileSync(`${file}.sha256`, `${crypto.createHash('sha256').update(cut).digest('hex')}  ${BAD_DUMP}\n`);
    try {
      const [bad] = cluster.statefulSetPods('orders-bad');
      await bad.start();
      await expect(bad.waitReady(15)).rejects.toThrow(/restore FAILED: .* does not load; the data directory was emptied/);
      expect(bad.logs('postgresql')).toContain('not a complete pg_dumpall dump');
      expect(bad.restarts('postgresql')).toBeGreaterThan(0);
      expect(await bad.ready()).toBe(false);
      await bad.kill();
    } finally {
      fs.rmSync(file);
      fs.rmSync(`${file}.sha256`);
    }
  });

  test('a volume snapshot after the CronJob\'s quiesce restores by crash recovery, with every committed row', async () => {
    // The quiesce command the snapshot CronJob runs in the database container, from the synthesized env.
    const cronJob = cluster.object('CronJob', 'orders-db-snapshots');
    const prepare = cronJob.spec.jobTemplate.spec.template.spec.containers[0].env.find((e: any) => e.name === 'PREPARE').value;
    expect((await source.exec('postgresql', ['sh', '-c', prepare], 60)).code).toBe(0);
    // Committed after the checkpoint: only in the WAL when the snapshot is cut.
    await sql(source, "INSERT INTO items SELECT g, 'late ' || g, 0 FROM generate_series(5001, 5100) g");
    const atSnapshot = await fingerprint(source);
    cluster.snapshotClaim(source, 'data-orders-db-0', 'data-orders-snap-0');
    const snapSet = cluster.object('StatefulSet', 'orders-snap');
    expect(snapSet.spec.volumeClaimTemplates[0].spec.dataSource).toEqual({
      apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'orders-db-snapshots-20261121t000000z-orders-db-0',
    });
    const [copy] = await cluster.startStatefulSet('orders-snap', { readyTimeoutSeconds: 120 });
    expect(copy.logs('restore-credentials') + copy.logs('postgresql')).toContain('database system was not properly shut down; automatic recovery in progress');
    expect(await fingerprint(copy)).toBe(atSnapshot);
    // The volume came with the source's password; the copy's own Secret is the one that works.
    expect(copy.logs('restore-credentials')).toContain('superuser password set from the new Secret');
    expect(await sql(copy, 'SELECT 1', { password: COPY_PASSWORD })).toBe('1');
    await expect(sql(copy, 'SELECT 1', { password: SOURCE_PASSWORD })).rejects.toThrow(/password authentication failed/);
  });
});
