import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Chart, Cron, Testing } from 'cdk8s';
import {
  BackupMethod, BackupSchedule, BackupTarget, Engine, MysqlVersion, Restore, Retention, StatefulDatabase,
} from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { until } from './support/wait';
import { synthValid } from '../test/support/synth';

// MySQL 8.4 cannot run here: MariaDB 10.11 (Debian bookworm) stands in for the mysql image's server and its
// client tools (test-runtime/harness/mysql-image.ts lists each place they differ and what the stand-in does
// there). The StatefulSet, the dump, verification and snapshot CronJobs and the restore run as synthesized.
const SOURCE_PASSWORD = 'source-password-1';
const COPY_PASSWORD = 'copy-password-2';
const BAD_DUMP = 'orders-db-20990201t000000z.sql.gz';

function synth(): any[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
  const engine = Engine.mysql({ version: MysqlVersion.V8_4 });
  const source = new StatefulDatabase(chart, 'db', { name: 'orders-db', engine, databaseName: 'orders' });
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
    engine,
    databaseName: 'orders',
    restoreFrom: Restore.fromDump({ target: BackupTarget.pvc({ claimName: 'orders-backups' }), sourceName: 'orders-db' }),
  });
  new StatefulDatabase(chart, 'bad', {
    name: 'orders-bad',
    engine,
    databaseName: 'orders',
    restoreFrom: Restore.fromDump({ target: BackupTarget.pvc({ claimName: 'orders-backups' }), sourceName: 'orders-db', file: BAD_DUMP }),
  });
  const manifests = synthValid(chart);
  // The database container with no server in it (mysqld not started), for the quiesce with the server down:
  // same image, env, user and mounts as the source's container.
  const sts = JSON.parse(JSON.stringify(manifests.find((m) => m.kind === 'StatefulSet' && m.metadata.name === 'orders-db')));
  sts.metadata.name = 'orders-down';
  const c = sts.spec.template.spec.containers[0];
  c.command = ['sleep', 'infinity'];
  delete c.startupProbe;
  delete c.readinessProbe;
  return [...manifests, sts];
}

const SOCKET = '/var/run/mysqld/mysqld.sock';

