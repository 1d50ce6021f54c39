/**
 * `connections.shareSecretsWith('web')` run for real: the copier CronJob synthesized for a database in namespace
 * `data` runs as a pod (curl, its ServiceAccount token mounted as the kubelet mounts it) against the API stand-in,
 * which authorizes each request from the synthesized Roles and RoleBindings of both namespaces as RBAC does (a rule
 * with resourceNames never allows `create`). What the application in `web` references must then exist there, with
 * the source's values, and follow a rotation; nothing else may be readable or writable with that token.
 */
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Engine, PostgresVersion, StatefulDatabase } from '../src';
import { ApiStandin } from './harness/api-standin';
import { LocalCluster } from './harness/cluster';
import { requestAs, secretKeyRefs } from './support/api-requests';
import { assertValidManifests } from '../test/support/validate';

const NAME = 'orders';
const COPIER = `${NAME}-share`;

function synthesize(): { data: any[]; web: any[] } {
  const app = Testing.app();
  const dataChart = new Chart(app, 'data', { namespace: 'data' });
  const webChart = new Chart(app, 'web', { namespace: 'web' });
  const db = new StatefulDatabase(dataChart, 'db', { name: NAME, engine: Engine.postgres({ version: PostgresVersion.V16 }) });
  new kplus.Deployment(webChart, 'api', { containers: [{ image: 'ghcr.io/example/api:1.0.0', envVariables: db.connectionEnv() }] });
  db.connections.shareSecretsWith('web');
  const data = Testing.synth(dataChart);
  const web = Testing.synth(webChart);
  assertValidManifests([...data, ...web]);
  return { data, web };
}

describe('shareSecretsWith: the copier CronJob against an API server stand-in', () => {
  const { data, web } = synthesize();
  const wanted = secretKeyRefs(web);
  let cluster: LocalCluster;
  let api: ApiStandin;

  beforeAll(async () => {
    cluster = new LocalCluster(data);
    api = await cluster.startApi();
  });
  afterAll(async () => cluster?.destroy());

  test('the application references the application user\'s Secret, which exists only in `data` before the copier runs', () => {
    expect(wanted).toEqual([`${NAME}-app/password`, `${NAME}-app/username`]);
    api.putSecret('data', `${NAME}-app`, { username: 'app', password: 'first-password' });
    expect(api.secretData('web', `${NAME}-app`)).toBeUndefined();
  });

  test('a run copies every key the application reads into `web`', async () => {
    const run = await cluster.runJob(COPIER, 'CronJob', 60);
    expect(run.logs).toContain(`copied Secret ${NAME}-app to web`);
    expect(run.code).toBe(0);
    const copy = api.secretData('web', `${NAME}-app`)!;
    for (const ref of wanted) expect(copy[ref.split('/')[1]]).toBeDefined();
    expect(copy).toEqual({ username: 'app', password: 'first-password' });
    expect(api.calls.filter((c) => c.serviceAccount === COPIER).map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      `GET /api/v1/namespaces/data/secrets/${NAME}-app 200`,
      'POST /api/v1/namespaces/web/secrets 201',
    ]);
  });

  test('a rotated password reaches the copy at the next run (create refused as existing, then update)', async () => {
    api.putSecret('data', `${NAME}-app`, { username: 'app', password: 'rotated-password' });
    const before = api.calls.length;
    const run = await cluster.runJob(COPIER, 'CronJob', 60);
    expect(run.code).toBe(0);
    expect(api.secretData('web', `${NAME}-app`)).toEqual({ username: 'app', password: 'rotated-password' });
    expect(api.calls.slice(before).map((c) => `${c.method} ${c.status}`)).toEqual(['GET 200', 'POST 409', 'PUT 200']);
  });

  test('the copier\'s token reads no other Secret and writes nowhere else (as RBAC would refuse)', async () => {
    api.putSecret('data', `${NAME}-credentials`, { username: 'postgres', password: 'superuser' });
    api.putSecret('web', 'payments', { key: 'x' });
    const token = api.tokenFor(COPIER);
    expect(await requestAs(api, token, 'GET', `/api/v1/namespaces/data/secrets/${NAME}-credentials`)).toBe(403);
    expect(await requestAs(api, token, 'GET', '/api/v1/namespaces/web/secrets/payments')).toBe(403);
    expect(await requestAs(api, token, 'PUT', '/api/v1/namespaces/web/secrets/payments',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'payments' }, data: {} })).toBe(403);
    expect(await requestAs(api, token, 'POST', '/api/v1/namespaces/other/secrets',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${NAME}-app` }, data: {} })).toBe(403);
    expect(api.secretData('web', 'payments')).toEqual({ key: 'x' });
  });

  test('without the source Secret the run fails and says why', async () => {
    api.deleteSecret('data', `${NAME}-app`);
    const run = await cluster.runJob(COPIER, 'CronJob', 60);
    expect(run.code).not.toBe(0);
    expect(run.logs).toContain(`Secret ${NAME}-app is not readable yet (HTTP 404)`);
  });
});
