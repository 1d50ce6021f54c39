import { Chart, Testing } from 'cdk8s';
import { DatabaseMigrations, Engine, PostgresVersion, StatefulDatabase } from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { synthValid } from '../test/support/synth';

// A PostgreSQL 15 from the synthesized StatefulSet, its application user made by the synthesized Job, then the
// migrations Job as synthesized, with the postgres image's psql standing in for a migration image: no shell, the
// connection read only from the variables the library sets (referred to as libpq's own through `$(DB_...)`).
const SUPERUSER = { username: 'postgres', password: 'superuser-pw-1' };
const APP = { username: 'app', password: 'app-pw-2' };
const PSQL_ENV = { PGHOST: '$(DB_HOST)', PGPORT: '$(DB_PORT)', PGDATABASE: '$(DB_DATABASE)', PGUSER: '$(DB_USERNAME)', PGPASSWORD: '$(DB_PASSWORD)' };
const MIGRATION = [
  'CREATE TABLE IF NOT EXISTS schema_version (version int PRIMARY KEY)',
  'CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, name text NOT NULL)',
  'INSERT INTO schema_version VALUES (1) ON CONFLICT DO NOTHING',
].join('; ');

function synth(sql: string): { manifests: any[]; job: string } {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
  const migrations: DatabaseMigrations = {
    image: 'docker.io/library/postgres:15.10',
    command: ['psql'],
    args: ['-X', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    env: PSQL_ENV,
  };
  const db = new StatefulDatabase(chart, 'db', { name: 'orders-db', engine: Engine.postgres({ version: PostgresVersion.V15 }), databaseName: 'orders', migrations });
  return { manifests: synthValid(chart), job: db.migrationsJob!.name };
}

async function psql(pod: LocalPod, query: string): Promise<string> {
  const r = await pod.exec('postgresql', ['env', `PGPASSWORD=${SUPERUSER.password}`, 'psql', '-h', pod.ip, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
    '-U', SUPERUSER.username, '-d', 'orders', '-c', query], 30);
  if (r.code !== 0) throw new Error(`${query}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('PostgreSQL: the migrations Job as synthesized, against the database', () => {
  const migrate = synth(MIGRATION);
  // The same database with another migration: a new Job of its own, which the cluster holds beside the first.
  const privileged = synth('CREATE ROLE intruder');
  const appJob = migrate.manifests.find((m) => m.kind === 'Job' && /^orders-db-app-[0-9a-f]{6}$/.test(m.metadata.name)).metadata.name;
  let cluster: LocalCluster;
  let pod: LocalPod;

  beforeAll(async () => {
    const failing = privileged.manifests.find((m) => m.kind === 'Job' && m.metadata.name === privileged.job);
    cluster = new LocalCluster([...migrate.manifests, failing], { 'orders-db-credentials': SUPERUSER, 'orders-db-app': APP });
    [pod] = await cluster.startStatefulSet('orders-db', { readyTimeoutSeconds: 120 });
    expect((await cluster.runJob(appJob)).code).toBe(0);
  });
  afterAll(async () => cluster?.destroy());

  test('the migration creates its tables as the application role, which owns them', async () => {
    const run = await cluster.runJob(migrate.job);
    expect(run.code).toBe(0);
    expect(await psql(pod, "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('items', 'schema_version') ORDER BY tablename"))
      .toBe('app\napp');
    expect(await psql(pod, 'SELECT version FROM schema_version')).toBe('1');
  });

  test('a second run (the Job re-created after its TTL) changes nothing', async () => {
    const before = await psql(pod, "SELECT oid FROM pg_class WHERE relname IN ('items', 'schema_version') ORDER BY relname");
    await psql(pod, "INSERT INTO items VALUES (1, 'kept')");
    const run = await cluster.runJob(migrate.job);
    expect(run.code).toBe(0);
    expect(await psql(pod, "SELECT oid FROM pg_class WHERE relname IN ('items', 'schema_version') ORDER BY relname")).toBe(before);
    expect(await psql(pod, 'SELECT count(*) FROM schema_version')).toBe('1');
    expect(await psql(pod, 'SELECT name FROM items')).toBe('kept');
  });

  test('a statement that needs the superuser fails the Job: it runs as the application role', async () => {
    expect(privileged.job).not.toBe(migrate.job);
    const run = await cluster.runJob(privileged.job, 'Job', 60);
    expect(run.code).not.toBe(0);
    expect(run.logs).toMatch(/permission denied to create role/);
    expect(await psql(pod, "SELECT count(*) FROM pg_roles WHERE rolname = 'intruder'")).toBe('0');
  });
});
