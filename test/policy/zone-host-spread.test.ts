import { CassandraVersion, Engine, PostgresVersion, ReplicatedDatabase, RuleStatus } from '../../src';
import { PolicyContext } from '../../src/policy/policy-context';
import { zoneHostSpread } from '../../src/policy/rules/dok/zone-host-spread';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, synthValid } from '../support/synth';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const labels = { 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': 'database' };
const db = { name: 'db', image: 'postgres:16.6' };
const spread = (topologyKey: string, whenUnsatisfiable: string, selector: Record<string, string> = labels) => ({
  topologyKey, maxSkew: 1, whenUnsatisfiable, labelSelector: { matchLabels: selector },
});
const pinnedTo = (zone: string) => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: [zone] }] }] } },
});

describe('DOK-ZONE-HOST-SPREAD', () => {
  test('compliant: a required zone spread and a preferred (ScheduleAnyway) host spread both count', () => {
    const sts = statefulSet('orders', { podSpec: { containers: [db], topologySpreadConstraints: [spread(ZONE, 'DoNotSchedule'), spread(HOST, 'ScheduleAnyway')] } });
    expect(verdictOf(zoneHostSpread, sts).status).toBe(RuleStatus.COMPLIANT);
  });

  test('compliant: required pod anti-affinity on the hostname key is a host spread', () => {
    const sts = statefulSet('orders', {
      podSpec: {
        containers: [db],
        topologySpreadConstraints: [spread(ZONE, 'ScheduleAnyway')],
        affinity: {
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOST, labelSelector: { matchLabels: labels } }] },
        },
      },
    });
    expect(verdictOf(zoneHostSpread, sts).status).toBe(RuleStatus.COMPLIANT);
  });

  test('compliant: preferred pod anti-affinity on both keys is a soft spread, like ScheduleAnyway (the Bitnami charts\' default)', () => {
    const preferred = (topologyKey: string) => ({ weight: 1, podAffinityTerm: { topologyKey, labelSelector: { matchLabels: labels } } });
    const affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [preferred(ZONE), preferred(HOST)] } };
    const sts = statefulSet('orders', { podSpec: { containers: [db], affinity } });
    expect(verdictOf(zoneHostSpread, sts).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: no zone spread, and a host spread whose selector selects other pods', () => {
    const sts = statefulSet('orders', { podSpec: { containers: [db], topologySpreadConstraints: [spread(HOST, 'DoNotSchedule', { app: 'web' })] } });
    expectNonCompliant(verdictOf(zoneHostSpread, sts),
      /^its 3 replicas are not spread over zones: no topologySpreadConstraint or podAntiAffinity on `topology\.kubernetes\.io\/zone` selects its pod template; its 3 replicas are not spread over hosts: .* on `kubernetes\.io\/hostname`/);
  });

  test('non-compliant: a lone rack pinned to one zone is not a zone spread', () => {
    const sts = statefulSet('orders', { podSpec: { containers: [db], topologySpreadConstraints: [spread(HOST, 'ScheduleAnyway')], affinity: pinnedTo('eu-west-1a') } });
    expectNonCompliant(verdictOf(zoneHostSpread, sts), /not spread over zones: .*, and its pods are pinned to zone eu-west-1a with no other rack of its instance in another zone$/);
  });

  test('compliant: racks of one instance, each pinned to its own zone', () => {
    const rack = (zone: string) => statefulSet(`orders-${zone}`, {
      labels, podSpec: { containers: [db], topologySpreadConstraints: [spread(HOST, 'ScheduleAnyway')], affinity: pinnedTo(zone) },
    });
    const [a, b] = [rack('eu-west-1a'), rack('eu-west-1b')];
    expect(verdictOf(zoneHostSpread, a, [b]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('not applicable: a single replica, and a stateless StatefulSet', () => {
    expect(verdictOf(zoneHostSpread, statefulSet('orders', { replicas: 1 })).status).toBe(RuleStatus.NOT_APPLICABLE);
    const stateless = statefulSet('cache', { labels: { app: 'cache' } });
    delete stateless.spec.volumeClaimTemplates;
    expect(verdictOf(zoneHostSpread, stateless).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: what ReplicatedDatabase renders, PostgreSQL over zones and Cassandra racks pinned per zone', () => {
    const chart = newChart('db');
    new ReplicatedDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ['a', 'b', 'c'] });
    new ReplicatedDatabase(chart, 'events', {
      engine: Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'dc1' }), name: 'events', zones: ['a', 'b', 'c'], replicas: 6, replicationFactor: 3,
    });
    const manifests = synthValid(chart);
    const context = new PolicyContext(manifests);
    const sets = manifests.filter((m) => m.kind === 'StatefulSet');
    expect(sets.map((s) => s.metadata.name).sort()).toEqual(['events-a', 'events-b', 'events-c', 'orders']);
    for (const s of sets) expect(zoneHostSpread.evaluate(s, context)).toEqual({ status: RuleStatus.COMPLIANT, detail: undefined });
  });
});
