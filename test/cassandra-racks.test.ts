import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { Chart, Testing } from 'cdk8s';
import {
  CassandraVersion, Engine, MongoDbVersion, NodeSelectorOperator, ReplicatedDatabase, ReplicatedDatabaseProps, Spread,
} from '../src';
import { newChart, only, synthValid } from './support/synth';
import { schedulingGroups, validateLayout } from '../src/assembly/validate-replication';
import { evaluateBudgets } from '../src/disruption/budgets';
import {
  HOST_KEY, SchedulingGroup, SchedulingNode, SpreadConstraintView, ZONE_KEY, modelCluster, placePods, schedulingGroupOf,
} from '../src/topology/spread';

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const P = 'test/db: ';

// ---------------------------------------------------------------------------------------------
// The scheduler model against hand-worked cases of kube-scheduler's PodTopologySpread Filter
// (pkg/scheduler/framework/plugins/podtopologyspread/filtering.go):
//   eligible domains = values of the topology key on nodes that carry every key of the pod's
//     DoNotSchedule constraints and, with nodeAffinityPolicy Honor, match its node affinity;
//   global minimum = fewest matching pods in an eligible domain, 0 when eligible domains < minDomains;
//   a node passes when matching pods in its domain + 1 (the pod matches its own selector) - global minimum <= maxSkew.
// ---------------------------------------------------------------------------------------------

const SELECTOR = { app: 'ring' };
const zoneSpread = (extra: Partial<SpreadConstraintView> = {}): SpreadConstraintView => ({
  topologyKey: ZONE_KEY, maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: SELECTOR }, ...extra,
});
const softHosts: SpreadConstraintView = { topologyKey: HOST_KEY, maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: SELECTOR } };
const node = (zone: string, i: number, extra: Record<string, string> = {}): SchedulingNode =>
  ({ name: `${zone}-${i}`, labels: { [ZONE_KEY]: zone, [HOST_KEY]: `${zone}-${i}`, ...extra } });
/** Three zones of two nodes each. */
const NODES = ['a', 'b', 'c'].flatMap((z) => [node(z, 0), node(z, 1)]);
const pinnedRack = (zone: string, constraints: SpreadConstraintView[], replicas = 2): SchedulingGroup => ({
  name: `ring-${zone}`, replicas, labels: SELECTOR, nodeSelectorTerms: [[{ key: ZONE_KEY, operator: 'In', values: [zone] }]], constraints,
});

describe('scheduler model (PodTopologySpread Filter)', () => {
  test('issue 8: racks pinned to one zone with a zone spread of minDomains 3 (Honor) schedule one pod per rack', () => {
    // ring-a-1: only zone a matches its affinity, so 1 eligible domain < minDomains 3 and the global
    // minimum is 0; zone a already holds ring-a-0: skew = 1 + 1 - 0 = 2 > maxSkew 1 on both nodes of a.
    const old = [zoneSpread({ minDomains: 3, nodeAffinityPolicy: 'Honor' }), softHosts];
    const { nodeOf, pending } = placePods(NODES, ['a', 'b', 'c'].map((z) => pinnedRack(z, old)));
    expect(Object.keys(nodeOf)).toEqual(['ring-a-0', 'ring-b-0', 'ring-c-0']);
    expect(pending.map((p) => p.pod)).toEqual(['ring-a-1', 'ring-b-1', 'ring-c-1']);
    expect(pending[0].why).toMatchObject({ cause: 'spread', eligibleDomains: ['a'], globalMinimum: 0, constraint: { topologyKey: ZONE_KEY, minDomains: 3 } });
  });

  test('the same racks without minDomains schedule: the global minimum is their own zone\'s count', () => {
    // ring-a-1: eligible {a} holding 1, global minimum 1: skew = 1 + 1 - 1 = 1 <= 1.
    const { nodeOf, pending } = placePods(NODES, ['a', 'b', 'c'].map((z) => pinnedRack(z, [zoneSpread(), softHosts])));
    expect(pending).toEqual([]);
    // The soft host spread puts the second pod of each rack on the other node of its zone.
    expect(nodeOf).toEqual({ 'ring-a-0': 'a-0', 'ring-b-0': 'b-0', 'ring-c-0': 'c-0', 'ring-a-1': 'a-1', 'ring-b-1': 'b-1', 'ring-c-1': 'c-1' });
  });

  test('the new layout (hosts only) schedules every node of every rack', () => {
    const { pending } = placePods(NODES, ['a', 'b', 'c'].map((z) => pinnedRack(z, [softHosts])));
    expect(pending).toEqual([]);
  });

  test('nodeAffinityPolicy Ignore counts the zones the pod cannot use: minDomains 3 is met and the racks schedule', () => {
    // Every node counts: domains {a, b, c} >= 3; after round 0 each zone holds 1, global minimum 1:
    // ring-a-1 skew = 1 + 1 - 1 = 1.
    const { pending } = placePods(NODES, ['a', 'b', 'c'].map((z) => pinnedRack(z, [zoneSpread({ minDomains: 3, nodeAffinityPolicy: 'Ignore' })])));
    expect(pending).toEqual([]);
  });

  test('nodeAffinityPolicy decides whether a zone without a usable node holds the global minimum at 0', () => {
    // Zone a has ssd nodes, zone b none. Ignore: domains {a, b}, b stays at 0 forever, so zone a takes
    // maxSkew = 1 pod and the second is Pending. Honor: only a counts, minimum = a's own count.
    const nodes = [node('a', 0, { disk: 'ssd' }), node('a', 1, { disk: 'ssd' }), node('b', 0), node('b', 1)];
    const group = (policy: string): SchedulingGroup => ({
      name: 'db', replicas: 2, labels: SELECTOR, nodeSelector: { disk: 'ssd' }, constraints: [zoneSpread({ nodeAffinityPolicy: policy })],
    });
    expect(placePods(nodes, [group('Ignore')]).pending.map((p) => p.pod)).toEqual(['db-1']);
    expect(placePods(nodes, [group('Honor')]).pending).toEqual([]);
  });

  test('minDomains above the zones a spread pod can use: maxSkew per zone, the rest Pending', () => {
    // 3 eligible domains < 5: global minimum 0, so each zone takes at most maxSkew (1) pod.
    const { nodeOf, pending } = placePods(NODES, [{ name: 'db', replicas: 5, labels: SELECTOR, constraints: [zoneSpread({ minDomains: 5 })] }]);
    expect(Object.keys(nodeOf)).toEqual(['db-0', 'db-1', 'db-2']);
    expect(pending.map((p) => p.pod)).toEqual(['db-3', 'db-4']);
    expect(pending[0].why).toMatchObject({ eligibleDomains: ['a', 'b', 'c'], globalMinimum: 0 });
  });

  test('minDomains met: the least loaded zone sets the minimum, 5 pods go 2/2/1', () => {
    const { nodeOf, pending } = placePods(NODES, [{ name: 'db', replicas: 5, labels: SELECTOR, constraints: [zoneSpread({ minDomains: 3 })] }]);
    expect(pending).toEqual([]);
    const perZone = Object.values(nodeOf).reduce((m, n) => ({ ...m, [n[0]]: (m[n[0]] ?? 0) + 1 }), {} as Record<string, number>);
    expect(perZone).toEqual({ a: 2, b: 2, c: 1 });
  });

  test('a node without the topology key is never a candidate for a DoNotSchedule constraint, and blocks nothing for ScheduleAnyway', () => {
    const bare: SchedulingNode[] = [{ name: 'n', labels: { [HOST_KEY]: 'n' } }];
    expect(placePods(bare, [{ name: 'db', replicas: 1, labels: SELECTOR, constraints: [zoneSpread()] }]).pending.map((p) => p.pod)).toEqual(['db-0']);
    expect(placePods(bare, [{ name: 'db', replicas: 1, labels: SELECTOR, constraints: [{ ...zoneSpread(), whenUnsatisfiable: 'ScheduleAnyway' }] }]).pending).toEqual([]);
  });

  test('matchLabelKeys narrows the count to the pod\'s own StatefulSet (controller-revision-hash differs per set)', () => {
    // Both sets are pinned to zone a and counted by one selector; minDomains 2 > 1 domain: minimum 0.
    // Shared count: x-0 fills zone a, so y-0 has skew 1 + 1 - 0 = 2. Per revision: y counts only its own.
    const c = (keys?: string[]) => [zoneSpread({ minDomains: 2, matchLabelKeys: keys })];
    const sets = (keys?: string[]) => [pinnedRack('a', c(keys), 1), { ...pinnedRack('a', c(keys), 1), name: 'other' }];
    expect(placePods(NODES, sets()).pending.map((p) => p.pod)).toEqual(['other-0']);
    expect(placePods(NODES, sets(['controller-revision-hash'])).pending).toEqual([]);
  });

  test('no node matching the node affinity: Pending for node affinity, not for the spread', () => {
    const { pending } = placePods(NODES, [pinnedRack('z', [zoneSpread()], 1)]);
    expect(pending).toEqual([{ pod: 'ring-z-0', group: 'ring-z', why: { cause: 'node-affinity' } }]);
  });
});

