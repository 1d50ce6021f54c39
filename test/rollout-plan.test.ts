import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Duration, JsonPatch } from 'cdk8s';
import {
  CassandraVersion, Engine, MongoDbVersion, MysqlVersion, PodManagementPolicy, PostgresVersion, RedisVersion, ReplicatedDatabase,
  ReplicatedDatabaseProps, StatefulDatabase, StatefulDatabaseProps, UpdateStrategy,
} from '../src';
import { keydbEngine } from './support/engines';
import { newChart, only, synthValid } from './support/synth';
import { readRolloutStatefulSet, rolloutStatefulSet } from '../src/report/rollout-plan';
import { ReportEntry } from '../src/report/synth-report';

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const WHAT_ROLLS = 'What rolls: a change of the pod template (image or version, resources, env, settings read at start, which the '
  + 'config-checksum annotation covers); a change elsewhere in the StatefulSet restarts nothing.';
const PDB = (names: string) => `PodDisruptionBudgets (${names}) do not gate this: the StatefulSet controller deletes pods itself, `
  + 'and budgets limit evictions (drains) only. A member down for the rollout does count against them, so a drain during the '
  + 'rollout may wait.';
const FORCED_ROLLBACK = 'An updated member that never becomes Ready stops the rollout there; reverting the template is not enough: '
  + 'also delete that pod, so that it is recreated from the reverted template (StatefulSet "forced rollback").';
const ORDERED_READY = 'podManagementPolicy OrderedReady: before it stops the next member the controller also waits until every '
  + 'member of the StatefulSet, updated or not, is Running and Ready, so a member down for another reason holds the rollout.';
const PARALLEL = 'podManagementPolicy Parallel changes how members are created and removed when scaling, not updates: they still '
  + 'go one member at a time.';
const rollingOrder = (pods: string, ready = 'Running and Ready') => `db (RollingUpdate): ${pods}, one at a time: the controller `
  + `deletes a member, recreates it from the new template and stops the next only once it is ${ready}.`;

const rolloutOf = (db: { _reportEntry(): ReportEntry }) => db._reportEntry().details.rollout as string[];

function replicated(props: Partial<ReplicatedDatabaseProps>) {
  const chart = newChart('shop');
  const db = new ReplicatedDatabase(chart, 'db', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'db', zones: ZONES, ...props });
  return { db, manifests: synthValid(chart), plan: rolloutOf(db) };
}

function single(props: Partial<StatefulDatabaseProps>) {
  const chart = newChart('shop');
  const db = new StatefulDatabase(chart, 'db', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'db', ...props });
  return { db, manifests: synthValid(chart), plan: rolloutOf(db) };
}

/** Every preStop command of the StatefulSet's pod template, joined. */
function preStops(sts: any): string {
  return sts.spec.template.spec.containers.map((c: any) => (c.lifecycle?.preStop?.exec?.command ?? []).join(' ')).join('\n');
}

