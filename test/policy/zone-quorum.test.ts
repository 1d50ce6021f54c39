import { Engine, MongoDbVersion, ReplicatedDatabase, RuleStatus } from '../../src';
import { zoneQuorum } from '../../src/policy/rules/dok/zone-quorum';
import { synthesizedDatabases, verdictsOver } from '../support/disruption-objects';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, synthValid } from '../support/synth';

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const zoneSpread = (whenUnsatisfiable: string) => ({
  containers: [{ name: 'db', image: 'postgres:16.6' }],
  topologySpreadConstraints: [{
    topologyKey: 'topology.kubernetes.io/zone',
    maxSkew: 1,
    whenUnsatisfiable,
    labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'orders' } },
  }],
});
const zones = (n: number) => ({ 'cdk8s-databases.io/zones': String(n) });

describe('DOK-ZONE-QUORUM', () => {
  test('compliant: 3 members spread evenly (required, maxSkew 1) over 3 zones lose 1 with a zone', () => {
    const sts = statefulSet('orders', { annotations: zones(3), podSpec: zoneSpread('DoNotSchedule') });
    expect(verdictOf(zoneQuorum, sts).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: 3 members over 2 zones put 2 in one zone', () => {
    const sts = statefulSet('orders', { annotations: zones(2), podSpec: zoneSpread('DoNotSchedule') });
    expectNonCompliant(verdictOf(zoneQuorum, sts), /3 members over 2 declared zones put up to 2 in one zone: losing it leaves 1, below the quorum of 2/);
  });

  test('non-compliant: a preferred zone spread may put every member in one zone', () => {
    const sts = statefulSet('orders', { annotations: zones(3), podSpec: zoneSpread('ScheduleAnyway') });
    expectNonCompliant(verdictOf(zoneQuorum, sts), /3 members over 3 declared zones put up to 3 in one zone: losing it leaves 0/);
  });

  test('racks pinned to one zone each count exactly: 2 + 2 + 1 over 3 zones keep a majority of 5, 3 + 1 + 1 do not', () => {
    const rack = (zone: string, replicas: number) => statefulSet(`orders-${zone}`, {
      replicas,
      annotations: zones(3),
      podSpec: {
        containers: [{ name: 'db', image: 'cassandra:5.0.2' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] }] }] } } },
      },
      labels: { 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': 'database', 'rack': zone },
    });
    const good = [rack(ZONES[0], 2), rack(ZONES[1], 2), rack(ZONES[2], 1)];
    expect(verdictOf(zoneQuorum, good[0], good.slice(1)).status).toBe(RuleStatus.COMPLIANT);
    const bad = [rack(ZONES[0], 3), rack(ZONES[1], 1), rack(ZONES[2], 1)];
    expectNonCompliant(verdictOf(zoneQuorum, bad[1], [bad[0], bad[2]]), /5 members over 3 declared zones put up to 3 in one zone: losing it leaves 2, below the quorum of 3/);
  });

  test('non-compliant: a single declared zone', () => {
    expectNonCompliant(verdictOf(zoneQuorum, statefulSet('orders', { annotations: zones(1) })), /only 1 zone is declared: losing it loses all 3 members \(quorum 2\)/);
  });

  test('not applicable: zones not declared, or a single member', () => {
    expect(verdictOf(zoneQuorum, statefulSet('orders')).status).toBe(RuleStatus.NOT_APPLICABLE);
    expect(verdictOf(zoneQuorum, statefulSet('orders', { replicas: 1, annotations: zones(3) })).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('agrees with the library: a database accepting quorum loss on a zone failure is flagged, and carries the suppression', () => {
    const chart = newChart('db');
    new ReplicatedDatabase(chart, 'catalog', {
      name: 'catalog', zones: ZONES.slice(0, 2), engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), allowQuorumLossOnZoneFailure: true,
    });
    const manifests = synthValid(chart);
    const sts = manifests.find((m) => m.kind === 'StatefulSet');
    expectNonCompliant(verdictOf(zoneQuorum, sts, manifests.filter((m) => m !== sts)),
      /3 members over 2 declared zones put up to 2 in one zone: losing it leaves 1, below the quorum of 2/);
    expect(sts.metadata.annotations['ignore-check.cdk8s-databases.io/DOK-ZONE-QUORUM']).toMatch(/allowQuorumLossOnZoneFailure/);
  });

  test('compliant: what the library synthesizes (MongoDB, Cassandra racks, Patroni with role budgets, MySQL with a role labeller)', () => {
    const { compliant, problems } = verdictsOver(zoneQuorum, synthesizedDatabases());
    expect(problems).toEqual([]);
    expect(compliant).toBe(6);
  });
});