// ---------------------------------------------------------------------------------------------
// The Cassandra layout, the synth-time check, and the budgets.
// ---------------------------------------------------------------------------------------------

const cassandra = Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west' });

function ring(props: Partial<ReplicatedDatabaseProps> = {}) {
  const chart = newChart('data');
  const db = new ReplicatedDatabase(chart, 'db', { name: 'db', engine: cassandra, zones: ZONES, replicas: 6, ...props });
  const manifests = synthValid(chart);
  return { db, manifests, sets: manifests.filter((m) => m.kind === 'StatefulSet'), budgets: manifests.filter((m) => m.kind === 'PodDisruptionBudget') };
}

/** Members the disruption controller sees: only pods that run. */
function running(sets: any[], runs: (pod: string) => boolean) {
  return sets.flatMap((s) => Array.from({ length: s.spec.replicas }, (_, i) => ({
    name: `${s.metadata.name}-${i}`, labels: s.spec.template.metadata.labels, controller: s.metadata.name, controllerReplicas: s.spec.replicas,
  }))).filter((m) => runs(m.name));
}
const views = (budgets: any[]) => budgets.map((b) => ({
  name: b.metadata.name, matchLabels: b.spec.selector.matchLabels, maxUnavailable: b.spec.maxUnavailable,
}));

