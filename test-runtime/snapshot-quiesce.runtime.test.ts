import { Chart, Cron, Size, Testing } from 'cdk8s';
import {
  BackupMethod, BackupSchedule, Engine, PostgresVersion, Restore, Retention, StatefulDatabase, ValkeyVersion,
} from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { synthValid } from '../test/support/synth';

// The quiesce the snapshot CronJob runs in the database container before it cuts a CSI snapshot (its
// $PREPARE, taken from the synthesized CronJob's env), run against Valkey 8.0.1 with the profile's
// `appendonly yes` and against PostgreSQL 15 while a writer keeps writing; the snapshot (the harness
// freezes the pod and copies its claim: one instant of the volume) is restored into a new database.
// The CronJob's kubectl part cannot run here (no API server): only what it executes in the pod is run.
const SNAPSHOT = (db: string) => `${db}-snapshots-20261121t000000z-${db}-0`;

function synth(): any[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'quiesce' });
  const snapshots = () => BackupMethod.volumeSnapshot({
    snapshotClassName: 'csi-snapclass', schedule: Cron.schedule({ minute: '0', hour: '*/6' }), retention: Retention.keepLast(4),
  });
  const valkey = Engine.valkey({ version: ValkeyVersion.V8_0 });
  const cache = new StatefulDatabase(chart, 'cache', { name: 'cache', engine: valkey, memory: Size.mebibytes(256) });
  new BackupSchedule(chart, 'cache-backups', { database: cache, methods: [snapshots()] });
  new StatefulDatabase(chart, 'cache-snap', { name: 'cache-snap', engine: valkey, memory: Size.mebibytes(256), restoreFrom: Restore.fromVolumeSnapshot(SNAPSHOT('cache')) });
  new StatefulDatabase(chart, 'cache-idle', { name: 'cache-idle', engine: valkey, memory: Size.mebibytes(256) });

  const postgres = Engine.postgres({ version: PostgresVersion.V15 });
  const orders = new StatefulDatabase(chart, 'orders', { name: 'orders-db', engine: postgres, databaseName: 'orders' });
  new BackupSchedule(chart, 'orders-backups', { database: orders, methods: [snapshots()] });
  new StatefulDatabase(chart, 'orders-snap', { name: 'orders-snap', engine: postgres, databaseName: 'orders', restoreFrom: Restore.fromVolumeSnapshot(SNAPSHOT('orders-db')) });
  new StatefulDatabase(chart, 'orders-idle', { name: 'orders-idle', engine: postgres, databaseName: 'orders' });
  const manifests = synthValid(chart);
  // "The server is down, the container is not": the database container of the same pod template with its
  // env and volumes, whose server never started (as in a Patroni pod whose PostgreSQL is stopped, or a
  // server that crashed while its container is kept). Only this test's copy of the manifests is changed.
  for (const name of ['cache-idle', 'orders-idle']) {
    const sts = manifests.find((m) => m.kind === 'StatefulSet' && m.metadata.name === name);
    const c = sts.spec.template.spec.containers[0];
    c.command = ['sleep', 'infinity'];
    delete c.args;
  }
  return manifests;
}

const prepareOf = (cluster: LocalCluster, cronJob: string): string =>
  cluster.object('CronJob', cronJob).spec.jobTemplate.spec.template.spec.containers[0].env.find((e: any) => e.name === 'PREPARE').value;

/** Runs the quiesce in the database container; its exit code, output and duration in seconds. */
async function quiesce(pod: LocalPod, container: string, prepare: string): Promise<{ code: number; out: string; seconds: number }> {
  const started = Date.now();
  const r = await pod.exec(container, ['sh', '-c', prepare], 900);
  return { code: r.code, out: r.stdout + r.stderr, seconds: (Date.now() - started) / 1000 };
}

/**
 * Writes ids 1, 2, 3, ... one at a time until stopped; `acked` holds every id whose write was acknowledged,
 * in order (a write is acknowledged when the client returned success).
 */