describe('the rollout plan of each replicated engine: order, handover and readiness, as the YAML runs them', () => {
  test.each([
    ['PostgreSQL (Patroni)', Engine.postgres({ version: PostgresVersion.V16 }), ORDERED_READY,
      ['only on the member that holds the leader lock (`GET /leader` answers 200)', '`POST /switchover` to the lowest ordinal above its own',
        'a switchover without a candidate', 'Replicas stop without a handover.'],
      ["Patroni's `/readiness` answers 200", '`patroni-config` sidecar has applied the dynamic configuration'],
      ['$API/leader', '$API/switchover', '\\"candidate\\":\\"$STS-$CAND\\"']],
    ['MySQL Group Replication', Engine.mysql({ version: MysqlVersion.V8_4 }), PARALLEL,
      ['shuts mysqld down cleanly (`mysqladmin shutdown`)', 'There is no planned handover', 'group-keeper sidecar joins the member'],
      ['ONLINE in the group'],
      ['mysqladmin -uroot --socket=/var/run/mysqld/mysqld.sock shutdown']],
    ['MongoDB replica set', Engine.mongodb({ version: MongoDbVersion.V7_0 }), ORDERED_READY,
      ['runs rs-member-stop.js', 'waits (at most 90 s)', '`replSetStepDown` (60 s, secondaryCatchUpPeriodSecs 15', 'then `mongod --shutdown`'],
      ['`hello` reports PRIMARY or SECONDARY'],
      ['rs-member-stop.js', 'mongod --shutdown']],
    ['Redis Sentinel', Engine.redis({ version: RedisVersion.V7_4 }), PARALLEL,
      ['acts on the primary only, when a replica is connected', '`CLIENT PAUSE 30000 WRITE`', '`SENTINEL FAILOVER`', 'then `SHUTDOWN`'],
      ['its Sentinel has met at least 1 other Sentinel(s), enough for a quorum of 2'],
      ['client pause 30000 write', 'sentinel failover primary', 'sentinel get-master-addr-by-name primary']],
  ])('%s', (_name, engine, policy, handover, ready, yamlPreStop) => {
    const { manifests, plan } = replicated({ engine });
    const sts = only(manifests, 'StatefulSet', 'db');
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(plan.slice(0, 3)).toEqual([WHAT_ROLLS, rollingOrder('db-2, then db-1, then db-0'), policy]);
    expect(sts.spec.podManagementPolicy).toBe(policy === PARALLEL ? 'Parallel' : 'OrderedReady');
    const handoverLine = plan.find((l) => l.startsWith('Handover: '))!;
    for (const fragment of handover) expect(handoverLine).toContain(fragment);
    const readyLine = plan.find((l) => l.startsWith('Ready means: '))!;
    for (const fragment of ready) expect(readyLine).toContain(fragment);
    // The handover the plan describes is the one the pods run.
    const hooks = preStops(sts);
    for (const fragment of yamlPreStop) expect(hooks).toContain(fragment);
    expect(plan.slice(-2)).toEqual([FORCED_ROLLBACK, PDB('db')]);
  });

  test('MongoDB: the stop script in the ConfigMap steps the primary down as the plan says', () => {
    const { manifests } = replicated({ engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }) });
    const script = only(manifests, 'ConfigMap', 'db-config').data['rs-member-stop.js'];
    expect(script).toContain('replSetStepDown: 60, secondaryCatchUpPeriodSecs: 15');
    expect(script).toContain('waited < 90');
  });

  test('Patroni: the readiness probe the plan names is the one on the pod', () => {
    const { manifests } = replicated({});
    const containers = only(manifests, 'StatefulSet', 'db').spec.template.spec.containers;
    expect(containers.find((c: any) => c.name === 'postgresql').readinessProbe.httpGet.path).toBe('/readiness');
    expect(containers.find((c: any) => c.name === 'patroni-config').readinessProbe.exec.command).toEqual(['test', '-f', '/tmp/patroni-config.applied']);
  });

  test('role budgets are named in the sentence that says budgets do not gate a rollout', () => {
    const { plan } = replicated({ roleBudgets: true });
    expect(plan[plan.length - 1]).toBe(PDB('db-primary, db-replicas, db-unknown-role'));
  });

  test('a custom engine without a handover: the plan says none is planned, with its grace period', () => {
    const { manifests, plan } = replicated({ engine: keydbEngine({ roleLabelKey: 'example.com/role' }) });
    const grace = only(manifests, 'StatefulSet', 'db').spec.template.spec.terminationGracePeriodSeconds;
    expect(plan).toContain(`Handover: none planned; a stopping member gets only SIGTERM, within the ${grace} s grace period.`);
    expect(plan.some((l) => l.startsWith('Ready means: '))).toBe(false);
  });
});