describe('Cassandra racks schedule, and drains take one node of the datacenter at a time', () => {
  test('racks pinned to a zone get no zone spread; every node schedules; the budget allows one eviction', () => {
    const { sets, budgets, db } = ring();
    for (const [i, s] of sets.entries()) {
      expect(s.spec.template.spec.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([[HOST_KEY, 'ScheduleAnyway']]);
      expect(s.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms)
        .toEqual([{ matchExpressions: [{ key: ZONE_KEY, operator: 'In', values: [ZONES[i]] }] }]);
    }
    // The model on the YAML as synthesized, with one node per zone: hosts are only preferred.
    const { nodeOf, pending } = placePods(modelCluster(ZONES, 1), sets.map(schedulingGroupOf));
    expect(pending).toEqual([]);
    expect(Object.keys(nodeOf).sort()).toEqual(['db-eu-west-1a-0', 'db-eu-west-1a-1', 'db-eu-west-1b-0', 'db-eu-west-1b-1', 'db-eu-west-1c-0', 'db-eu-west-1c-1']);
    // maxUnavailable 1 over the datacenter: expected 6 (2 per rack StatefulSet), healthy 6, allowed 6 - 5 = 1.
    expect(budgets.map((b) => b.spec.maxUnavailable)).toEqual([1]);
    expect(evaluateBudgets(views(budgets), running(sets, () => true))).toMatchObject({ allowed: { db: 1 }, evictableAtOnce: 1 });
    expect(db.tolerance()).toMatchObject({ maxMembersPerZone: 2, zoneFailuresTolerated: 1, nodeFailuresTolerated: 1, drainsEvictAtOnce: 1 });
  });

  test('the old layout (zone spread with minDomains 3 on pinned racks) leaves half the nodes Pending and blocks every drain', () => {
    const { sets, budgets } = ring();
    const oldZone = { ...sets[0].spec.template.spec.topologySpreadConstraints[0], topologyKey: ZONE_KEY, whenUnsatisfiable: 'DoNotSchedule', minDomains: 3 };
    const withOld = (podSpec: any) => ({ ...podSpec, topologySpreadConstraints: [oldZone] });
    const old = sets.map((s) => ({ ...s, spec: { ...s.spec, template: { ...s.spec.template, spec: withOld(s.spec.template.spec) } } }));
    const { pending } = placePods(modelCluster(ZONES, 6), old.map(schedulingGroupOf));
    expect(pending.map((p) => p.pod)).toEqual(['db-eu-west-1a-1', 'db-eu-west-1b-1', 'db-eu-west-1c-1']);
    // The budget expects the StatefulSets' 6, sees 3 healthy: allowed max(0, 3 - (6 - 1)) = 0.
    const runs = running(old, (pod) => !pending.some((p) => p.pod === pod));
    expect(evaluateBudgets(views(budgets), runs)).toMatchObject({ allowed: { db: 0 }, evictableAtOnce: 0 });
  });

  test('asking for that layout is refused at synth with the reason and the fix', () => {
    expect(() => ring({ zoneSpread: Spread.required({ maxSkew: 1, minDomains: 3 }) })).toThrow(P
      + '`zoneSpread` minDomains (3) exceeds the 1 zone the pods of rack "eu-west-1a" may use: its StatefulSet is pinned to zone eu-west-1a by required node affinity, '
      + 'and with nodeAffinityPolicy Honor the scheduler counts only the zones a pod may use as domains, so it takes the global minimum as 0 and allows at most maxSkew (1) members per zone: '
      + '3 of the 6 replicas would stay Pending. A rack pinned to one zone needs no zone spread: leave `zoneSpread` out (or give `Spread.none()`, or a spread without minDomains).');
  });

  test('a zone spread without minDomains on pinned racks is harmless and kept as asked', () => {
    const { sets } = ring({ zoneSpread: Spread.required({ maxSkew: 1 }) });
    expect(sets[0].spec.template.spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: ZONE_KEY, whenUnsatisfiable: 'DoNotSchedule' });
    expect(sets[0].spec.template.spec.topologySpreadConstraints[0].minDomains).toBeUndefined();
  });

  test('racks not pinned to zones keep the zone spread with minDomains over the declared zones', () => {
    const { sets } = ring({ racks: [{ name: 'r1' }, { name: 'r2' }, { name: 'r3' }] });
    expect(sets[0].spec.template.spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: ZONE_KEY, whenUnsatisfiable: 'DoNotSchedule', minDomains: 3 });
    expect(sets[0].spec.template.spec.affinity).toBeUndefined();
  });

  test('some racks pinned, some not: the zone spread keeps maxSkew but no minDomains, and everything schedules', () => {
    const { sets } = ring({ racks: [{ name: 'r1', zone: ZONES[0] }, { name: 'r2' }, { name: 'r3' }] });
    expect(sets[0].spec.template.spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: ZONE_KEY, whenUnsatisfiable: 'DoNotSchedule' });
    expect(sets[0].spec.template.spec.topologySpreadConstraints[0].minDomains).toBeUndefined();
    expect(placePods(modelCluster(ZONES, 6), sets.map(schedulingGroupOf)).pending).toEqual([]);
  });
});

describe('the synth-time check and the YAML agree', () => {
  const mongo = Engine.mongodb({ version: MongoDbVersion.V7_0 });
  test.each<[string, ReplicatedDatabaseProps]>([
    ['cassandra racks', { engine: cassandra, replicas: 6 }],
    ['cassandra with a zone spread', { engine: cassandra, replicas: 6, zoneSpread: Spread.required() }],
    ['cassandra, racks unpinned', { engine: cassandra, replicas: 3, racks: [{ name: 'r1' }, { name: 'r2' }, { name: 'r3' }] }],
    ['mongodb over declared zones', { engine: mongo, replicas: 5, hostSpread: Spread.required() }],
    ['mongodb with a node pool', { engine: mongo, requiredNodeAffinity: [{ key: 'pool', matchOperator: NodeSelectorOperator.IN, values: ['db'] }] }],
  ])('%s: the model places the layout and the synthesized StatefulSets alike', (_n, props) => {
    const full = { name: 'db', zones: ZONES, ...props };
    const layout = validateLayout(new Chart(Testing.app(), 'x'), full, props.engine._definition, 'db');
    const chart = newChart('data');
    new ReplicatedDatabase(chart, 'db', full);
    const sets = synthValid(chart).filter((m) => m.kind === 'StatefulSet');
    const cluster = modelCluster(ZONES, layout.replicas);
    expect(placePods(cluster, sets.map(schedulingGroupOf))).toEqual(placePods(cluster, schedulingGroups(full, props.engine._definition, 'db', layout)));
    expect(placePods(cluster, sets.map(schedulingGroupOf)).pending).toEqual([]);
  });

  test('a node affinity that narrows the zones below minDomains is refused', () => {
    const build = () => new ReplicatedDatabase(newChart(), 'db', {
      name: 'db', engine: mongo, zones: ZONES, requiredNodeAffinity: [{ key: ZONE_KEY, matchOperator: NodeSelectorOperator.IN, values: [ZONES[0]] }],
    });
    expect(build).toThrow(P + '`zoneSpread` minDomains (3) exceeds the 1 zone(s) the pods of StatefulSet "db" may use (eu-west-1a): with nodeAffinityPolicy Honor the scheduler counts '
      + 'only the zones their `requiredNodeAffinity`, `nodeSelector` and zones allow as domains, so it takes the global minimum as 0 and allows at most maxSkew (1) members per zone: '
      + '2 of the 3 replicas would stay Pending. Lower minDomains to 1 or below, or widen `requiredNodeAffinity` and `nodeSelector` to the declared zones.');
  });

  test('a node affinity that excludes every declared zone is refused', () => {
    const build = () => new ReplicatedDatabase(newChart(), 'db', {
      name: 'db', engine: mongo, zones: ZONES, requiredNodeAffinity: [{ key: ZONE_KEY, matchOperator: NodeSelectorOperator.IN, values: ['us-east-1a'] }],
    });
    expect(build).toThrow(P + 'no node can run the pods of StatefulSet "db": `requiredNodeAffinity`, `nodeSelector`, `dedicatedNodes` and the zone requirement '
      + '(eu-west-1a, eu-west-1b, eu-west-1c) exclude every node, so 3 of the 3 replicas would stay Pending. Make `requiredNodeAffinity` and `nodeSelector` allow the declared zones.');
  });
});

