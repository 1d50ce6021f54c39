import * as path from 'path';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as ts from 'typescript';
import {
  ApplicationUser, ApplySafety, ApplyVerdict, CassandraVersion, Credentials, Engine, IssuerKind, MongoDbVersion, MysqlVersion,
  NodeSelectorOperator, PodManagementPolicy, PostgresVersion, PvcRetention, QosClass, ReplicatedDatabase, Restore, Spread,
  StatefulDatabase, StorageAccessMode, TaintEffect, TolerationOperator, UpdateStrategy, VolumeMode,
} from '../src';
import { newChart, synthValid } from './support/synth';
import { typeCheckModules } from './support/typecheck';

// The issue's test: for every prop, change it between two synths and assert that the diff either applies or is
// reported with the verdict it deserves. Props are read from the interfaces with the TypeScript compiler, so a prop
// added later without a row here fails the first test.

/** Every property of an exported props interface, inherited ones included, as a user's program sees it. */
function propsOf(name: string): string[] {
  const file = path.resolve(__dirname, `props-of-${name}.ts`);
  const program = typeCheckModules(new Map([[file, `import { ${name} } from 'cdk8s-databases';\nexport declare const props: ${name};\n`]]));
  const checker = program.getTypeChecker();
  const declaration = program.getSourceFile(file)!.statements.find(ts.isVariableStatement)!.declarationList.declarations[0];
  return checker.getPropertiesOfType(checker.getTypeAtLocation(declaration)).map((p) => p.getName());
}

type Construct = 'single' | 'replicated';

interface Row {
  /** What the row shows, when a prop has several. */
  readonly title?: string;
  /** Which construct the row synthesizes. */
  readonly on: Construct;
  /** Props both synths share (engine and name default to PostgreSQL 16 `orders`; zones to a, b, c). */
  readonly base?: Record<string, unknown>;
  /** The prop's value before and after; undefined leaves it out. */
  readonly from: unknown;
  readonly to: unknown;
  /** Other props that must change with it for both synths to be valid. */
  readonly alsoTo?: Record<string, unknown>;
  /** Every finding, as `VERDICT Kind field`, sorted; [] when the change simply applies. */
  readonly expected: string[];
}

const pg = (version = PostgresVersion.V16) => Engine.postgres({ version });
const cassandra = () => Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west' });
const ZONES = ['a', 'b', 'c'];

function synth(on: Construct, props: Record<string, unknown>): any[] {
  const chart = newChart('shop');
  const all = { engine: pg(), name: 'orders', ...props } as any;
  if (on === 'single') new StatefulDatabase(chart, 'orders', all);
  else new ReplicatedDatabase(chart, 'orders', { zones: ZONES, ...all });
  return synthValid(chart);
}

function findingsOf(row: Row, prop: string): string[] {
  const base = row.base ?? {};
  const before = synth(row.on, row.from === undefined ? base : { ...base, [prop]: row.from });
  const after = synth(row.on, { ...base, ...row.alsoTo, ...(row.to === undefined ? {} : { [prop]: row.to }) });
  return ApplySafety.check(before, after).map((f) => `${f.verdict} ${f.kind} ${f.field}`).sort();
}

const ENGINE = `${ApplyVerdict.ENGINE_REFUSES} StatefulSet metadata.annotations[cdk8s-databases.io/engine]`;
const FCV = `${ApplyVerdict.ENGINE_REFUSES} StatefulSet metadata.annotations[cdk8s-databases.io/feature-compatibility-version]`;
/** The one member of a single instance restarts: reported, but the change applies. */
const RESTART = `${ApplyVerdict.RESTARTS_ALL} StatefulSet spec.template`;
const CLAIM_TEMPLATE = `${ApplyVerdict.REJECTED} StatefulSet spec.volumeClaimTemplates[data]`;
const single = (from: unknown, to: unknown, expected: string[] = [RESTART]): Row[] => [{ on: 'single', from, to, expected }];