describe('update strategy', () => {
  test('a partition holds the ordinals below it and rolls the others from the top down', () => {
    const { manifests, plan } = replicated({ replicas: 5, zones: undefined, updateStrategy: UpdateStrategy.rollingUpdate({ partition: 2 }) });
    expect(only(manifests, 'StatefulSet', 'db').spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 2 } });
    expect(plan[1]).toBe('db (RollingUpdate, partition 2): db-4, then db-3, then db-2, one at a time: the controller deletes a member, '
      + 'recreates it from the new template and stops the next only once it is Running and Ready. db-1, db-0 stay on the old template '
      + '(ordinals below the partition are held, and come back on it when deleted): lower the partition to 0 to finish.');
  });

  test('a partition of every member rolls nothing', () => {
    const { plan } = replicated({ updateStrategy: UpdateStrategy.rollingUpdate({ partition: 3 }) });
    expect(plan[1]).toBe('db (RollingUpdate, partition 3): nothing rolls; the partition holds every member (db-2, db-1, db-0) on the old '
      + 'template. Lower it to roll.');
    expect(plan).not.toContain(FORCED_ROLLBACK);
  });

  test('OnDelete: nothing rolls until pods are deleted, and the plan gives the order to delete them in', () => {
    const { manifests, plan } = replicated({ updateStrategy: UpdateStrategy.onDelete() });
    expect(only(manifests, 'StatefulSet', 'db').spec.updateStrategy).toEqual({ type: 'OnDelete' });
    expect(plan[1]).toBe('db (OnDelete): nothing rolls by itself; a member takes the new template only when its pod is deleted. Delete '
      + 'them one at a time, highest ordinal first (db-2, then db-1, then db-0), each once the one before it is Ready again '
      + '(`kubectl wait --for=condition=Ready pod/<pod>`).');
    // No controller-driven rollout: neither the policy's effect on it nor the forced rollback applies.
    expect(plan.some((l) => l.startsWith('podManagementPolicy'))).toBe(false);
    expect(plan).not.toContain(FORCED_ROLLBACK);
    expect(plan.find((l) => l.startsWith('Handover: '))).toContain('`POST /switchover`');
  });

  test('minReady: each member must stay Ready that long before the next stops', () => {
    const { manifests, plan } = replicated({ minReady: Duration.seconds(30) });
    expect(only(manifests, 'StatefulSet', 'db').spec.minReadySeconds).toBe(30);
    expect(plan[1]).toBe(rollingOrder('db-2, then db-1, then db-0', 'Running and Ready for 30 s (minReadySeconds)'));
  });

  test('the plan reads the StatefulSet as synthesized: a user\'s patch of the update strategy shows', () => {
    const chart = newChart('shop');
    const db = new ReplicatedDatabase(chart, 'db', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'db', zones: ZONES });
    db.statefulSets[0].addJsonPatch(JsonPatch.replace('/spec/updateStrategy', { type: 'OnDelete' }));
    expect(only(synthValid(chart), 'StatefulSet', 'db').spec.updateStrategy).toEqual({ type: 'OnDelete' });
    expect(rolloutOf(db)[1]).toMatch(/^db \(OnDelete\): nothing rolls by itself/);
  });
});

