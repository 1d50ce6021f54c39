import { Engine, MysqlVersion, ReplicatedDatabase, RuleStatus } from '../../src';
import { PolicyContext } from '../../src/policy/policy-context';
import { gracefulStop } from '../../src/policy/rules/dok/graceful-stop';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, only, synthValid } from '../support/synth';

const db = (extra: Record<string, unknown> = {}) => ({ name: 'db', image: 'postgres:16.6', ...extra });
const preStop = { lifecycle: { preStop: { exec: { command: ['pg_ctl', 'stop', '-m', 'fast'] } } } };

describe('DOK-GRACEFUL-STOP', () => {
  test('compliant: a single replica on the API default grace period, and replicas with a preStop hook', () => {
    expect(verdictOf(gracefulStop, statefulSet('orders', { replicas: 1, podSpec: { containers: [db()] } })).status).toBe(RuleStatus.COMPLIANT);
    expect(verdictOf(gracefulStop, statefulSet('orders', { podSpec: { containers: [db(preStop)] } })).status).toBe(RuleStatus.COMPLIANT);
  });

  test('compliant: replicas without a hook but with a grace period set on purpose', () => {
    expect(verdictOf(gracefulStop, statefulSet('orders', { podSpec: { terminationGracePeriodSeconds: 120, containers: [db()] } })).status)
      .toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: a grace period under 30 seconds, even with a preStop hook', () => {
    expectNonCompliant(verdictOf(gracefulStop, statefulSet('orders', { podSpec: { terminationGracePeriodSeconds: 10, containers: [db(preStop)] } })),
      /^terminationGracePeriodSeconds is 10, under 30: the kubelet kills the database 10 s after asking it to stop$/);
  });

  test('non-compliant: three replicas on the default grace period with no preStop hook on the database container', () => {
    expectNonCompliant(verdictOf(gracefulStop, statefulSet('orders', { podSpec: { containers: [db()] } })),
      /^its 3 replicas stop with the API default terminationGracePeriodSeconds of 30 and no preStop hook on container `db`$/);
  });

  test('not applicable: a stateless StatefulSet', () => {
    const stateless = statefulSet('cache', { labels: { app: 'cache' } });
    delete stateless.spec.volumeClaimTemplates;
    expect(verdictOf(gracefulStop, stateless).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: MySQL Group Replication as ReplicatedDatabase renders it', () => {
    const chart = newChart('db');
    new ReplicatedDatabase(chart, 'billing', { engine: Engine.mysql({ version: MysqlVersion.V8_4 }), name: 'billing', zones: ['a', 'b', 'c'] });
    const manifests = synthValid(chart);
    expect(gracefulStop.evaluate(only(manifests, 'StatefulSet'), new PolicyContext(manifests)).status).toBe(RuleStatus.COMPLIANT);
  });

  test('malformed containers or ports (not lists) do not make the rule throw', () => {
    const noList = statefulSet('orders', { podSpec: { containers: 0 } });
    expect(gracefulStop.evaluate(noList, new PolicyContext([noList])).status).toBe(RuleStatus.COMPLIANT);
    const badPorts = statefulSet('orders', { podSpec: { containers: [{ name: 'db', image: 'postgres:16.6', ports: 0 }] } });
    expectNonCompliant(gracefulStop.evaluate(badPorts, new PolicyContext([badPorts])), /no preStop hook on container `db`$/);
  });
});
