import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Size } from 'cdk8s';
import {
  CassandraVersion, Engine, MongoDbVersion, MysqlVersion, PostgresVersion, RedisVersion, ReplicatedDatabase,
  ReplicatedDatabaseProps, Spread, ValkeyVersion,
} from '../src';
import { keydbEngine } from './support/engines';
import { allContainers, newChart, jobNamed, only, synthValid } from './support/synth';
import { evaluateBudgets } from '../src/disruption/budgets';
import { computeTolerance } from '../src/report/tolerance';

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const DB_SELECTOR = (family: string, name: string) => ({
  'app.kubernetes.io/name': family, 'app.kubernetes.io/instance': name, 'app.kubernetes.io/component': 'database',
});

function synth(props: ReplicatedDatabaseProps, namespace = 'data') {
  const chart = newChart(namespace);
  const db = new ReplicatedDatabase(chart, 'db', { name: 'db', zones: ZONES, ...props });
  const manifests = synthValid(chart);
  const sets = manifests.filter((m) => m.kind === 'StatefulSet');
  const budgets = manifests.filter((m) => m.kind === 'PodDisruptionBudget');
  return { db, manifests, sets, budgets, pod: sets[0].spec.template.spec, main: sets[0].spec.template.spec.containers[0] };
}

/** Members as the disruption controller sees them, with the engine's role labels on a running set. */
function members(sets: any[], role?: { key: string; primary: string; replica: string }) {
  return sets.flatMap((s, si) => Array.from({ length: s.spec.replicas }, (_, i) => ({
    name: `${s.metadata.name}-${i}`,
    labels: { ...s.spec.template.metadata.labels, ...(role ? { [role.key]: si === 0 && i === 0 ? role.primary : role.replica } : {}) },
    controller: s.metadata.name,
    controllerReplicas: s.spec.replicas,
  })));
}
const views = (budgets: any[]) => budgets.map((b) => ({
  name: b.metadata.name,
  matchLabels: b.spec.selector.matchLabels,
  matchExpressions: b.spec.selector.matchExpressions,
  minAvailable: b.spec.minAvailable,
  maxUnavailable: b.spec.maxUnavailable,
}));
const env = (container: any, name: string) => container.env.find((e: any) => e.name === name);

describe('placement', () => {
  test('declared zones: required zone spread with minDomains, soft host spread, zone affinity', () => {
    const { pod } = synth({ engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }) });
    const selector = DB_SELECTOR('mongodb', 'db');
    expect(pod.topologySpreadConstraints).toEqual([
      {
        topologyKey: 'topology.kubernetes.io/zone',
        maxSkew: 1,
        whenUnsatisfiable: 'DoNotSchedule',
        minDomains: 3,
        labelSelector: { matchLabels: selector },
        nodeAffinityPolicy: 'Honor',
        nodeTaintsPolicy: 'Honor',
      },
      {
        topologyKey: 'kubernetes.io/hostname',
        maxSkew: 1,
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: selector },
        nodeAffinityPolicy: 'Honor',
        nodeTaintsPolicy: 'Honor',
      },
    ]);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ZONES }] },
    ]);
  });

  test('zones not declared: preferred spreading only, and the report says zone loss is unknown', () => {
    const { pod, db } = synth({ engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), zones: undefined });
    expect(pod.topologySpreadConstraints.map((c: any) => c.whenUnsatisfiable)).toEqual(['ScheduleAnyway', 'ScheduleAnyway']);
    expect(pod.affinity).toBeUndefined();
    const t = db.tolerance();
    expect(t.zones).toBeUndefined();
    expect(t.zoneFailuresTolerated).toBe(0);
    expect(t.nodeFailuresTolerated).toBe(0);
    expect(t.notes).toContain('Zones are not declared: zone-loss tolerance is not known at synth time.');
  });

  test('matchLabelKeys spread each revision by itself during rolling updates', () => {
    const { pod } = synth({
      engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }),
      zoneSpread: Spread.required({ maxSkew: 1, matchLabelKeys: ['controller-revision-hash'] }),
      hostSpread: Spread.preferred({ matchLabelKeys: ['controller-revision-hash'] }),
    });
    expect(pod.topologySpreadConstraints.map((c: any) => c.matchLabelKeys)).toEqual([['controller-revision-hash'], ['controller-revision-hash']]);
  });

  test('required host spread and a zone count without names', () => {
    const { pod, db } = synth({
      engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }),
      zones: undefined,
      zoneCount: 3,
      replicas: 5,
      hostSpread: Spread.required(),
      zoneSpread: Spread.required({ maxSkew: 1, minDomains: 3 }),
    });
    expect(pod.topologySpreadConstraints[1]).toMatchObject({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule' });
    expect(pod.topologySpreadConstraints[1].minDomains).toBeUndefined();
    expect(pod.affinity).toBeUndefined();
    // 5 over 3 zones with maxSkew 1: at most 2 per zone; quorum 3 survives one zone (5 - 2 = 3).
    expect(db.tolerance()).toMatchObject({
      replicas: 5, zones: 3, quorum: 3, maxMembersPerZone: 2, zoneFailuresTolerated: 1, nodeFailuresTolerated: 2, drainsEvictAtOnce: 2,
    });
  });
});