const ROWS: Record<string, Row[]> = {
  engine: [
    { title: 'minor bump: the member restarts, nothing refused', on: 'single', from: pg(), to: pg(PostgresVersion.of('16.8')), expected: [RESTART] },
    { title: 'PostgreSQL 16 to 17 in place', on: 'single', from: pg(), to: pg(PostgresVersion.V17), expected: [ENGINE, RESTART] },
    { title: 'PostgreSQL 17 back to 16', on: 'single', from: pg(PostgresVersion.V17), to: pg(), expected: [ENGINE, RESTART] },
    { title: 'MySQL 8.0 to 8.4 LTS', on: 'single', from: Engine.mysql({ version: MysqlVersion.V8_0 }), to: Engine.mysql({ version: MysqlVersion.V8_4 }), expected: [RESTART] },
    { title: 'MySQL 8.0 to 9.1, past 8.4 LTS', on: 'single', from: Engine.mysql({ version: MysqlVersion.V8_0 }), to: Engine.mysql({ version: MysqlVersion.of('9.1.0') }), expected: [ENGINE, RESTART] },
    {
      title: 'MongoDB 6.0 to 7.0 at FCV 6.0',
      on: 'replicated',
      expected: [],
      from: Engine.mongodb({ version: MongoDbVersion.V6_0, featureCompatibilityVersion: '6.0' }),
      to: Engine.mongodb({ version: MongoDbVersion.V7_0, featureCompatibilityVersion: '6.0' }),
    },
    {
      title: 'MongoDB 6.0 to 7.0 without a declared FCV',
      on: 'replicated',
      expected: [FCV],
      from: Engine.mongodb({ version: MongoDbVersion.V6_0 }),
      to: Engine.mongodb({ version: MongoDbVersion.V7_0 }),
    },
    { title: 'MongoDB 6.0 to 8.0, past 7.0', on: 'replicated', from: Engine.mongodb({ version: MongoDbVersion.V6_0 }), to: Engine.mongodb({ version: MongoDbVersion.V8_0 }), expected: [ENGINE] },
  ],
  name: [{ on: 'single', from: 'orders', to: 'sales', expected: [`${ApplyVerdict.DATA_LOSS} StatefulSet metadata.name`] }],
  storageSize: [
    { title: 'grown without originalStorageSize: the claim template cannot change', on: 'single', from: Size.gibibytes(10), to: Size.gibibytes(20), expected: [`${CLAIM_TEMPLATE}.spec.resources.requests.storage`] },
    // Needs `originalStorageSize` (another helper's work, issue 10 part 3): the template keeps 10Gi, the claims are emitted at 20Gi.
    { title: 'grown with originalStorageSize: the claims grow', on: 'single', base: { originalStorageSize: Size.gibibytes(10) }, from: Size.gibibytes(10), to: Size.gibibytes(20), expected: [] },
    { title: 'grown again on three members', on: 'replicated', base: { originalStorageSize: Size.gibibytes(10) }, from: Size.gibibytes(20), to: Size.gibibytes(40), expected: [] },
    {
      title: 'shrunk: the emitted claims cannot shrink',
      on: 'single',
      base: { originalStorageSize: Size.gibibytes(10) },
      from: Size.gibibytes(30),
      to: Size.gibibytes(20),
      expected: [`${ApplyVerdict.REJECTED} PersistentVolumeClaim spec.resources.requests.storage`],
    },
  ],
  originalStorageSize: [
    { title: 'changed after the claims exist: the template would change', on: 'single', base: { storageSize: Size.gibibytes(40) }, from: Size.gibibytes(10), to: Size.gibibytes(20), expected: [`${CLAIM_TEMPLATE}.spec.resources.requests.storage`] },
  ],
  storageClassName: [{ on: 'single', from: undefined, to: 'fast', expected: [CLAIM_TEMPLATE] }],
  storageAccessMode: [{ on: 'single', from: undefined, to: StorageAccessMode.READ_WRITE_ONCE_POD, expected: [CLAIM_TEMPLATE] }],
  // Block is refused at construction for every engine (they need a filesystem), so the default written out is the only change.
  volumeMode: [{ on: 'single', from: undefined, to: VolumeMode.FILESYSTEM, expected: [] }],
  pvcRetentionWhenDeleted: [{ on: 'single', from: undefined, to: PvcRetention.DELETE, expected: [] }],
  pvcRetentionWhenScaled: [{ on: 'single', from: undefined, to: PvcRetention.DELETE, expected: [] }],
  cpu: [
    { title: 'one member: it restarts', on: 'single', from: undefined, to: kplus.Cpu.millis(2000), expected: [RESTART] },
    { title: 'three members: they roll one at a time', on: 'replicated', from: undefined, to: kplus.Cpu.millis(2000), expected: [] },
    { title: 'OnDelete: nothing restarts', on: 'single', base: { updateStrategy: UpdateStrategy.onDelete() }, from: undefined, to: kplus.Cpu.millis(2000), expected: [`${ApplyVerdict.NO_EFFECT} StatefulSet spec.template`] },
    {
      title: 'a ring\'s racks: the ring lock stops one node of the datacenter at a time',
      on: 'replicated',
      base: { engine: cassandra(), replicas: 6 },
      from: undefined,
      to: kplus.Cpu.millis(2000),
      expected: [],
    },
  ],
  memory: single(undefined, Size.gibibytes(2)),
  qosClass: single(undefined, QosClass.BURSTABLE),
  priorityClassName: single(undefined, 'databases'),
  podManagementPolicy: [{ on: 'single', from: undefined, to: PodManagementPolicy.PARALLEL, expected: [`${ApplyVerdict.REJECTED} StatefulSet spec.podManagementPolicy`] }],
  updateStrategy: [{ on: 'single', from: undefined, to: UpdateStrategy.onDelete(), expected: [] }],
  minReady: [{ on: 'single', from: undefined, to: Duration.seconds(30), expected: [] }],
  terminationGracePeriod: single(undefined, Duration.seconds(120)),
  credentials: single(undefined, Credentials.fromSecretName('orders-admin')),
  applicationUser: [{ on: 'single', from: undefined, to: ApplicationUser.superuser(), expected: [] }],
  databaseName: single(undefined, 'orders'),
  initScripts: single(undefined, { '01-schema.sql': 'CREATE TABLE t (id int);' }),
  // A restore only makes sense for a new database: on an existing one the claim template gains a dataSource.
  restoreFrom: [{ on: 'single', from: undefined, to: Restore.fromVolumeSnapshot('orders-snap-1'), expected: [CLAIM_TEMPLATE, RESTART] }],
  config: single(undefined, { work_mem: '64MB' }),
  metrics: single(undefined, false),
  serviceMonitor: [{ on: 'single', from: undefined, to: true, expected: [] }],
  monitoringNamespace: [{ on: 'single', from: undefined, to: 'observability', expected: [] }],
  tls: single(undefined, { issuerName: 'internal-ca', issuerKind: IssuerKind.CLUSTER_ISSUER }),
  blockEvictions: [{ on: 'single', from: undefined, to: true, expected: [] }],
  dedicatedNodes: single(undefined, { labelKey: 'workload', labelValue: 'database' }),
  nodeSelector: single(undefined, { disk: 'ssd' }),
  tolerations: single(undefined, [{ key: 'spot', matchOperator: TolerationOperator.EXISTS, effect: TaintEffect.NO_EXECUTE }]),
  requiredNodeAffinity: single(undefined, [{ key: 'topology.kubernetes.io/zone', matchOperator: NodeSelectorOperator.IN, values: ['eu-west-1a'] }]),
  imageRegistry: single(undefined, 'registry.internal:5000/mirror'),
  imagePullSecrets: single(undefined, ['mirror-pull']),
  labels: single(undefined, { team: 'orders' }),
  annotations: single(undefined, { 'example.com/owner': 'orders' }),
  env: single(undefined, { TZ: 'UTC' }),
  // The migrations Job is named after its content: a new image is a new Job, the finished one is left to its TTL.
  migrations: [
    { title: 'added', on: 'single', from: undefined, to: { image: 'registry.example.com/orders-migrate:1.4.0' }, expected: [] },
    { title: 'new version', on: 'single', from: { image: 'registry.example.com/orders-migrate:1.4.0' }, to: { image: 'registry.example.com/orders-migrate:1.5.0' }, expected: [] },
  ],
  replicas: [
    { on: 'replicated', from: 3, to: 5, expected: [] },
    {
      title: 'scale-in of a grown database: the claims scaled away are retained (never pruned), not lost',
      on: 'replicated',
      base: { storageSize: Size.gibibytes(40), originalStorageSize: Size.gibibytes(10) },
      from: 5,
      to: 3,
      expected: Array(2).fill(`${ApplyVerdict.NO_EFFECT} PersistentVolumeClaim metadata.name`),
    },
  ],
  zones: [{ on: 'replicated', from: ['a', 'b', 'c'], to: ['a', 'b', 'd'], expected: [] }],
  zoneCount: [{ on: 'replicated', base: { zones: undefined }, from: 3, to: 5, expected: [] }],
  zoneSpread: [{ on: 'replicated', from: undefined, to: Spread.required({ maxSkew: 1, minDomains: 3 }), expected: [] }],
  hostSpread: [{ on: 'replicated', from: undefined, to: Spread.preferred(), expected: [] }],
  allowQuorumLossOnZoneFailure: [{ on: 'replicated', base: { zones: ['a'] }, from: true, to: undefined, alsoTo: { zones: ZONES }, expected: [] }],
  roleBudgets: [{ on: 'replicated', from: undefined, to: false, expected: [] }],
  synchronousStandbys: [{ on: 'replicated', from: undefined, to: 1, expected: [] }],
  memberPriorities: [{ on: 'replicated', base: { engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }) }, from: undefined, to: [2, 1, 1], expected: [] }],
  // Naming the racks renames their StatefulSets: the racks under the new names start empty.
  racks: [{
    on: 'replicated',
    base: { engine: cassandra(), replicas: 6 },
    from: undefined,
    to: [{ name: 'r1', zone: 'a' }, { name: 'r2', zone: 'b' }, { name: 'r3', zone: 'c' }],
    expected: Array(3).fill(`${ApplyVerdict.DATA_LOSS} StatefulSet metadata.name`),
  }],
  replicationFactor: [{ on: 'replicated', base: { engine: cassandra(), replicas: 6 }, from: undefined, to: 5, expected: [] }],
};

