import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Cron, Testing } from 'cdk8s';
import {
  BackupMethod, BackupSchedule, BackupTarget, Engine, PostgresVersion, Restore, Retention, StatefulDatabase,
} from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod, run } from './harness/pod';
import { synthValid } from '../test/support/synth';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver: any = require('s3rver');

// PostgreSQL 15 dumps uploaded to an S3-compatible store by the synthesized dump CronJob (its `upload`
// container: the amazon/aws-cli image, Debian's AWS CLI standing in), pruned there by retention, verified from
// there by the verification CronJob and restored from there into a new database.
//
// The store is s3rver 3.7.1, in this process, on the pod network's host address under a DNS name (as an
// in-cluster MinIO would be: `http://<service>.<namespace>.svc:9000`). Where it differs from AWS S3:
// - it checks SigV4 signatures and Content-MD5 but ignores the `x-amz-checksum-*` headers (CRC32, SHA256):
//   the CLI versions here (2.17.3; the image 2.18.0) do not send them by default, AWS CLI 2.23+ does;
// - one built-in account (access key S3RVER / secret S3RVER): a key it does not know is refused
//   (InvalidAccessKeyId), so the Secret's keys are what signs the requests, but there are no IAM policies;
// - with `vhostBuckets` (its default) it reads any host name that is not an address as a bucket name: off here;
// - plain HTTP, no region check (requests signed for any region pass), strong read-after-write consistency
//   as on AWS S3 since 2020.
const BUCKET = 'orders-backups';
const S3_NAME = 'objects.storage.svc';
const S3_PORT = 9000;
const KEEP = 2;
// Every character S3 calls safe in a key, so the scripts' quoting and matching meet them: `.`, `*`, `(`, `)`.
const PREFIX = 'backups/orders.v1*(eu)';

function synth(): any[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
  const postgres = Engine.postgres({ version: PostgresVersion.V15 });
  const target = () => BackupTarget.s3({ endpoint: `http://${S3_NAME}:${S3_PORT}`, bucket: BUCKET, prefix: PREFIX, credentialsSecretName: 'objects-credentials' });
  const source = new StatefulDatabase(chart, 'db', { name: 'orders-db', engine: postgres, databaseName: 'orders' });
  new BackupSchedule(chart, 'backups', {
    database: source,
    methods: [BackupMethod.logicalDump({ schedule: Cron.schedule({ minute: '0', hour: '1' }), target: target(), retention: Retention.keepLast(KEEP) })],
    verification: { schedule: Cron.schedule({ minute: '0', hour: '4' }) },
  });
  new StatefulDatabase(chart, 'copy', {
    name: 'orders-copy',
    engine: postgres,
    databaseName: 'orders',
    restoreFrom: Restore.fromDump({ target: target(), sourceName: 'orders-db' }),
  });
  new StatefulDatabase(chart, 'none', {
    name: 'orders-none',
    engine: postgres,
    databaseName: 'orders',
    restoreFrom: Restore.fromDump({ target: target(), sourceName: 'orders-gone' }),
  });
  return synthValid(chart);
}

const SOURCE_PASSWORD = 'source-password-1';
const COPY_PASSWORD = 'copy-password-2';