function writer(write: (i: number) => Promise<boolean>): { acked: number[]; stop: () => Promise<void> } {
  const acked: number[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let i = 1; !stopped; i++) {
      if (await write(i)) acked.push(i);
    }
  })();
  return { acked, stop: async () => { stopped = true; await loop; } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('snapshot quiesce: holds the writes acknowledged before it returned, fails fast with the server down', () => {
  let cluster: LocalCluster;
  beforeAll(() => {
    cluster = new LocalCluster(synth(), Object.fromEntries(['cache', 'cache-snap', 'cache-idle', 'orders-db', 'orders-snap', 'orders-idle']
      .flatMap((n) => [
        [`${n}-credentials`, { username: n.startsWith('cache') ? 'default' : 'postgres', password: `${n}-pw` }],
        [`${n}-app`, { username: 'app', password: `${n}-app-pw` }],
      ])));
  });
  afterAll(async () => cluster?.destroy());

  describe('Valkey 8.0.1, appendonly yes', () => {
    const cli = async (pod: LocalPod, ...args: string[]) => pod.exec('valkey', ['valkey-cli', '--raw', ...args], 30);
    let source: LocalPod;
    let prepare: string;
    beforeAll(async () => {
      [source] = await cluster.startStatefulSet('cache', { readyTimeoutSeconds: 120 });
      prepare = prepareOf(cluster, 'cache-snapshots');
    });

    test('succeeds on a live server, twice in the same second, and behind a rewrite already running', async () => {
      expect((await cli(source, 'config', 'get', 'appendonly')).stdout).toContain('yes');
      for (let i = 0; i < 200; i++) await cli(source, 'set', `base:${i}`, `value ${i}`);
      // LASTSAVE has one-second resolution: a quiesce that waited for it to move hung on the second run.
      const first = await quiesce(source, 'valkey', prepare);
      const second = await quiesce(source, 'valkey', prepare);
      expect([first.code, first.out.trim()]).toEqual([0, 'quiesce: BGREWRITEAOF done']);
      expect([second.code, second.out.trim()]).toEqual([0, 'quiesce: BGREWRITEAOF done']);
      // A rewrite already running is answered "already in progress": the quiesce waits and runs its own
      // (one that forked before the quiesce began may lack writes the snapshot must hold).
      const before = Number(/aof_rewrites:(\d+)/.exec((await cli(source, 'info', 'persistence')).stdout)![1]);
      await cli(source, 'config', 'set', 'rdb-key-save-delay', '10000'); // 10 ms a key: a rewrite of ~2 s
      expect((await cli(source, 'bgrewriteaof')).stdout).toContain('started');
      const behind = await quiesce(source, 'valkey', prepare);
      await cli(source, 'config', 'set', 'rdb-key-save-delay', '0');
      expect(behind.code).toBe(0);
      expect(Number(/aof_rewrites:(\d+)/.exec((await cli(source, 'info', 'persistence')).stdout)![1])).toBe(before + 2);
    });

    test('a snapshot cut while writes go on restores, from the append-only files, every write acknowledged before the quiesce returned', async () => {
      const w = writer(async (i) => {
        const r = await cli(source, 'set', `w:${i}`, `v${i}`);
        return r.code === 0 && r.stdout.trim() === 'OK';
      });
      await waitFor('writes before the quiesce', () => w.acked.length >= 50);
      const q = await quiesce(source, 'valkey', prepare);
      const ackedByQuiesce = w.acked.length;
      await waitFor('writes after the quiesce', () => w.acked.length >= ackedByQuiesce + 20);
      cluster.snapshotClaim(source, 'data-cache-0', 'data-cache-snap-0');
      await sleep(500);
      await w.stop();
      expect(q.code).toBe(0);

      const [copy] = await cluster.startStatefulSet('cache-snap', { readyTimeoutSeconds: 120 });
      // With appendonly yes the server starts from the multi-part AOF (appendonlydir), never from dump.rdb.
      expect(copy.logs('valkey')).toMatch(/DB loaded from base file appendonly\.aof\.\d+\.base\.rdb/);
      const missing: number[] = [];
      for (const i of w.acked.slice(0, ackedByQuiesce)) {
        if ((await cli(copy, 'get', `w:${i}`)).stdout.trim() !== `v${i}`) missing.push(i);
      }
      expect({ checked: ackedByQuiesce, missing }).toEqual({ checked: ackedByQuiesce, missing: [] });
      expect((await cli(copy, 'get', 'base:199')).stdout.trim()).toBe('value 199');
      // The volume has no password in it: the copy's own Secret is the password (requirepass from the env).
      const auth = await copy.exec('valkey', ['env', 'REDISCLI_AUTH=cache-pw', 'VALKEYCLI_AUTH=cache-pw', 'valkey-cli', 'ping'], 20);
      expect(auth.stdout + auth.stderr).toMatch(/WRONGPASS|invalid username-password/);
    });

    test('with the server down it fails within seconds, not after its ten-minute wait', async () => {
      const [idle] = cluster.statefulSetPods('cache-idle');
      await idle.start();
      let r = await quiesce(idle, 'valkey', prepare);
      for (let n = 0; r.out.includes('is not running') && n < 50; n++) { await sleep(200); r = await quiesce(idle, 'valkey', prepare); }
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/Could not connect to Valkey at 127\.0\.0\.1:6379: Connection refused/);
      expect(r.seconds).toBeLessThan(30);
      await idle.kill();
    });
  });

  describe('PostgreSQL 15', () => {
    let source: LocalPod;
    let prepare: string;
    const sql = async (pod: LocalPod, query: string) =>
      pod.exec('postgresql', ['psql', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', 'orders', '-c', query], 30);
    beforeAll(async () => {
      [source] = await cluster.startStatefulSet('orders-db', { readyTimeoutSeconds: 120 });
      prepare = prepareOf(cluster, 'orders-db-snapshots');
    });

    test('a snapshot cut while writes go on restores, by crash recovery, every row committed before the snapshot', async () => {
      expect((await sql(source, 'CREATE TABLE w (id int PRIMARY KEY, v text)')).code).toBe(0);
      const w = writer(async (i) => (await sql(source, `INSERT INTO w VALUES (${i}, 'v${i}')`)).code === 0);
      await waitFor('writes before the quiesce', () => w.acked.length >= 20);
      const q = await quiesce(source, 'postgresql', prepare);
      const ackedByQuiesce = w.acked.length;
      await waitFor('writes after the quiesce', () => w.acked.length >= ackedByQuiesce + 10);
      // Every commit before the freeze is in the WAL on the volume (synchronous_commit): all of them count.
      const ackedBySnapshot = w.acked.length;
      cluster.snapshotClaim(source, 'data-orders-db-0', 'data-orders-snap-0');
      await w.stop();
      expect([q.code, q.out]).toEqual([0, '']);

      const [copy] = await cluster.startStatefulSet('orders-snap', { readyTimeoutSeconds: 120 });
      expect(copy.logs('restore-credentials') + copy.logs('postgresql')).toContain('automatic recovery in progress');
      const ids = new Set((await sql(copy, 'SELECT id FROM w')).stdout.trim().split('\n').map(Number));
      const missing = w.acked.slice(0, ackedBySnapshot).filter((i) => !ids.has(i));
      expect({ checked: ackedBySnapshot, afterQuiesce: ackedBySnapshot - ackedByQuiesce, missing })
        .toEqual({ checked: ackedBySnapshot, afterQuiesce: ackedBySnapshot - ackedByQuiesce, missing: [] });
    });

    test('with the server down it fails within seconds', async () => {
      const [idle] = cluster.statefulSetPods('orders-idle');
      await idle.start();
      let r = await quiesce(idle, 'postgresql', prepare);
      for (let n = 0; r.out.includes('is not running') && n < 50; n++) { await sleep(200); r = await quiesce(idle, 'postgresql', prepare); }
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/connection to server on socket .* failed: No such file or directory/);
      expect(r.seconds).toBeLessThan(30);
      await idle.kill();
    });
  });
});