describe('host spread minDomains', () => {
  test('a required host spread keeps the minDomains given: with fewer eligible hosts the scheduler holds one member per host', () => {
    const { pod } = synth({
      engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }),
      hostSpread: Spread.required({ maxSkew: 1, minDomains: 3 }),
    });
    expect(pod.topologySpreadConstraints.find((c: any) => c.topologyKey === 'kubernetes.io/hostname'))
      .toMatchObject({ whenUnsatisfiable: 'DoNotSchedule', minDomains: 3 });
  });
});

describe('PostgreSQL on Patroni (Spilo)', () => {
  const engine = Engine.postgres({ version: PostgresVersion.V16 });

  test('runs Spilo with Patroni in Kubernetes mode and role-following Services', () => {
    const { main, manifests, pod, db } = synth({ engine, synchronousStandbys: 1, memory: Size.gibibytes(4) });
    expect(main.image).toBe('ghcr.io/zalando/spilo-16:3.3-p3');
    expect(env(main, 'PGVERSION').value).toBe('16');
    expect(env(main, 'SCOPE').value).toBe('db');
    expect(env(main, 'DCS_ENABLE_KUBERNETES_API').value).toBe('true');
    expect(env(main, 'KUBERNETES_USE_CONFIGMAPS').value).toBe('true');
    expect(env(main, 'KUBERNETES_SCOPE_LABEL').value).toBe('app.kubernetes.io/instance');
    expect(JSON.parse(env(main, 'KUBERNETES_LABELS').value)).toEqual({ 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/component': 'database' });
    expect(env(main, 'PGPASSWORD_STANDBY').valueFrom.secretKeyRef).toEqual({ name: 'db-credentials', key: 'replication-password' });
    const spilo = only(manifests, 'ConfigMap', 'db-spilo').data['spilo.yaml'];
    expect(spilo).toMatch(/synchronous_mode: true\n\s+synchronous_node_count: 1/);
    expect(spilo).toMatch(/effective_cache_size: 3072MB/);
    expect(main.readinessProbe.httpGet).toEqual({ path: '/readiness', port: 8008, scheme: 'HTTP' });
    expect(main.lifecycle.preStop.exec.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(pod.securityContext).toMatchObject({ runAsUser: 101, fsGroup: 103 });
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(only(manifests, 'Role', 'db').rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'patch', 'update', 'watch', 'delete', 'deletecollection'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
    ]);
    expect(only(manifests, 'Service', 'db').spec.selector).toEqual({ ...DB_SELECTOR('postgresql', 'db'), 'spilo-role': 'master' });
    expect(only(manifests, 'Service', 'db-ro').spec.selector).toEqual({ ...DB_SELECTOR('postgresql', 'db'), 'spilo-role': 'replica' });
    expect(only(manifests, 'Service', 'db-headless').spec.ports.map((p: any) => p.port)).toEqual([5432, 8008]);
    expect(db.primaryHost).toBe('db.data.svc');
    expect(db.readerHost).toBe('db-ro.data.svc');
    expect(db.memberHosts).toEqual(['db-0.db-headless.data.svc', 'db-1.db-headless.data.svc', 'db-2.db-headless.data.svc']);
    const script = jobNamed(manifests, 'db-creds').spec.template.spec.containers[0].command[2];
    expect(script).toContain('"replication-password":"__EXTRA_0__"');
    expect(script).toContain('EXTRA_0=$(head -c 24 /dev/urandom | base64 | tr -d');
  });

  test('one budget over all members by default: one member down at a time', () => {
    const { budgets, sets, db } = synth({ engine });
    expect(budgets).toHaveLength(1);
    expect(budgets[0].spec).toEqual({ selector: { matchLabels: DB_SELECTOR('postgresql', 'db') }, maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    const role = { key: 'spilo-role', primary: 'master', replica: 'replica' };
    expect(evaluateBudgets(views(budgets), members(sets, role))).toEqual({ overlapping: [], evictableAtOnce: 1, allowed: { db: 1 } });
    // Kubernetes is Patroni's consensus store: one surviving member can take the leader lock.
    expect(db.tolerance().summary).toBe('3 replicas over 3 zones; survives loss of 2 zones or 2 nodes; drains evict one pod at a time; quorum 1');
  });

  test('roleBudgets replaces it with disjoint primary and replica budgets with integer minAvailable', () => {
    const { budgets, sets, db } = synth({ engine, roleBudgets: true });
    expect(budgets.map((b) => [b.metadata.name, b.spec.selector.matchLabels['spilo-role'], b.spec.minAvailable, b.spec.maxUnavailable])).toEqual([
      ['db-primary', 'master', 1, undefined],
      ['db-replicas', 'replica', 1, undefined],
      ['db-unknown-role', undefined, 1, undefined],
    ]);
    expect(budgets[2].spec.selector.matchExpressions).toEqual([{ key: 'spilo-role', operator: 'DoesNotExist' }]);
    const evaluation = evaluateBudgets(views(budgets), members(sets, { key: 'spilo-role', primary: 'master', replica: 'replica' }));
    expect(evaluation.overlapping).toEqual([]);
    expect(evaluation.allowed).toEqual({ 'db-primary': 0, 'db-replicas': 1, 'db-unknown-role': 0 });
    expect(evaluation.evictableAtOnce).toBe(1);
    expect(db.tolerance().notes).toContain(
      "Drains of the primary's node wait for a switchover: kubectl exec db-0 -c postgresql -- curl -s -XPOST -d '{\"leader\":\"db-0\"}' http://localhost:8008/switchover");
  });

  test('PostgreSQL 17 is refused: the pinned Spilo image carries 13 to 16', () => {
    expect(() => synth({ engine: Engine.postgres({ version: PostgresVersion.V17 }) })).toThrow(
      "test/db: `engine`: Engine 'postgresql 17.2' has no replicated topology here: replicas run on Patroni from the Spilo image zalando/spilo-16:3.3-p3, which carries PostgreSQL 13, 14, 15, 16; choose one of those majors. Use StatefulDatabase for one instance.");
  });
});

describe('MongoDB replica set', () => {
  test('keyfile auth, members by DNS name, idempotent initiation with priorities, majority budget', () => {
    const engine = Engine.mongodb({ version: MongoDbVersion.V7_0 });
    const { main, pod, manifests, budgets, sets, db } = synth({ engine, memberPriorities: [2, 1, 1] });
    expect(main.args).toEqual(['--config', '/etc/mongo/mongod.conf', '--replSet', 'db', '--keyFile', '/keyfile/keyfile']);
    expect(pod.initContainers).toHaveLength(1);
    expect(pod.initContainers[0].command[2]).toBe('cp /keyfile-secret/keyfile /keyfile/keyfile && chmod 0400 /keyfile/keyfile');
    for (const c of allContainers(pod)) expect(c.resources.limits).toEqual(c.resources.requests);
    expect(pod.volumes).toContainEqual({ name: 'keyfile-secret', secret: { secretName: 'db-credentials', items: [{ key: 'keyfile', path: 'keyfile' }] } });
    // The membership Job is named after its script: a changed Job is a new object (Job templates are immutable).
    const jobs = manifests.filter((m) => m.kind === 'Job' && /^db-rs-[0-9a-f]{6}$/.test(m.metadata.name));
    expect(jobs).toHaveLength(1);
    const job = jobs[0].spec.template.spec.containers[0].command[2];
    expect(job).toContain('const MEMBERS = [{"host":"db-0.db-headless.data.svc:27017","priority":2,"votes":1},{"host":"db-1.db-headless.data.svc:27017","priority":1,"votes":1}');
    expect(job).toContain('if (s.code === 94)');
    expect(main.readinessProbe.exec.command[2]).toContain('h.isWritablePrimary || h.secondary');
    expect(budgets[0].spec.maxUnavailable).toBe(1);
    expect(evaluateBudgets(views(budgets), members(sets)).evictableAtOnce).toBe(1);
    expect(only(manifests, 'Service', 'db').spec.selector).toEqual(DB_SELECTOR('mongodb', 'db'));
    expect(db.readerHost).toBeUndefined();
    // The init Job reaches the first member on the client port through the NetworkPolicy.
    const policy = only(manifests, 'NetworkPolicy');
    expect(policy.spec.ingress[0].from).toContainEqual({ podSelector: { matchLabels: { 'job-name': jobs[0].metadata.name } } });
    expect(db.tolerance().summary).toBe('3 replicas over 3 zones; survives loss of 1 zone or 1 node; drains evict one pod at a time; quorum 2');
  });

  test('five members over three zones allow two down at once and survive one zone', () => {
    const { budgets, db, sets } = synth({ engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), replicas: 5 });
    expect(budgets[0].spec.maxUnavailable).toBe(2);
    expect(evaluateBudgets(views(budgets), members(sets)).evictableAtOnce).toBe(2);
    expect(db.tolerance()).toMatchObject({
      quorum: 3, maxMembersPerZone: 2, zoneFailuresTolerated: 1, nodeFailuresTolerated: 0, drainsEvictAtOnce: 2,
    });
  });
});

describe.each([
  ['redis', Engine.redis({ version: RedisVersion.V7_4 }), 'redis-cli', 'redis-server'],
  ['valkey', Engine.valkey({ version: ValkeyVersion.V8_0 }), 'valkey-cli', 'valkey-server'],
])('%s with Sentinel', (family, engine, cli, server) => {
  test('a Sentinel beside every member; members find the primary through the Sentinels', () => {
    const { main, pod, manifests, budgets, db } = synth({ engine });
    const script: string = main.command[2];
    expect(script).toContain(`${cli} -h "$s" -p 26379 --raw sentinel master primary`);
    expect(script).toContain('[ -n "$primary" ] || primary="db-0.db-headless.data.svc"');
    expect(script).toContain(`exec ${server} "$@"`);
    expect(script).toContain('--replicaof "$primary" 6379');
    const sentinel = pod.containers.find((c: any) => c.name === 'sentinel');
    expect(sentinel.command[2]).toContain('sentinel monitor primary $primary 6379 2');
    expect(sentinel.command[2]).toContain('sentinel announce-hostnames yes');
    expect(sentinel.command[2]).toContain(`exec ${server} /data/sentinel/sentinel.conf --sentinel`);
    // The Sentinel keeps its view on the member's volume, and outlives the data server's hand-over.
    expect(sentinel.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect(sentinel.lifecycle.preStop.exec.command[2]).toContain(`${cli} -h 127.0.0.1 -p 6379 ping`);
    expect(main.lifecycle.preStop.exec.command[2]).toContain('sentinel failover primary');
    // Members start together so the Sentinels can meet after a full restart; port 26379 is declared once.
    expect(only(manifests, 'StatefulSet').spec.podManagementPolicy).toBe('Parallel');
    expect(main.ports.map((p: any) => p.name)).toEqual(['redis']);
    expect(sentinel.ports.map((p: any) => p.name)).toEqual(['sentinel']);
    expect(sentinel.resources.limits).toEqual(sentinel.resources.requests);
    expect(only(manifests, 'Service', 'db').spec.ports.map((p: any) => p.port)).toEqual([6379, 26379]);
    expect(only(manifests, 'ConfigMap', 'db-config').data).not.toHaveProperty('sentinel.conf');
    expect(budgets[0].spec.maxUnavailable).toBe(1);
    expect(db.tolerance().summary).toBe('3 replicas over 3 zones; survives loss of 1 zone or 1 node; drains evict one pod at a time; quorum 2');
    expect(family).toBe(main.name);
  });
});

describe('Cassandra racks', () => {
  test('one StatefulSet per rack pinned to its zone, GossipingPropertyFileSnitch per rack, seeds per rack', () => {
    const { sets, manifests, budgets, db } = synth({
      engine: Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west' }), replicas: 6, memory: Size.gibibytes(8),
    });
    expect(sets.map((s) => [s.metadata.name, s.spec.replicas])).toEqual([['db-eu-west-1a', 2], ['db-eu-west-1b', 2], ['db-eu-west-1c', 2]]);
    for (const [i, s] of sets.entries()) {
      expect(s.spec.selector.matchLabels).toEqual({ ...DB_SELECTOR('cassandra', 'db'), 'cdk8s-databases.io/rack': `eu-west-1${'abc'[i]}` });
      expect(s.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions)
        .toEqual([{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [ZONES[i]] }]);
      expect(env(s.spec.template.spec.containers[0], 'JVM_EXTRA_OPTS').value).toContain(`cassandra-rackdc-eu-west-1${'abc'[i]}.properties`);
      expect(s.spec.template.spec.containers[0].env.filter((e: any) => e.name === 'JVM_EXTRA_OPTS')).toHaveLength(1);
    }
    const config = only(manifests, 'ConfigMap', 'db-config').data;
    expect(config['cassandra-rackdc-eu-west-1b.properties']).toBe('dc=eu-west\nrack=eu-west-1b\n');
    expect(config['cassandra.yaml']).toContain('- seeds: "db-eu-west-1a-0.db-headless.data.svc,db-eu-west-1b-0.db-headless.data.svc,db-eu-west-1c-0.db-headless.data.svc"');
    // The first statement reaches cqlsh from an env var, never spliced into the script's text.
    const rolesContainer = jobNamed(manifests, 'db-roles').spec.template.spec.containers[0];
    expect(rolesContainer.command[2]).toContain('-e "$FIRST_CQL"');
    expect(env(rolesContainer, 'FIRST_CQL').value).toContain("ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', 'eu-west': 3}");
    expect(budgets).toHaveLength(1);
    expect(budgets[0].spec).toMatchObject({ selector: { matchLabels: DB_SELECTOR('cassandra', 'db') }, maxUnavailable: 1 });
    expect(evaluateBudgets(views(budgets), members(sets))).toMatchObject({ overlapping: [], evictableAtOnce: 1 });
    expect(only(manifests, 'Service', 'db').spec.selector).toEqual(DB_SELECTOR('cassandra', 'db'));
    expect(db.tolerance()).toMatchObject({
      replicas: 6, zones: 3, quorum: 2, maxMembersPerZone: 2, zoneFailuresTolerated: 1, nodeFailuresTolerated: 1, drainsEvictAtOnce: 1,
    });
    expect(db.tolerance().summary).toBe('6 replicas over 3 zones; survives loss of 1 zone or 1 node; drains evict one pod at a time; QUORUM needs 2 of 3 replicas per range');
  });

  test('replication factor 5 over 5 racks lets drains take two nodes', () => {
    const zones = ['z1', 'z2', 'z3', 'z4', 'z5'];
    const { budgets, db } = synth({ engine: Engine.cassandra({ version: CassandraVersion.V4_1 }), replicas: 5, zones, replicationFactor: 5 });
    expect(budgets[0].spec.maxUnavailable).toBe(2);
    expect(db.tolerance()).toMatchObject({ quorum: 3, zoneFailuresTolerated: 2, nodeFailuresTolerated: 2, drainsEvictAtOnce: 2 });
  });
});

describe('MySQL Group Replication', () => {
  test('single-primary group with per-member identity, a keeper sidecar and a majority budget', () => {
    const { main, pod, manifests, budgets, db } = synth({ engine: Engine.mysql({ version: MysqlVersion.V8_4 }), databaseName: 'billing' });
    // The entrypoint is sourced and its SQL runs with sql_log_bin=0: no local GTIDs (details in test/mysql-group-replication.test.ts).
    expect(main.command.slice(0, 2)).toEqual(['bash', '-c']);
    expect(main.command[2]).toContain('_main mysqld --server-id=$((${HOSTNAME##*-} + 1)) --report-host=$HOSTNAME.db-headless.data.svc --loose-group-replication-local-address=$HOSTNAME.db-headless.data.svc:33061');
    expect(main.env.map((e: any) => e.name)).toEqual(['MYSQL_ROOT_PASSWORD']);
    const cnf = only(manifests, 'ConfigMap', 'db-config').data['cdk8s-databases.cnf'];
    expect(cnf).toMatch(/^gtid_mode=ON$/m);
    expect(cnf).toMatch(/^loose-group_replication_group_seeds=db-0.db-headless.data.svc:33061,db-1.db-headless.data.svc:33061,db-2.db-headless.data.svc:33061$/m);
    expect(cnf).toMatch(/^loose-group_replication_group_name=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/m);
    const keeper = pod.containers.find((c: any) => c.name === 'group-keeper');
    expect(keeper.command[2]).toContain("SET GLOBAL group_replication_bootstrap_group=%s;\\nSTART GROUP_REPLICATION USER='root', PASSWORD='%s'");
    expect(keeper.command[2]).toContain("local_sql -e 'SET GLOBAL group_replication_bootstrap_group=OFF'");
    expect(keeper.command[2]).toContain("'CREATE DATABASE IF NOT EXISTS `billing`'");
    expect(main.readinessProbe.exec.command[2]).toContain('grep -q ONLINE');
    expect(only(manifests, 'Service', 'db-headless').spec.ports.map((p: any) => p.port)).toEqual([3306, 33061]);
    expect(budgets[0].spec.maxUnavailable).toBe(1);
    expect(db.failoverNotes).toContain('After a whole-group outage the keeper bootstraps the member with the largest transaction set');
  });
});

describe('custom engine topology', () => {
  test('a custom engine declares its replication mode and role label and gets budgets and Services from them', () => {
    const engine = keydbEngine({ roleLabelKey: 'example.com/role' });
    const { manifests, budgets, sets, db } = synth({ engine, roleBudgets: true });
    expect(only(manifests, 'Service', 'db').spec.selector['example.com/role']).toBe('primary');
    expect(only(manifests, 'Service', 'db-ro').spec.selector['example.com/role']).toBe('replica');
    expect(budgets.map((b) => b.spec.minAvailable)).toEqual([1, 1, 1]);
    expect(evaluateBudgets(views(budgets), members(sets, { key: 'example.com/role', primary: 'primary', replica: 'replica' })).overlapping).toEqual([]);
    expect(db.quorum).toBe(1);
  });
});

describe('disruption semantics', () => {
  test('a role budget with maxUnavailable would never allow an eviction: the controller expects all replicas', () => {
    const sets = [{ metadata: { name: 'db' }, spec: { replicas: 3, template: { metadata: { labels: { app: 'db' } } } } }];
    const role = { key: 'role', primary: 'primary', replica: 'replica' };
    const primaryOnly = [{ name: 'p', matchLabels: { app: 'db', role: 'primary' }, maxUnavailable: 1 }];
    expect(evaluateBudgets(primaryOnly, members(sets, role)).allowed.p).toBe(0);
    const percent = [{ name: 'r', matchLabels: { app: 'db', role: 'replica' }, minAvailable: '50%' }];
    expect(evaluateBudgets(percent, members(sets, role)).allowed.r).toBe(0);
    const integer = [{ name: 'r', matchLabels: { app: 'db', role: 'replica' }, minAvailable: 1 }];
    expect(evaluateBudgets(integer, members(sets, role)).allowed.r).toBe(1);
  });

  test('overlapping budgets are detected and their pods are never evictable', () => {
    const sets = [{ metadata: { name: 'db' }, spec: { replicas: 3, template: { metadata: { labels: { app: 'db' } } } } }];
    const overlapping = [{ name: 'a', matchLabels: { app: 'db' }, maxUnavailable: 1 }, { name: 'b', matchLabels: { app: 'db' }, maxUnavailable: 1 }];
    expect(evaluateBudgets(overlapping, members(sets))).toMatchObject({ overlapping: ['db-0', 'db-1', 'db-2'], evictableAtOnce: 0 });
  });

  test.each([
    ['postgres', { engine: Engine.postgres({ version: PostgresVersion.V16 }) }],
    ['postgres with role budgets', { engine: Engine.postgres({ version: PostgresVersion.V15 }), roleBudgets: true }],
    ['mysql', { engine: Engine.mysql({ version: MysqlVersion.V8_0 }) }],
    ['mongodb', { engine: Engine.mongodb({ version: MongoDbVersion.V8_0 }) }],
    ['redis', { engine: Engine.redis({ version: RedisVersion.V7_2 }) }],
    ['cassandra', { engine: Engine.cassandra({ version: CassandraVersion.V4_1 }) }],
  ])('%s: no member is selected by two budgets, and drains take one member at a time', (_n, props) => {
    const { budgets, sets, db } = synth(props as ReplicatedDatabaseProps);
    const role = (props as any).roleBudgets ? { key: 'spilo-role', primary: 'master', replica: 'replica' } : undefined;
    const e = evaluateBudgets(views(budgets), members(sets, role));
    expect(e.overlapping).toEqual([]);
    expect(e.evictableAtOnce).toBe(1);
    expect(db.tolerance().drainsEvictAtOnce).toBe(1);
    expect(db.tolerance().overlappingBudgetMembers).toEqual([]);
  });
});

describe('role budgets while a role is not known', () => {
  test('a member without its role label is in exactly one budget and held, so a drain never takes it beside a replica', () => {
    const { budgets, sets } = synth({ engine: Engine.postgres({ version: PostgresVersion.V15 }), roleBudgets: true, replicas: 3 });
    const all = members(sets, { key: 'spilo-role', primary: 'master', replica: 'replica' });
    // db-2 lost its label (failover under way, or its agent not yet reporting).
    const unlabelled = all.map((m) => m.name === 'db-2' ? { ...m, labels: Object.fromEntries(Object.entries(m.labels).filter(([k]) => k !== 'spilo-role')) } : m);
    const e = evaluateBudgets(views(budgets), unlabelled);
    expect(e.overlapping).toEqual([]);
    expect(e.allowed).toMatchObject({ 'db-primary': 0, 'db-replicas': 0, 'db-unknown-role': 0 });
    expect(e.evictableAtOnce).toBe(0);
    // Two without a role (e.g. the old primary and a replica mid-failover): one of them may go.
    const two = unlabelled.map((m) => m.name === 'db-0' ? { ...m, labels: Object.fromEntries(Object.entries(m.labels).filter(([k]) => k !== 'spilo-role')) } : m);
    expect(evaluateBudgets(views(budgets), two).allowed['db-unknown-role']).toBe(1);
  });
});

describe('synth report', () => {
  test('app.synth() writes the report as JSON and Markdown beside the YAML', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
    const app = new App({ outdir });
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new ReplicatedDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ZONES });
    app.synth();
    const json = JSON.parse(fs.readFileSync(path.join(outdir, 'cdk8s-databases-report', 'report.json'), 'utf8'));
    expect(json.databases).toHaveLength(1);
    expect(json.databases[0]).toMatchObject({
      path: 'shop/orders',
      name: 'orders',
      engine: 'postgresql 16.6',
      replicas: 3,
      zones: 3,
      quorum: 1,
      zoneFailuresTolerated: 2,
      nodeFailuresTolerated: 2,
      drainsEvictAtOnce: 1,
      budgets: 'orders',
      primaryHost: 'orders.shop.svc',
      readerHost: 'orders-ro.shop.svc',
    });
    const md = fs.readFileSync(path.join(outdir, 'cdk8s-databases-report', 'report.md'), 'utf8');
    expect(md).toContain('## orders (postgresql 16.6)');
    expect(md).toContain('**3 replicas over 3 zones; survives loss of 2 zones or 2 nodes; drains evict one pod at a time; quorum 1**');
    expect(fs.existsSync(path.join(outdir, 'shop.k8s.yaml'))).toBe(true);
    fs.rmSync(outdir, { recursive: true });
  });
});

describe('tolerance figures come from the synthesized objects', () => {
  test.each([
    ['postgres', { engine: Engine.postgres({ version: PostgresVersion.V16 }), roleBudgets: true }],
    ['mysql', { engine: Engine.mysql({ version: MysqlVersion.V8_4 }) }],
    ['mongodb 5 over 3 zones', { engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), replicas: 5, hostSpread: Spread.required() }],
    ['redis', { engine: Engine.redis({ version: RedisVersion.V7_4 }), zones: undefined }],
    ['cassandra', { engine: Engine.cassandra({ version: CassandraVersion.V5_0 }), replicas: 6 }],
  ])('%s: the figures equal those read back from the YAML', (_n, props) => {
    const { db, sets, budgets } = synth(props as ReplicatedDatabaseProps);
    const plan = (db as any).plan;
    const fromYaml = computeTolerance({
      statefulSets: sets,
      budgets,
      mode: plan.mode,
      quorum: db.quorum,
      zonesDeclared: (props as any).zones === undefined && 'zones' in props ? undefined : 3,
      roleLabel: plan.roleLabel,
      replicationFactor: (db as any).replicationFactor,
      notes: db.tolerance().notes.filter((n) => !n.startsWith('Zones are') && !n.startsWith('Host spreading')),
    });
    expect(db.tolerance()).toEqual(fromYaml);
  });
});