async function sql(pod: LocalPod, query: string, password?: string): Promise<string> {
  const conn = password ? ['env', `PGPASSWORD=${password}`, 'psql', '-h', pod.ip] : ['psql'];
  const r = await pod.exec('postgresql', [...conn, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', 'orders', '-c', query], 30);
  if (r.code !== 0) throw new Error(`${pod.name}: ${query}: ${r.stderr}`);
  return r.stdout.trim();
}
const fingerprint = (pod: LocalPod) => sql(pod, "SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY id)) FROM items t");

describe('PostgreSQL dumps in an S3-compatible store: upload, retention, verification and restore, run from the synthesized YAML', () => {
  let cluster: LocalCluster;
  let server: any;
  let storeDir: string;
  let endpoint: string;
  /** Object keys in the bucket, from the host, with the same CLI. */
  const aws = async (...args: string[]): Promise<string> => {
    const r = await run('env', ['AWS_ACCESS_KEY_ID=S3RVER', 'AWS_SECRET_ACCESS_KEY=S3RVER', 'AWS_DEFAULT_REGION=us-east-1', 'HOME=/tmp',
      'aws', '--endpoint-url', endpoint, ...args], 60);
    if (r.code !== 0) throw new Error(`aws ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const keys = async (): Promise<string[]> =>
    (JSON.parse((await aws('s3api', 'list-objects-v2', '--bucket', BUCKET, '--output', 'json')) || '{}').Contents ?? []).map((o: any) => o.Key).sort();

  beforeAll(async () => {
    cluster = new LocalCluster(synth(), {
      'orders-db-credentials': { username: 'postgres', password: SOURCE_PASSWORD },
      'orders-copy-credentials': { username: 'postgres', password: COPY_PASSWORD },
      'orders-none-credentials': { username: 'postgres', password: COPY_PASSWORD },
      'objects-credentials': { 'access-key-id': 'S3RVER', 'secret-access-key': 'S3RVER' },
    });
    const host = cluster.network.hostAddress;
    cluster.network.addNames(host, [S3_NAME]);
    endpoint = `http://${host}:${S3_PORT}`;
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
    // vhostBuckets off: s3rver would otherwise take any host name that is not an address for a bucket name
    // (its static-website mode) and answer NoSuchBucket to the path-style requests the CLI sends.
    server = new S3rver({
      address: host, port: S3_PORT, silent: true, vhostBuckets: false, directory: storeDir, configureBuckets: [{ name: BUCKET }],
    });
    await server.run();
  });
  afterAll(async () => {
    await server?.close();
    await cluster?.destroy();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  test('the dump CronJob uploads each dump with its checksum and keeps the newest runs within retention', async () => {
    const [source] = await cluster.startStatefulSet('orders-db', { readyTimeoutSeconds: 120 });
    await sql(source, 'CREATE TABLE items (id int PRIMARY KEY, name text, price numeric)');
    await sql(source, "INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 3000) g");
    await sql(source, "CREATE ROLE app_reader LOGIN PASSWORD 'reader-pw'; GRANT SELECT ON items TO app_reader");

    const runs: string[][] = [];
    for (let n = 1; n <= KEEP + 2; n++) {
      // Run ids have one-second resolution: one run a second at most, as a schedule would.
      await new Promise((r) => setTimeout(r, 1100));
      const dump = await cluster.runJob('orders-db-dumps', 'CronJob');
      expect({ n, code: dump.code, log: dump.code === 0 ? '' : dump.logs }).toEqual({ n, code: 0, log: '' });
      expect(dump.logs).toMatch(/dumped orders-db-\d{8}t\d{6}z\.sql\.gz/);
      runs.push(await keys());
    }
    const dumpKey = /^backups\/orders\.v1\*\(eu\)\/orders-db-(\d{8}t\d{6}z)\.sql\.gz$/;
    // Each run adds a dump and its checksum; from run KEEP+1 on, the oldest run goes.
    expect(runs.map((r) => r.filter((k) => dumpKey.test(k)).length)).toEqual([1, 2, 2, 2]);
    const final = runs[runs.length - 1];
    const kept = final.filter((k) => dumpKey.test(k));
    expect(final).toEqual(kept.flatMap((k) => [k, `${k}.sha256`]).sort());
    // The two kept are the two newest of the four runs.
    const all = [...new Set(runs.flat().filter((k) => dumpKey.test(k)))].sort();
    expect(all).toHaveLength(KEEP + 2);
    expect(kept).toEqual(all.slice(-KEEP));
  });

  test('verification fetches the newest dump from the store, checks its sha256 and loads it', async () => {
    const verify = await cluster.runJob('orders-db-verify', 'CronJob');
    expect(verify.logs).toMatch(/fetched and verified orders-db-\d{8}t\d{6}z\.sql\.gz/);
    expect(verify.logs).toContain('restore verified');
    expect(verify.code).toBe(0);
  });

  test('a run cut off between the dump and its checksum is never taken for a dump, nor counted by retention', async () => {
    // What a Job killed after the dump's upload and before its checksum's leaves (newer than every other run).
    // Before: verification and restores took the newest `.sql.gz` and failed on its missing checksum until the
    // next good run; retention counted it as a run and could prune a good one for it.
    const orphan = `${PREFIX}/orders-db-20991231t000000z.sql.gz`;
    fs.writeFileSync(path.join(storeDir, 'orphan.sql.gz'), 'cut off');
    await aws('s3', 'cp', path.join(storeDir, 'orphan.sql.gz'), `s3://${BUCKET}/${orphan}`);
    const complete = (await keys()).filter((k) => k.endsWith('.sql.gz') && k !== orphan);
    try {
      const verify = await cluster.runJob('orders-db-verify', 'CronJob');
      expect(verify.logs).toContain(`fetched and verified ${path.basename(complete[complete.length - 1])}`);
      expect(verify.code).toBe(0);
      await new Promise((r) => setTimeout(r, 1100));
      const dump = await cluster.runJob('orders-db-dumps', 'CronJob');
      expect(dump.code).toBe(0);
      const after = await keys();
      // The orphan stays (data is never deleted on a guess) and is not counted: KEEP complete runs remain.
      expect(after.filter((k) => k.endsWith('.sql.gz.sha256'))).toHaveLength(KEEP);
      expect(after).toContain(orphan);
    } finally {
      await aws('s3', 'rm', `s3://${BUCKET}/${orphan}`);
    }
  });

  test('a restore from a store with no dump of that name fails, and says so', async () => {
    const [none] = cluster.statefulSetPods('orders-none');
    await expect(none.start(2)).rejects.toThrow(/no dump of orders-gone found to restore in s3:\/\/orders-backups\/backups\/orders\.v1\*\(eu\)\//);
    await none.kill();
  });

  test('a new database restored from the store holds the same data and takes its own Secret', async () => {
    const [source] = cluster.statefulSetPods('orders-db');
    const before = await fingerprint(source);
    const [copy] = await cluster.startStatefulSet('orders-copy', { readyTimeoutSeconds: 180 });
    expect(copy.logs('restore-fetch')).toMatch(/fetched and verified orders-db-\d{8}t\d{6}z\.sql\.gz/);
    expect(await fingerprint(copy)).toBe(before);
    expect(await sql(copy, "SELECT rolname FROM pg_roles WHERE rolname = 'app_reader'")).toBe('app_reader');
    expect(await sql(copy, 'SELECT 1', COPY_PASSWORD)).toBe('1');
    await expect(sql(copy, 'SELECT 1', SOURCE_PASSWORD)).rejects.toThrow(/password authentication failed/);
  });
});