// ---------------------------------------------------------------------------------------------
// The ring's objects, and its start and preStop scripts run for real with sh against stand-ins:
// cqlsh printing result tables as cqlsh does, getent answering the headless Service's DNS, nodetool
// printing `netstats`/`status` as Cassandra does, and a stand-in Kubernetes API (StatefulSets, and
// Leases with resourceVersion conflicts) for ring-ops.py, which runs with the real python3.
// ---------------------------------------------------------------------------------------------

describe('ring objects', () => {
  test('start script, preStop hook, API rights for the lock and the StatefulSets, and a grace period for decommission', () => {
    const { manifests, sets } = ring();
    const pod = sets[0].spec.template.spec;
    const main = pod.containers[0];
    expect(main.command).toEqual(['sh', '/etc/cassandra-k8s/ring-start.sh']);
    expect(main.lifecycle.preStop.exec.command).toEqual(['sh', '/etc/cassandra-k8s/ring-prestop.sh']);
    const env = Object.fromEntries(main.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      MEMBER_DOMAIN: 'db-headless.data.svc',
      CASSANDRA_SEEDS: 'db-eu-west-1a-0.db-headless.data.svc,db-eu-west-1b-0.db-headless.data.svc,db-eu-west-1c-0.db-headless.data.svc',
      CASSANDRA_RACK: 'eu-west-1a',
      RING_LOCK: 'db-ring',
      CQL_SSL: '',
      DB_PASSWORD: { secretKeyRef: { name: 'db-credentials', key: 'password' } },
    });
    expect(pod.terminationGracePeriodSeconds).toBe(3600);
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(only(manifests, 'Role', 'db').rules).toEqual([
      { apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: ['db-eu-west-1a', 'db-eu-west-1b', 'db-eu-west-1c'], verbs: ['get'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['db-ring'], verbs: ['get', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    const data = only(manifests, 'ConfigMap', 'db-config').data;
    expect(Object.keys(data)).toEqual(expect.arrayContaining(['ring-start.sh', 'ring-prestop.sh', 'ring-ops.py']));
  });

  test('TLS: the start script reaches the other members with cqlsh --ssl', () => {
    const { sets } = ring({ tls: { issuerName: 'ca' } });
    const env = Object.fromEntries(sets[0].spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ CQL_SSL: '--ssl', SSL_VALIDATE: 'false' });
  });
});

/** The ConfigMap and the env of rack `rack` (0-based) of the default ring. */
function ringFiles(rack = 0): { data: Record<string, string>; env: Record<string, string> } {
  const { manifests, sets } = ring();
  const plain = sets[rack].spec.template.spec.containers[0].env.filter((e: any) => e.value !== undefined);
  const env = Object.fromEntries(plain.map((e: any) => [e.name, e.value]));
  return { data: only(manifests, 'ConfigMap', 'db-config').data, env };
}

const member = (rack: string, i: number) => `db-eu-west-1${rack}-${i}.db-headless.data.svc`;

/** cqlsh's output for the start script's query: system.local, then system.peers. */
function cqlshTables(local: [string, string], peers: Array<[string, string]>): string {
  const table = (head: string, rows: Array<[string, string]>) => [
    '', ` ${head} | rack`, `${'-'.repeat(head.length + 2)}+------------`, ...rows.map(([ip, rack]) => ` ${ip.padStart(head.length)} | ${rack}`), '', `(${rows.length} rows)`,
  ].join('\n');
  return `${table('broadcast_address', [local])}\n${table('peer', peers)}\n`;
}

interface StartCase {
  /** Pod name. */
  readonly pod: string;
  /** cqlsh answers per member host (undefined: connection refused). */
  readonly answers?: Record<string, string>;
  /** Credentials each answering member accepts (default: the Secret's). */
  readonly accepts?: string;
  /** DNS: host name to address. */
  readonly hosts?: Record<string, string>;
  /** Files on the data volume before the start. */
  readonly volume?: Record<string, string>;
}

interface Started {
  readonly code: number;
  readonly out: string;
  /** The `cassandra` command line and JVM_EXTRA_OPTS it was started with, if it was. */
  readonly cassandra?: string;
  readonly joinFile?: string;
  readonly yaml?: string;
  readonly cqlshCalls: string[];
  readonly volume: string[];
}

function start(c: StartCase): Started {
  const rack = 'abc'.indexOf(c.pod.split('-')[3].slice(-1));
  const { data, env } = ringFiles(rack);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ring-start-'));
  const bin = path.join(dir, 'bin');
  for (const d of ['bin', 'conf', 'data', 'work', 'answers']) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, 'conf', 'cassandra.yaml'), data['cassandra.yaml']);
  for (const [host, answer] of Object.entries(c.answers ?? {})) fs.writeFileSync(path.join(dir, 'answers', host), answer);
  fs.writeFileSync(path.join(dir, 'hosts'), Object.entries(c.hosts ?? {}).map(([h, ip]) => `${ip} ${h}\n`).join(''));
  for (const [file, content] of Object.entries(c.volume ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, 'data', file)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data', file), content);
  }
  fs.writeFileSync(path.join(bin, 'cqlsh'), [
    '#!/bin/sh',
    'host=$1; shift 2',
    'while [ $# -gt 0 ]; do case "$1" in -u) u=$2; shift 2 ;; -p) p=$2; shift 2 ;; *) shift ;; esac; done',
    `echo "$host $u" >> ${dir}/cqlsh.log`,
    `f=${dir}/answers/$host`,
    '[ -f "$f" ] || { echo "Connection error: (\'Unable to connect to any servers\', {\'$host:9042\': ConnectionRefusedError(111)})" >&2; exit 1; }',
    `[ "$u:$p" = "${c.accepts ?? 'admin:pw'}" ] || { echo "Connection error: (\'Unable to connect to any servers\', {\'$host:9042\': AuthenticationFailed(\'Provided username $u and/or password are incorrect\')})" >&2; exit 1; }`,
    'cat "$f"',
  ].join('\n'), { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'getent'), `#!/bin/sh\nawk -v h="$2" '$2 == h { print; found = 1 } END { exit !found * 2 }' ${dir}/hosts\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'cassandra'), '#!/bin/sh\necho "CASSANDRA $* JVM_EXTRA_OPTS=$JVM_EXTRA_OPTS"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'sleep'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'date'), `#!/bin/sh\nn=$(cat ${dir}/clock 2>/dev/null || echo 1000); echo $((n + 100)) > ${dir}/clock; echo $n\n`, { mode: 0o755 });
  const script = data['ring-start.sh']
    .replace('CONF=/etc/cassandra-k8s', `CONF=${dir}/conf`)
    .replace('DATA=/var/lib/cassandra', `DATA=${dir}/data`)
    .replace('WORK=/tmp', `WORK=${dir}/work`);
  let out: string; let code = 0;
  try {
    out = execFileSync('sh', ['-c', `exec 2>&1\n${script}`], {
      env: { ...env, PATH: `${bin}:/usr/bin:/bin`, HOSTNAME: c.pod, DB_USER: 'admin', DB_PASSWORD: 'pw' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e: any) {
    out = `${e.stdout}${e.stderr}`; code = e.status;
  }
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined);
  const result: Started = {
    code,
    out,
    cassandra: out.split('\n').find((l) => l.startsWith('CASSANDRA ')),
    joinFile: read(path.join(dir, 'data', '.cdk8s-join')),
    yaml: read(path.join(dir, 'work', 'cassandra.yaml')),
    cqlshCalls: (read(path.join(dir, 'cqlsh.log')) ?? '').split('\n').filter((l) => l),
    volume: fs.readdirSync(path.join(dir, 'data')).sort(),
  };
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

const CONFIG = '-Dcassandra.config=file:///etc/cassandra-k8s/cassandra.yaml';

describe('ring start script', () => {
  test('data on the volume: a plain start, nothing asked', () => {
    const s = start({ pod: 'db-eu-west-1a-1', volume: { 'data/system/local-7ad54392/nb-1-big-Data.db': 'x' } });
    expect(s.cassandra).toBe(`CASSANDRA -f JVM_EXTRA_OPTS=${CONFIG} -Dcassandra-rackdc.properties=file:///etc/cassandra-k8s/cassandra-rackdc-eu-west-1a.properties`);
    expect(s.cqlshCalls).toEqual([]);
  });

  test('first formation: a seed with an empty volume and no member answering starts as a seed', () => {
    const s = start({ pod: 'db-eu-west-1a-0' });
    expect(s.cassandra).toContain(`JVM_EXTRA_OPTS=${CONFIG} `);
    expect(s.joinFile).toBeUndefined();
    expect(s.out).toContain('starting as a seed (a new ring forms)');
  });

  test('a node that is not a seed waits for the ring, and exits to be restarted when none answers', () => {
    const s = start({ pod: 'db-eu-west-1b-1', hosts: { [member('b', 0)]: '10.0.2.1' } });
    expect(s.code).toBe(1);
    expect(s.cassandra).toBeUndefined();
    expect(s.out).toContain('a node that is not a seed waits for the ring');
    expect(s.out).toContain('gave up after 600s');
  });

  test('issue 8: a seed back with an empty volume replaces its old identity, not as its own seed', () => {
    // The ring (seen from db-eu-west-1b-0) knows 10.0.1.1 and 10.0.1.2 in rack eu-west-1a; pod a-1 answers
    // for 10.0.1.2, no pod for 10.0.1.1: that was db-eu-west-1a-0 before its volume was lost.
    const ringSeen = cqlshTables(['10.0.2.1', 'eu-west-1b'], [['10.0.1.1', 'eu-west-1a'], ['10.0.1.2', 'eu-west-1a'], ['10.0.3.1', 'eu-west-1c'], ['10.0.2.2', 'eu-west-1b']]);
    const s = start({
      pod: 'db-eu-west-1a-0',
      answers: { [member('b', 0)]: ringSeen },
      hosts: { [member('a', 0)]: '10.0.1.9', [member('a', 1)]: '10.0.1.2', [member('b', 0)]: '10.0.2.1' },
    });
    expect(s.cqlshCalls).toEqual([`${member('b', 0)} admin`]);
    expect(s.cassandra).toMatch(/-Dcassandra\.config=file:\/\/\/.*\/work\/cassandra\.yaml .* -Dcassandra\.replace_address_first_boot=10\.0\.1\.1$/);
    expect(s.yaml).toMatch(new RegExp(`^\\s+- seeds: "${member('b', 0)},${member('c', 0)}"$`, 'm'));
    expect(s.joinFile).toBe(`seed=${member('b', 0)}\nreplace=10.0.1.1\n`);
  });

  test('a restart during that bootstrap resumes it the same way, without asking again', () => {
    const s = start({ pod: 'db-eu-west-1a-0', volume: { '.cdk8s-join': `seed=${member('b', 0)}\nreplace=10.0.1.1\n`, 'data/system/x': 'x' } });
    expect(s.cqlshCalls).toEqual([]);
    expect(s.cassandra).toContain('-Dcassandra.replace_address_first_boot=10.0.1.1');
  });

  test('scale-up: a new node whose rack mates are all in the ring bootstraps as a new node', () => {
    const ringSeen = cqlshTables(['10.0.1.1', 'eu-west-1a'], [['10.0.1.2', 'eu-west-1a'], ['10.0.2.1', 'eu-west-1b'], ['10.0.3.1', 'eu-west-1c']]);
    const s = start({
      pod: 'db-eu-west-1a-2',
      answers: { [member('a', 0)]: ringSeen },
      hosts: { [member('a', 0)]: '10.0.1.1', [member('a', 1)]: '10.0.1.2', [member('a', 2)]: '10.0.1.3' },
    });
    expect(s.cassandra).not.toContain('replace_address');
    expect(s.cassandra).toContain('/work/cassandra.yaml');
    expect(s.joinFile).toBe(`seed=${member('a', 0)}\n`);
    expect(s.out).toContain('bootstrapping as a new node');
  });

  test('before the roles Job ran, the members answer the image\'s default superuser', () => {
    const ringSeen = cqlshTables(['10.0.1.1', 'eu-west-1a'], []);
    const s = start({
      pod: 'db-eu-west-1b-0', answers: { [member('a', 0)]: ringSeen }, accepts: 'cassandra:cassandra', hosts: { [member('a', 0)]: '10.0.1.1' },
    });
    expect(s.cqlshCalls).toEqual([`${member('a', 0)} admin`, `${member('a', 0)} cassandra`]);
    // Rack eu-west-1b is not in the ring yet: a new node, bootstrapping from the seed that answered.
    expect(s.joinFile).toBe(`seed=${member('a', 0)}\n`);
    expect(s.yaml).toMatch(new RegExp(`- seeds: "${member('a', 0)},${member('c', 0)}"`));
  });

  test('a lower rack mate not back in the ring yet, or two nodes without a pod: it waits, then exits', () => {
    const ringSeen = cqlshTables(['10.0.2.1', 'eu-west-1b'], [['10.0.1.1', 'eu-west-1a'], ['10.0.1.2', 'eu-west-1a']]);
    // a-0 restarted with a new address the ring has not seen yet: a-1 cannot tell which node is its own.
    const s = start({
      pod: 'db-eu-west-1a-1', answers: { [member('b', 0)]: ringSeen }, hosts: { [member('a', 0)]: '10.0.1.7', [member('a', 1)]: '10.0.1.8' },
    });
    expect(s.code).toBe(1);
    expect(s.joinFile).toBeUndefined();
    expect(s.out).toContain('has pods not back in the ring ( db-eu-west-1a-0) or more than one node without a pod ( 10.0.1.1 10.0.1.2)');
  });

  test('a volume of a decommissioned node is wiped, then the node joins as new', () => {
    const ringSeen = cqlshTables(['10.0.1.1', 'eu-west-1a'], [['10.0.2.1', 'eu-west-1b'], ['10.0.3.1', 'eu-west-1c']]);
    const s = start({
      pod: 'db-eu-west-1a-1',
      volume: { '.cdk8s-decommissioned': '', 'data/system/x': 'x', 'commitlog/c': 'x', 'hints/h': 'x', 'saved_caches/s': 'x' },
      answers: { [member('a', 0)]: ringSeen },
      hosts: { [member('a', 0)]: '10.0.1.1', [member('a', 1)]: '10.0.1.5' },
    });
    expect(s.out).toContain('removing its data to bootstrap again');
    expect(s.volume).toEqual(['.cdk8s-join']);
    expect(s.joinFile).toBe(`seed=${member('a', 0)}\n`);
  });
});

/** A stand-in Kubernetes API: StatefulSets by name, Leases with resourceVersion conflicts, as the API server answers. */
class StandInApi {
  public statefulSets: Record<string, any> = {};
  public leases: Record<string, any> = {};
  public forbidden = false;
  /** Runs before a PUT is applied: lets a test change the Lease under the writer's feet. */
  public beforePut?: () => void;
  public readonly requests: string[] = [];
  private version = 100;
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const reply = (code: number, obj?: any) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(obj ?? { kind: 'Status', code }));
      };
      this.requests.push(`${req.method} ${req.url}`);
      if (req.headers.authorization !== 'Bearer t0ken') return reply(401);
      const sts = req.url!.match(/^\/apis\/apps\/v1\/namespaces\/data\/statefulsets\/([^/]+)$/);
      if (sts && req.method === 'GET') return this.statefulSets[sts[1]] ? reply(200, this.statefulSets[sts[1]]) : reply(404);
      const lease = req.url!.match(/^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/data\/leases(?:\/([^/]+))?$/);
      if (!lease) return reply(404);
      if (this.forbidden) return reply(403);
      const name = lease[1];
      if (req.method === 'GET' && name) return this.leases[name] ? reply(200, this.leases[name]) : reply(404);
      if (req.method === 'POST' && !name) {
        const obj = JSON.parse(body);
        if (this.leases[obj.metadata.name]) return reply(409);
        this.leases[obj.metadata.name] = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.version) } };
        return reply(201, this.leases[obj.metadata.name]);
      }
      if (req.method === 'PUT' && name) {
        this.beforePut?.();
        const obj = JSON.parse(body);
        if (!this.leases[name]) return reply(404);
        if (obj.metadata.resourceVersion !== this.leases[name].metadata.resourceVersion) return reply(409);
        this.leases[name] = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.version) } };
        return reply(200, this.leases[name]);
      }
      return reply(405);
    });
  });
  public async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  public async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
  public lease(holder: string | undefined, renewedSecondsAgo: number): void {
    const t = new Date(Date.now() - renewedSecondsAgo * 1000).toISOString().replace('Z', '000Z');
    this.leases['db-ring'] = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'db-ring', resourceVersion: String(++this.version) },
      spec: { holderIdentity: holder, leaseDurationSeconds: 120, acquireTime: t, renewTime: t },
    };
  }
}