/** Runs SQL in the database container: as root over the socket (the container's env), or over TCP with a password. */
async function sql(pod: LocalPod, query: string, options: { password?: string; timeoutSeconds?: number } = {}): Promise<string> {
  const argv = options.password
    ? ['env', `MYSQL_PWD=${options.password}`, 'mysql', '-uroot', '-h', pod.ip, '-D', 'orders', '-N', '-B', '-e', query]
    : ['sh', '-c', `MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot --socket=${SOCKET} -D orders -N -B -e "$0"`, query];
  const r = await pod.exec('mysql', argv, options.timeoutSeconds ?? 30);
  if (r.code !== 0) throw new Error(`${pod.name}: ${query}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Row count and the MD5 of every row in id order. */
const fingerprint = (pod: LocalPod) => sql(pod, 'SET SESSION group_concat_max_len = 1073741824; '
  + "SELECT CONCAT(COUNT(*), ':', MD5(GROUP_CONCAT(CONCAT_WS('|', id, name, price, created) ORDER BY id SEPARATOR ','))) FROM orders.items");

describe('MySQL (MariaDB 10.11 standing in): the pod, its dumps, verification, restore and snapshot quiesce, from the synthesized YAML', () => {
  let cluster: LocalCluster;
  let source: LocalPod;
  let backupDir: string;
  const manifests = synth();

  beforeAll(async () => {
    cluster = new LocalCluster(manifests, {
      'orders-db-credentials': { username: 'root', password: SOURCE_PASSWORD },
      'orders-copy-credentials': { username: 'root', password: COPY_PASSWORD },
      'orders-bad-credentials': { username: 'root', password: COPY_PASSWORD },
    });
    [source] = await cluster.startStatefulSet('orders-db', { readyTimeoutSeconds: 180 });
    backupDir = cluster.claimDir('orders-backups');
  });
  afterAll(async () => cluster?.destroy());

  test('starts from our configuration; probes pass, and fail once the server stops', async () => {
    expect(source.skipped).toEqual(['metrics-exporter (quay.io/prometheus/mysqld-exporter:v0.15.1)']);
    const log = source.logs('mysql');
    expect(log).toContain('MySQL init process done. Ready for start up.');
    expect(log).toMatch(/ready for connections/);
    expect(log).not.toMatch(/\[ERROR\]|unknown variable/);
    // Exactly these settings of our my.cnf were translated for MariaDB (see mysql-image.ts), nothing else.
    const translated = [...new Set(log.split('\n').filter((l) => l.startsWith('mysql stand-in:')).map((l) => l.replace(/ as .*| \(.*/, '')))].sort();
    expect(translated).toEqual([
      'mysql stand-in: --daemonize',
      'mysql stand-in: --initialize-insecure',
      'mysql stand-in: --secure-file-priv=NULL',
      'mysql stand-in: dropped --mysqlx=0: MariaDB has no X Protocol',
    ]);
    // Our settings are the server's.
    expect(await sql(source, "SELECT CONCAT_WS(' ', @@datadir, @@socket, @@port, @@bind_address, @@skip_name_resolve, @@innodb_buffer_pool_size)"))
      .toBe(`/var/lib/mysql/data/ ${SOCKET} 3306 0.0.0.0 ON ${512 * 1024 * 1024}`);
    expect(await sql(source, 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = \'orders\'')).toBe('orders');
    // Root from anywhere with the Secret's password; nothing without it.
    expect(await sql(source, 'SELECT 1', { password: SOURCE_PASSWORD })).toBe('1');
    await expect(sql(source, 'SELECT 1', { password: 'wrong' })).rejects.toThrow(/Access denied/);

    for (const kind of ['startup', 'readiness', 'liveness'] as const) expect(await source.probe('mysql', kind)).toBe(true);
    const preStop = source.spec.containers[0].lifecycle.preStop.exec.command;
    // The hook's shutdown ends the container's first process: the server being down is the point.
    await source.exec('mysql', preStop, 90);
    await until('the server to stop', async () => /Shutdown complete/.test(source.logs('mysql')), 90);
    for (const kind of ['startup', 'readiness', 'liveness'] as const) expect(await source.probe('mysql', kind)).toBe(false);
    await source.waitReady(120); // the kubelet restarts the container; the data is there, no second init
    expect(source.logs('mysql').match(/MySQL init process done/g)).toHaveLength(1);
  });

  test('a dump restored into a new database holds the same data; the new Secret works, the source\'s does not', async () => {
    await sql(source, 'CREATE TABLE orders.items (id INT PRIMARY KEY, name VARCHAR(100), price DECIMAL(10,2), created DATETIME) ENGINE=InnoDB');
    // seq_1_to_5000: MariaDB's sequence engine (test data only; MySQL would use a recursive CTE).
    await sql(source, 'INSERT INTO orders.items SELECT seq, CONCAT(\'item \', seq), seq * 1.5, \'2026-11-21 10:00:00\' + INTERVAL seq MINUTE FROM seq_1_to_5000');
    await sql(source, 'CREATE TABLE orders.audit (id INT AUTO_INCREMENT PRIMARY KEY, item INT)');
    await sql(source, 'CREATE TRIGGER orders.items_audit AFTER INSERT ON orders.items FOR EACH ROW INSERT INTO orders.audit (item) VALUES (NEW.id)');
    await sql(source, 'CREATE PROCEDURE orders.item_count() SELECT COUNT(*) FROM orders.items');
    await sql(source, "CREATE USER 'app_reader'@'%' IDENTIFIED BY 'reader-pw'; GRANT SELECT ON orders.* TO 'app_reader'@'%'");
    const before = await fingerprint(source);
    expect(before).toMatch(/^5000:[0-9a-f]{32}$/);

    const dump = await cluster.runJob('orders-db-dumps', 'CronJob');
    expect(dump.logs).toMatch(/dumped orders-db-\d{8}t\d{6}z\.sql\.gz/);
    expect(dump.code).toBe(0);
    // The one option of the synthesized command MariaDB's mysqldump lacks (mysql-image.ts).
    expect(dump.logs.split('\n').filter((l) => l.startsWith('mysql stand-in:'))).toEqual([
      'mysql stand-in: dropped --set-gtid-purged=OFF: MariaDB\'s mysqldump has no such option (its dumps carry no GTID_PURGED)',
    ]);
    const name = fs.readdirSync(path.join(backupDir, 'orders-db')).filter((f) => f.endsWith('.sql.gz')).sort().pop()!;
    const text = zlib.gunzipSync(fs.readFileSync(path.join(backupDir, 'orders-db', name))).toString();
    expect(text).toMatch(/-- Dump completed on \d{4}-\d{2}-\d{2}/);
    expect(text).not.toMatch(/GTID_PURGED/);
    const verify = await cluster.runJob('orders-db-verify', 'CronJob');
    expect(verify.logs).toMatch(/restore verified: SELECT COUNT\(\*\) FROM information_schema.schemata -> \d+/);
    expect(verify.code).toBe(0);

    const [copy] = await cluster.startStatefulSet('orders-copy', { readyTimeoutSeconds: 180 });
    expect(copy.logs('restore-fetch')).toContain(`fetched and verified ${name}`);
    expect(await fingerprint(copy)).toBe(before);
    expect(await sql(copy, "SELECT CONCAT_WS(',', (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_NAME = 'items_audit'), "
      + "(SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_NAME = 'item_count'), (SELECT COUNT(*) FROM mysql.user WHERE User = 'app_reader'))")).toBe('1,1,1');
    // The copy's own Secret, not the source's, is root's password after the restore: over TCP (root@'%')
    // and over the socket (root@localhost, which the readiness probe and the preStop use).
    expect(await sql(copy, 'SELECT 1', { password: COPY_PASSWORD })).toBe('1');
    await expect(sql(copy, 'SELECT 1', { password: SOURCE_PASSWORD })).rejects.toThrow(/Access denied/);
    expect(await sql(copy, 'SELECT 1')).toBe('1');
    // A restart finds the data initialised and does not load the dump again.
    await copy.stop();
    await copy.start();
    await copy.waitReady(120);
    expect(copy.logs('restore-fetch')).toContain('data already initialised: nothing to restore');
    expect(await fingerprint(copy)).toBe(before);
    expect(await sql(copy, 'SELECT 1', { password: COPY_PASSWORD })).toBe('1');
  });

  test('verification fails on a dump that is corrupt, truncated, cut off or not gzip at all', async () => {
    const good = fs.readdirSync(path.join(backupDir, 'orders-db')).filter((f) => f.endsWith('.sql.gz')).sort().pop()!;
    const bytes = fs.readFileSync(path.join(backupDir, 'orders-db', good));
    const text = zlib.gunzipSync(bytes);
    expect(text.indexOf('CREATE TABLE `items`')).toBeGreaterThan(0);
    const cases: Record<string, Buffer> = {
      'not gzip': Buffer.from('this is not a dump\n'),
      'truncated gzip': bytes.subarray(0, Math.floor(bytes.length / 2)),
      'gzip of garbage': zlib.gzipSync(Buffer.from('CREATE TABLE oops (;\n')),
      // Valid gzip, cut between two statements (before orders.items): it loads without an error, only the
      // missing end tells it apart. (Before the end-marker check, verification passed it.)
      'gzip of a dump cut off between statements': zlib.gzipSync(text.subarray(0, text.indexOf('CREATE TABLE `items`'))),
    };
    const results: Record<string, boolean> = {};
    let n = 0;
    for (const [what, content] of Object.entries(cases)) {
      // Newer than the good one, with a matching checksum: only the content is wrong.
      const name = `orders-db-2099010${++n}t000000z.sql.gz`;
      const file = path.join(backupDir, 'orders-db', name);
      fs.writeFileSync(file, content);
      fs.writeFileSync(`${file}.sha256`, `${crypto.createHash('sha256').update(content).digest('hex')}  ${name}\n`);
      try {
        const verify = await cluster.runJob('orders-db-verify', 'CronJob');
        expect(verify.logs).toContain(`fetched and verified ${name}`);
        results[what] = verify.code !== 0 && /restore verification FAILED: .* is not a complete mysqldump/.test(verify.logs) && !/restore verified/.test(verify.logs);
      } finally {
        fs.rmSync(file);
        fs.rmSync(`${file}.sha256`);
      }
    }
    expect(results).toEqual(Object.fromEntries(Object.keys(cases).map((k) => [k, true])));
  });

  test('a dump with the server down fails and leaves nothing a later verification or restore would pick', async () => {
    const dir = path.join(backupDir, 'orders-db');
    const beforeFiles = fs.readdirSync(dir).sort();
    await source.stop();
    const dump = await cluster.runJob('orders-db-dumps', 'CronJob');
    expect(dump.code).not.toBe(0);
    expect(dump.logs).toMatch(/Can't connect|Unknown (MySQL|MariaDB) server host/);
    expect(fs.readdirSync(dir).sort()).toEqual(beforeFiles);
    await source.start();
    await source.waitReady(120);
    const verify = await cluster.runJob('orders-db-verify', 'CronJob');
    expect(verify.logs).toContain(`fetched and verified ${beforeFiles.filter((f) => f.endsWith('.sql.gz')).pop()}`);
    expect(verify.code).toBe(0);
  });

  test('a restore from a dump that does not load never starts a half-restored database', async () => {
    const good = fs.readdirSync(path.join(backupDir, 'orders-db')).filter((f) => f.endsWith('.sql.gz')).sort().pop()!;
    const text = zlib.gunzipSync(fs.readFileSync(path.join(backupDir, 'orders-db', good)));
    // A real dump cut off between two statements, before orders.items: valid gzip, right checksum, no end marker.
    const cut = zlib.gzipSync(text.subarray(0, text.indexOf('CREATE TABLE `items`')));
    const file = path.join(backupDir, 'orders-db', BAD_DUMP);
    fs.writeFileSync(file, cut);
    fs.writeFileSync(`${file}.sha256`, `${crypto.createHash('sha256').update(cut).digest('hex')}  ${BAD_DUMP}\n`);
    try {
      const [bad] = cluster.statefulSetPods('orders-bad');
      await bad.start();
      await expect(bad.waitReady(40)).rejects.toThrow(/startup probe still failing/);
      expect(bad.logs('mysql')).toMatch(/restore FAILED: .* is not a complete mysqldump .*; the data directory was emptied/);
      expect(bad.restarts('mysql')).toBeGreaterThan(0);
      // Every start tried the restore again; none started the server with what the first attempt left.
      expect(bad.logs('mysql')).not.toMatch(/ready for connections\.\s*\n.*Version: .*port: 3306/);
      expect(await bad.ready()).toBe(false);
      await bad.kill();
    } finally {
      fs.rmSync(file);
      fs.rmSync(`${file}.sha256`);
    }
  });

  test('snapshot quiesce: the CronJob\'s HOLD prints READY, holds writes until released, and fails fast with no server', async () => {
    // The session the snapshot CronJob opens in the database container (kubectl exec ... -- env RUN=... sh -c "$HOLD"),
    // from the synthesized CronJob's env. Its output goes to a file here, to watch it while it runs.
    const cronJob = cluster.object('CronJob', 'orders-db-snapshots');
    const hold = cronJob.spec.jobTemplate.spec.template.spec.containers[0].env.find((e: any) => e.name === 'HOLD').value;
    const held = source.exec('mysql', ['sh', '-c', 'env RUN=20261122t000000z sh -c "$0" > /tmp/hold.log 2>&1', hold], 600);
    const log = async () => (await source.exec('mysql', ['cat', '/tmp/hold.log'])).stdout;
    await until('the session to print READY', async () => /READY/.test(await log()), 120);

    // A write while the lock is held waits for it...
    const write = sql(source, 'INSERT INTO orders.items VALUES (9001, \'during the hold\', 1, NOW())', { timeoutSeconds: 300 });
    await until('the write to wait for the global read lock', async () =>
      // MySQL: "Waiting for global read lock"; MariaDB 10.4+ implements the lock as a backup lock.
      /global read lock|backup lock/i.test(await sql(source, "SELECT GROUP_CONCAT(STATE) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'INSERT INTO orders.items%'")), 60);
    // ...while the data on disk is what it was (a snapshot cut now holds it); reads go on.
    expect(await sql(source, 'SELECT COUNT(*) FROM orders.items WHERE id = 9001')).toBe('0');
    // The CronJob's release: the go file, once every snapshot is cut.
    expect((await source.exec('mysql', ['touch', '/tmp/cdk8s-backup/go'])).code).toBe(0);
    await write;
    const session = await held;
    expect({ code: session.code, log: await log() }).toEqual({ code: 0, log: expect.stringContaining('READY') });
    expect(await sql(source, 'SELECT name FROM orders.items WHERE id = 9001')).toBe('during the hold');

    // The same session with the server down fails at once (not after the 5-minute wait for "locked"), so the
    // CronJob never cuts a snapshot it believes quiesced. The exec's own limit is what "at once" means here.
    const [down] = await cluster.startStatefulSet('orders-down', { readyTimeoutSeconds: 60 });
    const failed = await down.exec('mysql', ['env', 'RUN=20261122t000000z', 'sh', '-c', hold], 60);
    expect(failed.code).not.toBe(124); // not killed by the limit
    expect(failed.code).not.toBe(0);
    expect(failed.stdout).not.toContain('READY');
    expect(failed.stdout + failed.stderr).toMatch(/Can't connect to local (MySQL|MariaDB|server)/);
  });
});
