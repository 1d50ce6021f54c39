import { Engine, ReplicatedDatabase, RuleStatus, ValkeyVersion } from '../../src';
import { PolicyContext } from '../../src/policy/policy-context';
import { probes } from '../../src/policy/rules/dok/probes';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, only, synthValid } from '../support/synth';

const probe = { tcpSocket: { port: 5432 }, periodSeconds: 10 };
const exporter = { name: 'metrics-exporter', image: 'exporter:0.15.0', ports: [{ name: 'metrics', containerPort: 9187 }] };

describe('DOK-PROBES', () => {
  test('compliant: the database container is probed; the metrics exporter and a port-less helper need not be', () => {
    const sts = statefulSet('orders', {
      podSpec: {
        containers: [
          { name: 'db', image: 'postgres:16.6', ports: [{ name: 'postgresql', containerPort: 5432 }], readinessProbe: probe, livenessProbe: probe },
          { name: 'config-reloader', image: 'reloader:1.0.0' },
          exporter,
        ],
      },
    });
    expect(verdictOf(probes, sts).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: a second serving container (a sentinel) without probes, and a database without liveness', () => {
    const sts = statefulSet('orders', {
      podSpec: {
        containers: [
          { name: 'db', image: 'valkey/valkey:8.0.1', ports: [{ name: 'redis', containerPort: 6379 }], readinessProbe: probe },
          { name: 'sentinel', image: 'valkey/valkey:8.0.1', ports: [{ name: 'sentinel', containerPort: 26379 }] },
          exporter,
        ],
      },
    });
    expectNonCompliant(verdictOf(probes, sts), /^container `db` has no livenessProbe; container `sentinel` has no readinessProbe and no livenessProbe$/);
  });

  test('non-compliant: with no ports declared, the first container is the database', () => {
    expectNonCompliant(verdictOf(probes, statefulSet('orders')), /^container `db` has no readinessProbe and no livenessProbe$/);
  });

  test('not applicable: a stateless StatefulSet', () => {
    const stateless = statefulSet('cache', { labels: { app: 'cache' } });
    delete stateless.spec.volumeClaimTemplates;
    expect(verdictOf(probes, stateless).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: Valkey with Sentinel as ReplicatedDatabase renders it', () => {
    const chart = newChart('db');
    new ReplicatedDatabase(chart, 'sessions', { engine: Engine.valkey({ version: ValkeyVersion.V8_0 }), name: 'sessions', zones: ['a', 'b', 'c'] });
    const manifests = synthValid(chart);
    expect(probes.evaluate(only(manifests, 'StatefulSet'), new PolicyContext(manifests)).status).toBe(RuleStatus.COMPLIANT);
  });

  test('malformed containers or ports (not lists) do not make the rule throw', () => {
    const noList = statefulSet('orders', { podSpec: { containers: 0 } });
    expect(probes.evaluate(noList, new PolicyContext([noList])).status).toBe(RuleStatus.COMPLIANT);
    const badPorts = statefulSet('orders', { podSpec: { containers: [{ name: 'db', image: 'postgres:16.6', ports: 0 }] } });
    expectNonCompliant(probes.evaluate(badPorts, new PolicyContext([badPorts])), /^container `db` has no readinessProbe and no livenessProbe$/);
  });
});