describe('reading the StatefulSet without rendering it', () => {
  // The report reads an unpatched StatefulSet from the values the assembly wrote (rendering all of it made the
  // report of 1000 databases cost 0.8 s): they must be the values the YAML carries.
  test.each([
    ['PostgreSQL defaults', {}],
    ['partition, minReady, grace period', { updateStrategy: UpdateStrategy.rollingUpdate({ partition: 2 }), minReady: Duration.seconds(30), terminationGracePeriod: Duration.seconds(90) }],
    ['OnDelete, Parallel', { updateStrategy: UpdateStrategy.onDelete(), podManagementPolicy: PodManagementPolicy.PARALLEL }],
    ['MongoDB', { engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }) }],
    ['Cassandra racks', { engine: Engine.cassandra({ version: CassandraVersion.V5_0 }), replicas: 6 }],
    ['a custom engine without a stop hook', { engine: keydbEngine() }],
  ])('ReplicatedDatabase, %s: the fields read are those synthesized', (_name, props: Partial<ReplicatedDatabaseProps>) => {
    const { db } = replicated(props);
    for (const sts of db.statefulSets) expect(readRolloutStatefulSet(sts)).toEqual(rolloutStatefulSet(sts.toJson()));
  });

  test.each([
    ['PostgreSQL defaults', {}],
    ['Redis, partition 1, grace period', { engine: Engine.redis({ version: RedisVersion.V7_4 }), updateStrategy: UpdateStrategy.rollingUpdate({ partition: 1 }), terminationGracePeriod: Duration.seconds(45) }],
  ])('StatefulDatabase, %s: the fields read are those synthesized', (_name, props: Partial<StatefulDatabaseProps>) => {
    const { db } = single(props);
    expect(readRolloutStatefulSet(db.statefulSet)).toEqual(rolloutStatefulSet(db.statefulSet.toJson()));
  });

  test('a user\'s patch of a StatefulDatabase\'s update strategy shows in its plan', () => {
    const chart = newChart('shop');
    const db = new StatefulDatabase(chart, 'db', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'db' });
    db.statefulSet.addJsonPatch(JsonPatch.replace('/spec/updateStrategy', { type: 'OnDelete' }));
    expect(only(synthValid(chart), 'StatefulSet', 'db').spec.updateStrategy).toEqual({ type: 'OnDelete' });
    expect(rolloutOf(db)[1]).toMatch(/^db \(OnDelete\): nothing rolls by itself; db-0, the only member/);
  });
});

describe('Cassandra racks', () => {
  const RACKS = ZONES.map((z) => `db-${z}`);

  test('each rack rolls top down, the racks at the same time, and the ring lock stops one node of the datacenter at a time', () => {
    const { manifests, plan } = replicated({ engine: Engine.cassandra({ version: CassandraVersion.V5_0 }), replicas: 6 });
    expect(manifests.filter((m) => m.kind === 'StatefulSet').map((m) => m.metadata.name)).toEqual(RACKS);
    expect(plan.slice(1, 6)).toEqual([
      ...RACKS.map((r) => `${r} (RollingUpdate): ${r}-1, then ${r}-0, one at a time: the controller deletes a member, recreates it from `
        + 'the new template and stops the next only once it is Running and Ready.'),
      `podManagementPolicy OrderedReady (${RACKS.join(', ')}): before it stops the next member the controller also waits until every `
        + 'member of the StatefulSet, updated or not, is Running and Ready, so a member down for another reason holds the rollout.',
      `The 3 StatefulSets (${RACKS.join(', ')}) roll independently and at the same time: Kubernetes orders the members of one `
        + 'StatefulSet, never one StatefulSet after another, so one member of each may stop at once unless the engine\'s stop hook '
        + 'serialises them (below).',
    ]);
    const handover = plan.find((l) => l.startsWith('Handover: '))!;
    expect(handover).toContain('takes the ring lock (Lease db-ring) and waits until every node is Up/Normal in `nodetool status` '
      + '(both bounded at 900 s, then it stops anyway), runs `nodetool drain`');
    expect(handover).toContain('stop one node of the datacenter at a time');
    expect(plan).toContain('Ready means: the node accepts CQL connections on port 9042.');
    // What the hook does, in the YAML.
    for (const r of RACKS) expect(preStops(only(manifests, 'StatefulSet', r))).toContain('ring-prestop.sh');
    const script = only(manifests, 'ConfigMap', 'db-config').data['ring-prestop.sh'];
    expect(script).toContain('GATE_SECONDS=900');
    expect(script).toContain('ops lock-acquire');
    expect(script).toContain('nodetool drain');
  });

  test('a partition holds the same ordinals in every rack', () => {
    const { plan } = replicated({
      engine: Engine.cassandra({ version: CassandraVersion.V5_0 }), replicas: 6, updateStrategy: UpdateStrategy.rollingUpdate({ partition: 1 }),
    });
    for (const r of RACKS) {
      expect(plan).toContain(`${r} (RollingUpdate, partition 1): ${r}-1, one at a time: the controller deletes a member, recreates it `
        + `from the new template and stops the next only once it is Running and Ready. ${r}-0 stays on the old template (ordinals `
        + 'below the partition are held, and come back on it when deleted): lower the partition to 0 to finish.');
    }
  });
});

