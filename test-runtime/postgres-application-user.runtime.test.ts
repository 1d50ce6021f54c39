import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Engine, PostgresVersion, StatefulDatabase } from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { synthValid } from '../test/support/synth';

// A single PostgreSQL 15 (Debian's server for the postgres:15.x image) from the synthesized StatefulSet, and the
// synthesized application-user Job run by the harness as a Job, with the two Secrets the generator would create.
const SUPERUSER = { username: 'postgres', password: 'superuser-pw-1' };
const APP = { username: 'app', password: 'app-pw-2' };

function synth(): { manifests: any[]; env: Record<string, kplus.EnvValue> } {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
  const db = new StatefulDatabase(chart, 'db', {
    name: 'orders-db',
    engine: Engine.postgres({ version: PostgresVersion.V15 }),
    databaseName: 'orders',
    initScripts: { '01-schema.sql': 'CREATE TABLE seed (id int PRIMARY KEY);' },
  });
  const env = db.connectionEnv();
  return { manifests: synthValid(chart), env };
}

async function psql(pod: LocalPod, user: { username: string; password: string }, db: string, query: string): Promise<string> {
  // Over TCP to the pod's address, where pg_hba asks clients for scram-sha-256.
  const r = await pod.exec('postgresql', ['env', `PGPASSWORD=${user.password}`, 'psql', '-h', pod.ip, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
    '-U', user.username, '-d', db, '-c', query], 30);
  if (r.code !== 0) throw new Error(`${query}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('PostgreSQL: the application user the synthesized Job creates', () => {
  const { manifests, env } = synth();
  const jobName = manifests.find((m) => m.kind === 'Job' && /^orders-db-app-[0-9a-f]{6}$/.test(m.metadata.name)).metadata.name;
  let cluster: LocalCluster;
  let pod: LocalPod;

  beforeAll(async () => {
    cluster = new LocalCluster(manifests, { 'orders-db-credentials': SUPERUSER, 'orders-db-app': APP });
    [pod] = await cluster.startStatefulSet('orders-db', { readyTimeoutSeconds: 120 });
  });
  afterAll(async () => cluster?.destroy());

  test('connectionEnv hands out the application user and its database, not the superuser', () => {
    expect(env.DB_DATABASE.value).toBe('orders');
    expect(env.DB_USERNAME.valueFrom).toEqual({ secretKeyRef: { name: 'orders-db-app', key: 'username' } });
    expect(env.DB_PASSWORD.valueFrom).toEqual({ secretKeyRef: { name: 'orders-db-app', key: 'password' } });
  });

  test('the Job, run as a Job against the client Service, makes an ordinary role that owns the database', async () => {
    const job = await cluster.runJob(jobName);
    expect(job.logs).toContain('application user app ready: owns database orders');
    expect(job.code).toBe(0);
    expect(await psql(pod, SUPERUSER, 'orders', "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = 'app'")).toBe('f|f|f');
    await psql(pod, APP, 'orders', 'CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items VALUES (1)');
    expect(await psql(pod, APP, 'orders', 'SELECT count(*) FROM items')).toBe('1');
    await expect(psql(pod, APP, 'orders', 'CREATE ROLE intruder')).rejects.toThrow(/permission denied/);
    await expect(psql(pod, APP, 'postgres', 'CREATE TABLE t (id int)')).rejects.toThrow(/permission denied for schema public/);
    // What initScripts created as the superuser stays the superuser's: the docs say to grant it in the script.
    await expect(psql(pod, APP, 'orders', 'SELECT * FROM seed')).rejects.toThrow(/permission denied for table seed/);
    // Run again (a retry, a re-applied Job): nothing lost.
    expect((await cluster.runJob(jobName)).code).toBe(0);
    expect(await psql(pod, APP, 'orders', 'SELECT count(*) FROM items')).toBe('1');
  });
});