const run = promisify(execFile);

/** A folder with the service account files and the ops script, and the env ring-ops.py needs. */
function opsEnv(api: string, pod: string): { dir: string; env: Record<string, string> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ring-ops-'));
  fs.mkdirSync(path.join(dir, 'sa'));
  fs.writeFileSync(path.join(dir, 'sa', 'token'), 't0ken\n');
  fs.writeFileSync(path.join(dir, 'sa', 'namespace'), 'data');
  fs.writeFileSync(path.join(dir, 'ring-ops.py'), ringFiles().data['ring-ops.py']);
  return { dir, env: { PATH: process.env.PATH!, HOSTNAME: pod, RING_LOCK: 'db-ring', KUBE_API: api, SERVICE_ACCOUNT_DIR: path.join(dir, 'sa') } };
}

async function ops(api: string, pod: string, command: string): Promise<{ code: number; out: string }> {
  const { dir, env } = opsEnv(api, pod);
  try {
    const { stdout } = await run('python3', [path.join(dir, 'ring-ops.py'), command], { env });
    return { code: 0, out: stdout.trim() };
  } catch (e: any) {
    return { code: e.code, out: `${e.stdout}${e.stderr}`.trim() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('ring-ops.py against a stand-in API server', () => {
  let api: StandInApi;
  let url: string;
  beforeEach(async () => { api = new StandInApi(); url = await api.listen(); });
  afterEach(async () => api.close());

  test('statefulset-replicas: the rack\'s replicas, "deleting" when it is gone or being deleted', async () => {
    api.statefulSets['db-eu-west-1a'] = { metadata: { name: 'db-eu-west-1a' }, spec: { replicas: 1 } };
    expect(await ops(url, 'db-eu-west-1a-1', 'statefulset-replicas')).toEqual({ code: 0, out: '1' });
    api.statefulSets['db-eu-west-1a'].metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(await ops(url, 'db-eu-west-1a-1', 'statefulset-replicas')).toEqual({ code: 0, out: 'deleting' });
    expect(await ops(url, 'db-eu-west-1b-1', 'statefulset-replicas')).toEqual({ code: 0, out: 'deleting' });
  });

  test('the lock: created when missing, refused while another node holds it, taken once expired, released by its holder', async () => {
    expect((await ops(url, 'db-eu-west-1a-1', 'lock-acquire')).code).toBe(0);
    expect(api.leases['db-ring'].spec).toMatchObject({ holderIdentity: 'db-eu-west-1a-1', leaseDurationSeconds: 120 });
    expect((await ops(url, 'db-eu-west-1b-1', 'lock-acquire')).code).toBe(1);
    expect((await ops(url, 'db-eu-west-1a-1', 'lock-acquire')).code).toBe(0);
    expect((await ops(url, 'db-eu-west-1b-1', 'lock-release')).code).toBe(0);
    expect(api.leases['db-ring'].spec.holderIdentity).toBe('db-eu-west-1a-1');
    expect((await ops(url, 'db-eu-west-1a-1', 'lock-release')).code).toBe(0);
    expect(api.leases['db-ring'].spec.holderIdentity).toBeUndefined();
    expect((await ops(url, 'db-eu-west-1b-1', 'lock-acquire')).code).toBe(0);
    api.lease('db-eu-west-1c-0', 121);
    expect((await ops(url, 'db-eu-west-1a-0', 'lock-acquire')).code).toBe(0);
    expect(api.leases['db-ring'].spec.holderIdentity).toBe('db-eu-west-1a-0');
  });

  test('two nodes racing for a free lock: the update that read an older resourceVersion gets 409 and does not hold it', async () => {
    api.lease(undefined, 5);
    // Another node takes the lock between this node's read and its update.
    api.beforePut = () => { api.beforePut = undefined; api.lease('db-eu-west-1b-0', 0); };
    expect((await ops(url, 'db-eu-west-1a-0', 'lock-acquire')).code).toBe(1);
    expect(api.leases['db-ring'].spec.holderIdentity).toBe('db-eu-west-1b-0');
  });

  test('no rights or no API: exit 2, so the hook waits for the ring without a lock', async () => {
    api.forbidden = true;
    expect((await ops(url, 'db-eu-west-1a-0', 'lock-acquire')).code).toBe(2);
    expect((await ops('http://127.0.0.1:1', 'db-eu-west-1a-0', 'lock-acquire')).code).toBe(2);
  });
});

/** `nodetool status` as Cassandra prints it. */
function status(rows: Array<[string, string, string]>): string {
  return ['Datacenter: eu-west', '===================', 'Status=Up/Down', '|/ State=Normal/Leaving/Joining/Moving',
    '--  Address    Load        Tokens  Owns (effective)  Host ID                               Rack',
    ...rows.map(([st, ip, rack]) => `${st}  ${ip}  104.3 KiB   16      50.0%             6d194555-f6eb-41d0-c000-000000000001  ${rack}`), ''].join('\n');
}
const ALL_UP = status([['UN', '10.0.1.1', 'eu-west-1a'], ['UN', '10.0.1.2', 'eu-west-1a'], ['UN', '10.0.2.1', 'eu-west-1b'], ['UN', '10.0.3.1', 'eu-west-1c']]);

interface StopCase {
  readonly pod: string;
  readonly mode?: string;
  readonly status?: string;
  readonly decommission?: { code: number; out: string };
}

async function preStop(url: string, c: StopCase): Promise<{ nodetool: string[]; log: string; volume: string[] }> {
  const { dir, env } = opsEnv(url, c.pod);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'netstats'), `Mode: ${c.mode ?? 'NORMAL'}\nNot sending any streams.\n`);
  fs.writeFileSync(path.join(dir, 'status'), c.status ?? ALL_UP);
  fs.writeFileSync(path.join(bin, 'nodetool'), [
    '#!/bin/sh',
    `echo "$1" >> ${dir}/nodetool.log`,
    'case "$1" in',
    `  netstats) cat ${dir}/netstats ;;`,
    `  status) cat ${dir}/status ;;`,
    '  drain) ;;',
    `  decommission) echo "${c.decommission?.out ?? ''}"; exit ${c.decommission?.code ?? 0} ;;`,
    'esac',
  ].join('\n'), { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'sleep'), '#!/bin/sh\nexec /bin/sleep 0.05\n', { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'date'), `#!/bin/sh\nn=$(cat ${dir}/clock 2>/dev/null || echo 1000); echo $((n + 100)) > ${dir}/clock; echo $n\n`, { mode: 0o755 });
  const script = ringFiles().data['ring-prestop.sh']
    .replace('CONF=/etc/cassandra-k8s', `CONF=${dir}`)
    .replace('DATA=/var/lib/cassandra', `DATA=${dir}/data`)
    .replace('LOG=/proc/1/fd/1', `LOG=${dir}/prestop.log`);
  try {
    await run('sh', ['-c', script], { env: { ...env, PATH: `${bin}:${env.PATH}` } });
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
    return { nodetool: read('nodetool.log').split('\n').filter((l) => l), log: read('prestop.log'), volume: fs.readdirSync(path.join(dir, 'data')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('ring preStop hook', () => {
  let api: StandInApi;
  let url: string;
  beforeEach(async () => {
    api = new StandInApi();
    url = await api.listen();
    for (const r of ['a', 'b', 'c']) api.statefulSets[`db-eu-west-1${r}`] = { metadata: { name: `db-eu-west-1${r}` }, spec: { replicas: 2 } };
  });
  afterEach(async () => api.close());

  test('a rolling restart: takes the ring lock, sees every node Up/Normal, drains, releases the lock', async () => {
    const r = await preStop(url, { pod: 'db-eu-west-1a-1' });
    expect(r.nodetool).toEqual(['netstats', 'status', 'drain']);
    expect(api.requests.filter((q) => q.includes('leases'))).toEqual(expect.arrayContaining([
      'GET /apis/coordination.k8s.io/v1/namespaces/data/leases/db-ring', 'POST /apis/coordination.k8s.io/v1/namespaces/data/leases',
    ]));
    expect(api.leases['db-ring'].spec.holderIdentity).toBeUndefined();
    expect(r.log).toBe('');
  }, 20000);

  test('another rack\'s node holds the lock: it waits, then stops anyway after the gate, without taking the lock', async () => {
    api.lease('db-eu-west-1b-1', 0);
    const r = await preStop(url, { pod: 'db-eu-west-1a-1' });
    expect(r.log).toContain('no ring lock after 900s: stopping anyway');
    expect(r.nodetool).toEqual(['netstats', 'status', 'drain']);
    expect(api.leases['db-ring'].spec.holderIdentity).toBe('db-eu-west-1b-1');
  }, 20000);

  test('a node of another rack is down: it waits for it, and stops only after the gate', async () => {
    const down = status([['UN', '10.0.1.1', 'eu-west-1a'], ['UN', '10.0.1.2', 'eu-west-1a'], ['DN', '10.0.2.1', 'eu-west-1b'], ['UN', '10.0.3.1', 'eu-west-1c']]);
    const r = await preStop(url, { pod: 'db-eu-west-1a-1', status: down });
    expect(r.log).toContain('a node is still not Up/Normal after 900s: stopping anyway');
    expect(r.nodetool.filter((n) => n === 'status').length).toBeGreaterThan(1);
    expect(r.nodetool[r.nodetool.length - 1]).toBe('drain');
  }, 20000);

  test('a node leaving or joining counts as not Up/Normal', async () => {
    const leaving = status([['UN', '10.0.1.1', 'eu-west-1a'], ['UL', '10.0.2.1', 'eu-west-1b'], ['UJ', '10.0.3.1', 'eu-west-1c']]);
    const r = await preStop(url, { pod: 'db-eu-west-1a-1', status: leaving });
    expect(r.log).toContain('still not Up/Normal');
  }, 20000);

  test('scaled away (ordinal at or beyond replicas): decommissions instead of draining and marks the volume', async () => {
    api.statefulSets['db-eu-west-1a'].spec.replicas = 1;
    const r = await preStop(url, { pod: 'db-eu-west-1a-1' });
    expect(r.nodetool).toEqual(['netstats', 'status', 'decommission']);
    expect(r.volume).toEqual(['.cdk8s-decommissioned']);
    expect(r.log).toContain('ordinal 1 is at or beyond the 1 replicas of db-eu-west-1a: decommissioning');
  }, 20000);

  test('a refused decommission (fewer nodes than the replication factor would remain) drains instead, unmarked', async () => {
    api.statefulSets['db-eu-west-1a'].spec.replicas = 1;
    const refused = 'nodetool: Unsupported operation: Not enough live nodes to maintain replication factor in keyspace system_distributed (RF = 3, N = 2). Perform a forceful decommission to ignore.';
    const r = await preStop(url, { pod: 'db-eu-west-1a-1', decommission: { code: 1, out: refused } });
    expect(r.nodetool).toEqual(['netstats', 'status', 'decommission', 'drain']);
    expect(r.volume).toEqual([]);
    expect(r.log).toContain(refused);
    expect(r.log).toContain('decommission failed or was refused');
  }, 20000);

  test('StatefulSet deleted or scaled to 0 (a full stop): drains at once, no lock, no waiting', async () => {
    delete api.statefulSets['db-eu-west-1a'];
    const r = await preStop(url, { pod: 'db-eu-west-1a-0', status: status([['DN', '10.0.2.1', 'eu-west-1b']]) });
    expect(r.nodetool).toEqual(['netstats', 'drain']);
    expect(api.requests.some((q) => q.includes('leases'))).toBe(false);
    api.statefulSets['db-eu-west-1a'] = { metadata: { name: 'db-eu-west-1a' }, spec: { replicas: 0 } };
    expect((await preStop(url, { pod: 'db-eu-west-1a-0' })).nodetool).toEqual(['netstats', 'drain']);
  }, 20000);

  test('already decommissioned by hand: marks the volume and stops', async () => {
    const r = await preStop(url, { pod: 'db-eu-west-1a-1', mode: 'DECOMMISSIONED' });
    expect(r.nodetool).toEqual(['netstats']);
    expect(r.volume).toEqual(['.cdk8s-decommissioned']);
  }, 20000);

  test('a node still joining drains without waiting for the ring', async () => {
    const r = await preStop(url, { pod: 'db-eu-west-1a-1', mode: 'JOINING' });
    expect(r.nodetool).toEqual(['netstats', 'drain']);
  }, 20000);

  test('without rights on Leases it still waits for the ring before draining', async () => {
    api.forbidden = true;
    const r = await preStop(url, { pod: 'db-eu-west-1a-1' });
    expect(r.log).toContain('the ring lock cannot be used: waiting for the ring only');
    expect(r.nodetool).toEqual(['netstats', 'status', 'drain']);
  }, 20000);
});
