import { cronProblem, manifestProblems, timeZoneProblem, assertValidManifests } from '../support/validate';

// The rules validate.ts adds on top of the schemas: prove each one fails on a bad object and passes a good one.
const restrictedSc = { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
const resources = { requests: { cpu: '500m', memory: '1024Mi' }, limits: { cpu: '500m', memory: '1024Mi' } };
const container = (extra: Record<string, unknown> = {}) => ({ name: 'db', image: 'postgres:16.6', securityContext: restrictedSc, resources, ...extra });
const sts = (pod: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'orders', labels: { 'app.kubernetes.io/managed-by': 'cdk8s-databases' } },
  spec: {
    serviceName: 'orders',
    replicas: 1,
    selector: { matchLabels: { app: 'x' } },
    template: { metadata: { labels: { app: 'x' } }, spec: { containers: [container()], ...pod } },
    ...spec,
  },
});
const problems = (m: any) => manifestProblems(m).join('\n');

describe('API server rules the schemas miss', () => {
  test('a restricted, Guaranteed StatefulSet passes', () => {
    expect(manifestProblems(sts())).toEqual([]);
  });

  test('int32 and int64 ranges, ports, ids, whole numbers', () => {
    expect(problems(sts({}, { replicas: 2 ** 31 }))).toMatch(/replicas \(2147483648\) is outside int32/);
    expect(problems(sts({}, { replicas: -1 }))).toMatch(/greater than or equal to 0/);
    expect(problems(sts({ terminationGracePeriodSeconds: 1.5 }))).toMatch(/not a whole number/);
    expect(problems(sts({ securityContext: { fsGroup: 2 ** 32 } }))).toMatch(/IsValidUserID/);
    expect(problems(sts({ containers: [container({ ports: [{ name: 'pg', containerPort: 70000 }] })] }))).toMatch(/IsValidPortNum/);
  });

  test('quantities in canonical form', () => {
    const withMemory = (memory: unknown) => sts({ containers: [container({ resources: { requests: { cpu: '1', memory }, limits: { cpu: '1', memory } } })] });
    expect(problems(withMemory('1e+24'))).toMatch(/not a whole number with a suffix/);
    expect(problems(withMemory('1.5Gi'))).toMatch(/not a whole number with a suffix/);
    expect(problems(withMemory('12 Mi'))).toMatch(/is not a quantity/);
    expect(problems(withMemory(1e24))).toMatch(/not a whole non-negative number/);
    expect(manifestProblems(withMemory('1536Mi'))).toEqual([]);
  });

  test('CronJob schedules as robfig/cron ParseStandard reads them, time zones from the tz database', () => {
    expect(cronProblem('0 2 * * *')).toBeUndefined();
    expect(cronProblem('*/15 1-3 * JAN-MAR MON-FRI')).toBeUndefined();
    expect(cronProblem('@daily')).toBeUndefined();
    expect(cronProblem('0 2 * * 7')).toMatch(/day of week "7" is outside 0-6/);
    expect(cronProblem('61 * * * *')).toMatch(/outside 0-59/);
    expect(cronProblem('0 * * *')).toMatch(/4 fields/);
    expect(cronProblem('*/0 * * * *')).toMatch(/bad step/);
    expect(cronProblem('5-1 * * * *')).toMatch(/beginning of range after end/);
    expect(cronProblem('TZ=UTC 0 2 * * *')).toMatch(/timeZone field/);
    expect(timeZoneProblem('Europe/Paris')).toBeUndefined();
    expect(timeZoneProblem('Etc/UTC')).toBeUndefined();
    expect(timeZoneProblem('europe/paris')).toMatch(/case-sensitive/);
    expect(timeZoneProblem('Mars/Olympus')).toMatch(/not in the tz database/);
    expect(timeZoneProblem('Local')).toMatch(/refused/);
  });

  test('unique names and mount paths, mounts of declared volumes, key references with name and key', () => {
    expect(problems(sts({ containers: [container(), container()] }))).toMatch(/container name db twice/);
    expect(problems(sts({ volumes: [{ name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {} }] }))).toMatch(/volume name a twice/);
    expect(problems(sts({ containers: [container({ volumeMounts: [{ name: 'nope', mountPath: '/x' }] })] }))).toMatch(/names no volume/);
    expect(problems(sts({ volumes: [{ name: 'a', emptyDir: {} }], containers: [container({ volumeMounts: [{ name: 'a', mountPath: '/x' }, { name: 'a', mountPath: '/x' }] })] })))
      .toMatch(/mountPath \/x twice/);
    const claims = { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } }] };
    expect(manifestProblems(sts({ containers: [container({ volumeMounts: [{ name: 'data', mountPath: '/data' }] })] }, claims))).toEqual([]);
    expect(problems(sts({ containers: [container({ env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 's', key: '' } } }] })] }))).toMatch(/without name and key/);
    expect(problems(sts({ containers: [container({ ports: [{ name: 'pg', containerPort: 1 }] }), { ...container({ ports: [{ name: 'pg', containerPort: 2 }] }), name: 'exporter' }] })))
      .toMatch(/port name pg twice/);
  });

  test('restricted pod security and Guaranteed QoS on the library\'s pods', () => {
    const loose = container({ securityContext: {}, resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } } });
    const text = problems(sts({ containers: [loose] }));
    for (const rule of ['check_runAsNonRoot', 'check_allowPrivilegeEscalation', 'check_capabilities_restricted', 'check_seccompProfile_restricted', 'not Guaranteed']) {
      expect(text).toContain(rule);
    }
    const burstable = container({ resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } } });
    expect(manifestProblems(sts({ containers: [burstable] }))).toEqual([]);
    expect(manifestProblems(sts({ containers: [burstable] }), { qosClass: 'Guaranteed' }).join()).toMatch(/not Guaranteed/);
    expect(problems(sts({ volumes: [{ name: 'h', hostPath: { path: '/' } }] }))).toMatch(/check_restrictedVolumes/);
  });

  test('a pod template selected by two PodDisruptionBudgets', () => {
    const pdb = (name: string, selector: any) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { maxUnavailable: 1, selector } });
    expect(() => assertValidManifests([sts(), pdb('a', { matchLabels: { app: 'x' } }), pdb('b', { matchExpressions: [{ key: 'role', operator: 'DoesNotExist' }] })]))
      .toThrow(/selected by 2 PodDisruptionBudgets \(a, b\)/);
    expect(() => assertValidManifests([sts(), pdb('a', { matchLabels: { app: 'x' } }), pdb('b', { matchLabels: { app: 'x', role: 'primary' } })])).not.toThrow();
  });
});