const CASES = Object.entries(ROWS).flatMap(([prop, rows]) => rows.map((row) => [row.title ? `${prop}: ${row.title}` : prop, prop, row] as const));

describe('every prop of StatefulDatabaseProps and ReplicatedDatabaseProps has a row', () => {
  test('the rows cover every declared prop', () => {
    const declared = new Set([...propsOf('StatefulDatabaseProps'), ...propsOf('ReplicatedDatabaseProps')]);
    expect(declared.size).toBeGreaterThan(40);
    expect([...declared].filter((p) => !(p in ROWS)).sort()).toEqual([]);
  });
});

describe('changing one prop between two synths applies, or is reported with its verdict', () => {
  test.each(CASES)('%s', (_title, prop, row) => {
    expect(findingsOf(row, prop)).toEqual([...row.expected].sort());
  });
});

describe('one-off Jobs whose content changes are new objects', () => {
  test('member priorities change the replica-set Job: it gets a new name, and the old one is left to its TTL', () => {
    const jobs = (props: Record<string, unknown>) => synth('replicated', { engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), ...props })
      .filter((m) => m.kind === 'Job');
    const [before, after] = [jobs({}), jobs({ memberPriorities: [2, 1, 1] })];
    const changed = after.filter((job) => !before.some((old) => old.metadata.name === job.metadata.name));
    expect(changed.length).toBeGreaterThan(0);
    for (const job of [...before, ...after]) expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(ApplySafety.check(before, after)).toEqual([]);
  });
});
