import { PolicyContext, RuleStatus } from '../../src';
import { guaranteedQos } from '../../src/policy/rules/dok/guaranteed-qos';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';

const limited = (cpu: string, memory: string, reqCpu = cpu, reqMemory = memory) => ({
  requests: { cpu: reqCpu, memory: reqMemory }, limits: { cpu, memory },
});

describe('DOK-GUARANTEED-QOS', () => {
  test('compliant: every container, the init container included, requests what it is limited to (1 and 1000m are equal)', () => {
    const sts = statefulSet('orders', {
      podSpec: {
        initContainers: [{ name: 'init', image: 'busybox:1.36.1', resources: limited('1000m', '64Mi', '1') }],
        containers: [{ name: 'db', image: 'postgres:16.6', resources: limited('2', '4Gi') }],
      },
    });
    expect(verdictOf(guaranteedQos, sts).status).toBe(RuleStatus.COMPLIANT);
  });

  test('compliant: 0.7 and 700m are the same CPU (no floating-point noise)', () => {
    // Other tools write decimal quantities (the API server accepts them; our validator wants canonical ones, so the rule is called directly).
    const sts = statefulSet('orders', { podSpec: { containers: [{ name: 'db', image: 'postgres:16.6', resources: limited('700m', '2.5Gi', '0.7') }] } });
    expect(guaranteedQos.evaluate(sts, new PolicyContext([sts])).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: a sidecar without limits makes the pod Burstable', () => {
    const sts = statefulSet('orders', {
      podSpec: {
        initContainers: [{ name: 'exporter', image: 'exporter:0.15.0', restartPolicy: 'Always' }],
        containers: [{ name: 'db', image: 'postgres:16.6', resources: limited('2', '4Gi') }],
      },
    });
    expectNonCompliant(verdictOf(guaranteedQos, sts), /sidecar `exporter` has no cpu limit; sidecar `exporter` has no memory limit/);
  });

  test('non-compliant: a backup CronJob of the database requests less memory than its limit', () => {
    const sts = statefulSet('orders');
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'orders-dumps', namespace: 'db', labels: { 'app.kubernetes.io/instance': 'orders' } },
      spec: {
        schedule: '0 2 * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: {
                restartPolicy: 'OnFailure',
                containers: [{ name: 'dump', image: 'postgres:16.6', resources: limited('500m', '512Mi', '500m', '256Mi') }],
              },
            },
          },
        },
      },
    };
    expectNonCompliant(verdictOf(guaranteedQos, cron, [sts]), /container `dump` requests 256Mi memory but is limited to 512Mi/);
  });

  test('not applicable: a stateless Deployment, and a Job of no database', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'db' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27.3' }] } } },
    };
    expect(verdictOf(guaranteedQos, deployment).status).toBe(RuleStatus.NOT_APPLICABLE);
  });
});
