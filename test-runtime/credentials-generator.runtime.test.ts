/**
 * The credentials Job (`<name>-creds`) run for real: its pod (the machine's sh and curl for `curlimages/curl`, the
 * ServiceAccount token mounted as the kubelet mounts it) against the API stand-in, which authorizes from the
 * synthesized Role (`create` on Secrets, nothing else) and stores `stringData` as the API server does. The Secrets
 * the database and `connectionEnv()` read must appear with fresh random passwords, and a second run must leave them
 * as they are (409: re-applying never rotates a password by surprise).
 */
import { Chart, Testing } from 'cdk8s';
import { Engine, PostgresVersion, StatefulDatabase } from '../src';
import { ApiStandin } from './harness/api-standin';
import { LocalCluster } from './harness/cluster';
import { requestAs, secretKeyRefs } from './support/api-requests';
import { assertValidManifests } from '../test/support/validate';

const NAME = 'orders';
/** The generator's ServiceAccount; its Job is `<this>-<hash of the Job's content>`. */
const JOB = `${NAME}-creds`;

function synthesize(): any[] {
  const chart = new Chart(Testing.app(), 'data', { namespace: 'data' });
  new StatefulDatabase(chart, 'db', { name: NAME, engine: Engine.postgres({ version: PostgresVersion.V16 }) });
  const manifests = Testing.synth(chart);
  assertValidManifests(manifests);
  return manifests;
}

describe('the credentials Job against an API server stand-in', () => {
  const manifests = synthesize();
  const jobName = manifests.find((m) => m.kind === 'Job' && new RegExp(`^${JOB}-[0-9a-f]{6}$`).test(m.metadata.name)).metadata.name;
  let cluster: LocalCluster;
  let api: ApiStandin;

  beforeAll(async () => {
    cluster = new LocalCluster(manifests);
    api = await cluster.startApi();
  });
  afterAll(async () => cluster?.destroy());

  test('creates every Secret the database reads, each password 32 random alphanumerics', async () => {
    const run = await cluster.runJob(jobName, 'Job', 60);
    expect(run.logs).toContain(`created Secret ${NAME}-credentials`);
    expect(run.code).toBe(0);
    for (const ref of secretKeyRefs(manifests.filter((m) => m.kind === 'StatefulSet'))) {
      const [secret, key] = ref.split('/');
      expect(api.secretData('data', secret)?.[key]).toBeDefined();
    }
    const superuser = api.secretData('data', `${NAME}-credentials`)!;
    const app = api.secretData('data', `${NAME}-app`)!;
    expect(superuser.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(app.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(app.password).not.toBe(superuser.password);
    expect(app.username).toBe('app');
  });

  test('a second run leaves the Secrets as they are', async () => {
    const before = [api.secretData('data', `${NAME}-credentials`), api.secretData('data', `${NAME}-app`)];
    const calls = api.calls.length;
    const run = await cluster.runJob(jobName, 'Job', 60);
    expect(run.code).toBe(0);
    expect(run.logs).toContain(`Secret ${NAME}-credentials exists; left unchanged`);
    expect([api.secretData('data', `${NAME}-credentials`), api.secretData('data', `${NAME}-app`)]).toEqual(before);
    expect(api.calls.slice(calls).map((c) => `${c.method} ${c.status}`)).toEqual(['POST 409', 'POST 409']);
  });

  test('its token may create Secrets and nothing else (it cannot read the ones it made)', async () => {
    expect(await requestAs(api, api.tokenFor(JOB), 'GET', `/api/v1/namespaces/data/secrets/${NAME}-credentials`)).toBe(403);
  });
});