describe('StatefulDatabase: a single member', () => {
  test('the only member restarts, with an outage until it is Ready again', () => {
    const { manifests, db, plan } = single({});
    const sts = only(manifests, 'StatefulSet', 'db');
    expect(plan).toEqual([
      WHAT_ROLLS,
      'db (RollingUpdate): db-0, the only member, restarts on the new template: the database is unavailable from its stop until it is '
        + 'Running and Ready again.',
      `Stop: its preStop hook, then SIGTERM, within the ${sts.spec.template.spec.terminationGracePeriodSeconds} s grace period.`,
      FORCED_ROLLBACK,
    ]);
    expect(preStops(sts)).not.toBe('');
    expect(db._reportEntry()).toMatchObject({
      kind: 'database',
      name: 'db',
      summary: 'a single instance: the database is unavailable while its only member restarts',
      details: { engine: 'postgresql 16.6', replicas: 1, host: 'db.shop.svc' },
    });
  });

  test('OnDelete: the member takes the new template when its pod is deleted', () => {
    const { plan } = single({ updateStrategy: UpdateStrategy.onDelete() });
    expect(plan[1]).toBe('db (OnDelete): nothing rolls by itself; db-0, the only member, takes the new template when you delete it '
      + '(`kubectl delete pod db-0`): the database is unavailable from its stop until it is Running and Ready again.');
    expect(plan).not.toContain(FORCED_ROLLBACK);
  });

  test('partition 1 holds the member', () => {
    const { plan } = single({ updateStrategy: UpdateStrategy.rollingUpdate({ partition: 1 }) });
    expect(plan[1]).toBe('db (RollingUpdate, partition 1): nothing rolls; the partition holds db-0, the only member, on the old '
      + 'template. Set it to 0 to roll.');
  });

  test('the blockEvictions budget does not hold a rollout back', () => {
    const { manifests, plan } = single({ blockEvictions: true });
    expect(only(manifests, 'PodDisruptionBudget', 'db').spec.maxUnavailable).toBe(0);
    expect(plan[plan.length - 1]).toBe(PDB('db'));
  });
});

describe('the synth report shows the plan', () => {
  test('app.synth() writes each database\'s rollout into report.json and as a nested list into report.md', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollout-report-'));
    try {
      const app = new App({ outdir });
      const chart = new Chart(app, 'shop', { namespace: 'shop' });
      new ReplicatedDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ZONES });
      new StatefulDatabase(chart, 'cache', { engine: Engine.redis({ version: RedisVersion.V7_4 }), name: 'cache' });
      synthValid(chart);
      app.synth();
      const dir = path.join(outdir, 'cdk8s-databases-report');
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
      expect(json.databases.map((d: any) => [d.name, d.rollout[1]])).toEqual([
        ['orders', 'orders (RollingUpdate): orders-2, then orders-1, then orders-0, one at a time: the controller deletes a member, '
          + 'recreates it from the new template and stops the next only once it is Running and Ready.'],
        ['cache', 'cache (RollingUpdate): cache-0, the only member, restarts on the new template: the database is unavailable from its '
          + 'stop until it is Running and Ready again.'],
      ]);
      expect(json.databases[0].rollout).toContain(PDB('orders'));
      expect(json.databases[1]).toMatchObject({ path: 'shop/cache', engine: 'redis 7.4.1', replicas: 1, host: 'cache.shop.svc' });

      const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
      expect(md).toContain('## cache (redis 7.4.1)');
      // Each step is one nested list item under `- rollout:`, on one line.
      for (const db of json.databases) {
        expect(md).toContain(`- rollout:${db.rollout.map((step: string) => `\n  - ${step}`).join('')}\n`);
      }
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
