import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine, MysqlVersion, PostgresVersion, ReplicatedDatabase, ReplicatedDatabaseProps, ValkeyVersion } from '../src';
import { allContainers, newChart, only, synthValid } from './support/synth';
import { TOOLS_IMAGE } from '../src/private/images';

const KEY = 'cdk8s-databases.io/role';
const engines: Array<[string, ReplicatedDatabaseProps['engine'], string]> = [
  ['valkey sentinel', Engine.valkey({ version: ValkeyVersion.V8_0 }), 'role-reporter'],
  ['mysql group replication', Engine.mysql({ version: MysqlVersion.V8_4 }), 'group-keeper'],
];

function synth(engine: ReplicatedDatabaseProps['engine'], props: Partial<ReplicatedDatabaseProps> = {}) {
  const chart = newChart('data');
  const db = new ReplicatedDatabase(chart, 'db', { name: 'db', zones: ['a', 'b', 'c'], engine, ...props });
  const manifests = synthValid(chart);
  const sts = only(manifests, 'StatefulSet');
  return { db, manifests, sts, pod: sts.spec.template.spec };
}

describe.each(engines)('%s: primaryHost follows the writer through a role label', (_name, engine, reporter) => {
  test('the client Service selects the primary, the -ro Service the replicas; the label is in no selector of the StatefulSet', () => {
    const { db, manifests, sts } = synth(engine);
    const selector = sts.spec.selector.matchLabels;
    expect(only(manifests, 'Service', 'db').spec.selector).toEqual({ ...selector, [KEY]: 'primary' });
    expect(only(manifests, 'Service', 'db-ro').spec.selector).toEqual({ ...selector, [KEY]: 'replica' });
    expect(only(manifests, 'Service', 'db-headless').spec.selector).toEqual(selector);
    expect(selector[KEY]).toBeUndefined();
    expect(sts.spec.template.metadata.labels[KEY]).toBeUndefined();
    expect(db.primaryHost).toBe('db.data.svc');
    expect(db.readerHost).toBe('db-ro.data.svc');
  });

  test.each([3, 5])('RBAC with %i replicas: patch on exactly the member pods, nothing else, bound to the pods\' ServiceAccount', (replicas) => {
    const { manifests, pod } = synth(engine, { replicas, zones: ['a', 'b', 'c', 'd', 'e'].slice(0, replicas) });
    expect(only(manifests, 'Role', 'db').rules).toEqual([{
      apiGroups: [''], resources: ['pods'], verbs: ['patch'], resourceNames: Array.from({ length: replicas }, (_, i) => `db-${i}`),
    }]);
    expect(only(manifests, 'RoleBinding', 'db')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'db' },
      subjects: [{ kind: 'ServiceAccount', name: 'db' }],
    });
    expect(pod.serviceAccountName).toBe('db');
  });

  test('only the labeller holds a token (projected volume); the pod and the ServiceAccount automount none', () => {
    const { manifests, pod } = synth(engine);
    expect(only(manifests, 'ServiceAccount', 'db').automountServiceAccountToken).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
    const holders = allContainers(pod).filter((c: any) => (c.volumeMounts ?? []).some((m: any) => m.name === 'kube-api-access'));
    expect(holders.map((c: any) => c.name)).toEqual(['role-labeller']);
    expect(holders[0].volumeMounts).toContainEqual({ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
    expect(pod.volumes.find((v: any) => v.name === 'kube-api-access').projected.sources).toEqual([
      { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ]);
    // The labeller holds no database password; the reporter holds no token.
    const labeller = pod.containers.find((c: any) => c.name === 'role-labeller');
    expect(labeller.env.every((e: any) => e.valueFrom?.fieldRef)).toBe(true);
    expect(labeller.volumeMounts).toContainEqual({ name: 'role', mountPath: '/var/run/cdk8s-databases', readOnly: true });
    const rep = pod.containers.find((c: any) => c.name === reporter);
    expect(rep.volumeMounts).toContainEqual({ name: 'role', mountPath: '/var/run/cdk8s-databases' });
    expect(pod.volumes.find((v: any) => v.name === 'role')).toEqual({ name: 'role', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
  });

  test('Guaranteed QoS and restricted security on every container, the labeller included', () => {
    const { pod } = synth(engine);
    for (const c of allContainers(pod)) {
      expect(c.resources.requests).toEqual(c.resources.limits);
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      });
    }
    const labeller = pod.containers.find((c: any) => c.name === 'role-labeller');
    expect(labeller.image).toBe('docker.io/alpine/k8s:1.31.2');
    expect(labeller.resources.limits).toEqual({ cpu: '50m', memory: '48Mi' });
  });

  test('imageRegistry moves the labeller image too', () => {
    const { pod } = synth(engine, { imageRegistry: 'registry.example.com' });
    expect(pod.containers.find((c: any) => c.name === 'role-labeller').image).toBe('registry.example.com/alpine/k8s:1.31.2');
  });

  test('roleBudgets is accepted: budgets per role over the same label', () => {
    const { manifests } = synth(engine, { roleBudgets: true });
    expect(only(manifests, 'PodDisruptionBudget', 'db-primary').spec.selector.matchLabels[KEY]).toBe('primary');
    expect(only(manifests, 'PodDisruptionBudget', 'db-replicas').spec.selector.matchLabels[KEY]).toBe('replica');
  });
});

test('the labeller uses the image the library already uses for API work', () => {
  const labeller = synth(engines[0][1]).pod.containers.find((c: any) => c.name === 'role-labeller');
  expect(labeller.image).toBe(TOOLS_IMAGE);
});

test('Patroni still automounts its token in the pod (it calls the API from the database container)', () => {
  const { manifests, pod } = synth(Engine.postgres({ version: PostgresVersion.V16 }));
  expect(pod.automountServiceAccountToken).toBe(true);
  expect(only(manifests, 'ServiceAccount', 'db').automountServiceAccountToken).toBe(true);
  expect(pod.volumes.find((v: any) => v.name === 'kube-api-access')).toBeUndefined();
});

// The labeller's script, run for real with bash against a stand-in curl that records its arguments and answers
// with the HTTP status given; a stand-in sleep ends the loop after a number of rounds.
describe('the labeller script', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  function run(report: string | undefined, rounds: number, status = '200'): { patches: string[]; out: string } {
    const { pod } = synth(engines[0][1]);
    const script: string = pod.containers.find((c: any) => c.name === 'role-labeller').command[2];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labeller-'));
    dirs.push(dir);
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.mkdirSync(path.join(dir, 'sa'));
    fs.writeFileSync(path.join(dir, 'sa', 'token'), 'tok');
    fs.writeFileSync(path.join(dir, 'sa', 'ca.crt'), 'ca');
    if (report !== undefined) fs.writeFileSync(path.join(dir, 'role'), report);
    fs.writeFileSync(path.join(bin, 'curl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${dir}/calls\nprintf ${status}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'sleep'), [
      '#!/bin/sh',
      `n=$(($(cat ${dir}/rounds 2>/dev/null || echo 0) + 1)); echo $n > ${dir}/rounds`,
      `[ "$n" -ge ${rounds} ] && kill -TERM $PPID`,
      'exit 0',
    ].join('\n'), { mode: 0o755 });
    const local = script.split('/var/run/cdk8s-databases/role').join(path.join(dir, 'role'))
      .split('/var/run/secrets/kubernetes.io/serviceaccount').join(path.join(dir, 'sa'));
    const r = spawnSync('bash', ['-c', local], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: `${bin}:/usr/bin:/bin`, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', POD_NAME: 'db-1', POD_NAMESPACE: 'data' },
    });
    expect(r.status).toBe(0);
    const calls = fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n') : [];
    for (const c of calls) {
      expect(c).toContain('https://10.0.0.1:443/api/v1/namespaces/data/pods/db-1');
      expect(c).toContain(`--cacert ${dir}/sa/ca.crt -H Authorization: Bearer tok -H Content-Type: application/merge-patch+json -X PATCH`);
    }
    return { patches: calls.map((c) => /--data (\{.*\}) https/.exec(c)![1]), out: r.stdout + r.stderr };
  }
  const now = () => Math.floor(Date.now() / 1000);

  test('a fresh report: one PATCH setting the label, none more while it does not change', () => {
    const { patches, out } = run(`primary ${now()}\n`, 3);
    expect(patches).toEqual([`{"metadata":{"labels":{"${KEY}":"primary"}}}`]);
    expect(out).toContain(`label ${KEY}: primary`);
  });

  test.each([
    ['stale (older than the bound)', `primary ${now() - 60}\n`],
    ['missing', undefined],
    ['none', `none ${now()}\n`],
    ['garbage', 'primary yesterday\n'],
  ])('a %s report removes the label (merge patch null)', (_what, report) => {
    expect(run(report, 2).patches).toEqual([`{"metadata":{"labels":{"${KEY}":null}}}`]);
  });

  test('a refused PATCH is retried every round and reported once', () => {
    const { patches, out } = run(`replica ${now()}\n`, 3, '403');
    expect(patches).toHaveLength(3);
    expect(out.match(/refused or unanswered \(HTTP 403\)/g)).toHaveLength(1);
  });
});