describe('ReplicatedDatabase defaults', () => {
  test('locks every documented default', () => {
    const chart = newChart('data');
    const db = new ReplicatedDatabase(chart, 'db', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'db' });
    const manifests = synthValid(chart);
    const sts = only(manifests, 'StatefulSet');
    expect(sts.spec.replicas).toBe(3); // replicas
    expect(sts.spec.template.spec.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
      ['topology.kubernetes.io/zone', 'ScheduleAnyway'], // zoneSpread without zones
      ['kubernetes.io/hostname', 'ScheduleAnyway'], // hostSpread
    ]);
    expect(manifests.filter((m) => m.kind === 'PodDisruptionBudget')).toHaveLength(1); // roleBudgets: false
    expect(only(manifests, 'ConfigMap', 'db-spilo').data['spilo.yaml']).toMatch(/synchronous_mode: false/); // synchronousStandbys: 0
    expect(db.tolerance().zones).toBeUndefined(); // zones not declared
  });

  test('explicit racks with their zones, and the Cassandra replication factor default of 3', () => {
    const chart = newChart('data');
    new ReplicatedDatabase(chart, 'db', {
      engine: Engine.cassandra({ version: CassandraVersion.V4_1 }),
      name: 'ring',
      zones: ZONES,
      replicas: 3,
      racks: [{ name: 'r1', zone: ZONES[0] }, { name: 'r2', zone: ZONES[1] }, { name: 'r3', zone: ZONES[2] }],
    });
    const manifests = synthValid(chart);
    expect(manifests.filter((m) => m.kind === 'StatefulSet').map((s) => s.metadata.name)).toEqual(['ring-r1', 'ring-r2', 'ring-r3']);
    expect(env(jobNamed(manifests, 'ring-roles').spec.template.spec.containers[0], 'FIRST_CQL').value).toContain("'dc1': 3}");
  });
});
