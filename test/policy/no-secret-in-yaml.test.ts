import { Engine, PolicyContext, PostgresVersion, RuleStatus, StatefulDatabase } from '../../src';
import { noSecretInYaml } from '../../src/policy/rules/security/no-secret-in-yaml';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, synthValid } from '../support/synth';

const secret = (fields: any) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'orders-credentials', namespace: 'db' }, type: 'Opaque', ...fields });

const withEnv = (env: any[]) => statefulSet('orders', {
  podSpec: { containers: [{ name: 'db', image: 'postgres:16.6', env }] },
});

describe('SEC-NO-SECRET-IN-YAML', () => {
  test('non-compliant: a Secret with values names the keys, never the values', () => {
    const verdict = verdictOf(noSecretInYaml, secret({ data: { password: 'aHVudGVyMg==' }, stringData: { username: 'postgres' } }));
    expectNonCompliant(verdict, /^Secret holds values in data\.password, stringData\.username: create it in the cluster/);
    expect(verdict.detail).not.toMatch(/aHVudGVyMg==|postgres'/);
  });

  test('compliant: an empty Secret (metadata and type only, or keys without values) is harmless', () => {
    expect(verdictOf(noSecretInYaml, secret({})).status).toBe(RuleStatus.COMPLIANT);
    expect(verdictOf(noSecretInYaml, secret({ stringData: { password: '' } })).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: credential-looking env vars with literal values, in any container', () => {
    const verdict = verdictOf(noSecretInYaml, withEnv([
      { name: 'POSTGRES_PASSWORD', value: 'hunter2' },
      { name: 'PGPASSWORD', value: 'hunter2' },
      { name: 'DATA_SOURCE_PASS', value: 'hunter2' },
      { name: 'AWS_SECRET_ACCESS_KEY', value: 'wJalrXUtnFEMI' },
      { name: 'OPENAI_API_KEY', value: 'sk-123' },
      { name: 'GITHUB_TOKEN', value: 'ghp_123' },
      { name: 'SECRET_KEY_BASE', value: 'abc' },
      { name: 'GCP_CREDENTIALS', value: '{}' },
    ]));
    expect(verdict.status).toBe(RuleStatus.NON_COMPLIANT);
    expect(verdict.detail).toBe(['POSTGRES_PASSWORD', 'PGPASSWORD', 'DATA_SOURCE_PASS', 'AWS_SECRET_ACCESS_KEY', 'OPENAI_API_KEY', 'GITHUB_TOKEN',
      'SECRET_KEY_BASE', 'GCP_CREDENTIALS'].map((n) => `container "db" sets env ${n} to a literal value: use valueFrom.secretKeyRef`).join('; '));
    expect(verdict.detail).not.toMatch(/hunter2/);
  });

  test('compliant: references, files, names and settings about credentials are not credentials', () => {
    const verdict = verdictOf(noSecretInYaml, withEnv([
      { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'orders-credentials', key: 'password' } } },
      { name: 'DB_PASSWORD', value: '$(POSTGRES_PASSWORD)' },
      { name: 'MYSQL_ROOT_PASSWORD_FILE', value: '/run/secrets/password' },
      { name: 'PGPASSFILE', value: '/tmp/.pgpass' },
      { name: 'SSL_PRIVATE_KEY_FILE', value: '/tls/tls.key' },
      { name: 'KUBERNETES_SECRET_NAME', value: 'orders-credentials' },
      { name: 'PASSWORD_ENCRYPTION', value: 'scram-sha-256' },
      { name: 'TOKEN_TTL', value: '3600' },
      { name: 'AWS_ACCESS_KEY_ID', value: 'AKIA123' },
      { name: 'PWD', value: '/home/app' },
      { name: 'REDIS_PASSWORD', value: '' },
    ]));
    expect(verdict.status).toBe(RuleStatus.COMPLIANT);
  });

  test('not applicable: objects that are neither Secrets nor workloads', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orders-config', namespace: 'db' }, data: { 'postgresql.conf': 'port = 5432' } };
    expect(verdictOf(noSecretInYaml, cm).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('a StatefulDatabase with generated credentials renders no Secret and no literal credential', () => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    const manifests = synthValid(chart);
    const context = new PolicyContext(manifests);
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    const checked = manifests.filter((m) => noSecretInYaml.evaluate(m, context).status !== RuleStatus.NOT_APPLICABLE);
    expect(checked.length).toBeGreaterThanOrEqual(3);
    const notCompliant = checked.map((m) => ({ name: m.metadata.name, ...noSecretInYaml.evaluate(m, context) }))
      .filter((verdict) => verdict.status !== RuleStatus.COMPLIANT);
    expect(notCompliant).toEqual([]);
  });
});
