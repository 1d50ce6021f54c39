import { ApiObject, App, Chart, Cron, Testing } from 'cdk8s';
import {
  ApplicationUser, BackupMethod, BackupSchedule, BackupTarget, DatabaseConfigError, Engine, MongoDbVersion,
  PostgresVersion, ReplicatedDatabase, ReplicatedDatabaseProps, Retention, Spread, StatefulDatabase,
  StatefulDatabaseProps,
} from '../src';
import { keydbEngine } from './support/engines';
import { expectRefused } from './support/refused';
import { newChart, only, synthValid } from './support/synth';
import { MemberView, budgetOverlaps } from '../src/disruption/budgets';

const pg = Engine.postgres({ version: PostgresVersion.V16 });
const mongo = Engine.mongodb({ version: MongoDbVersion.V7_0 });
const NIGHTLY = Cron.schedule({ minute: '30', hour: '2' });
const PVC = BackupTarget.pvc({ claimName: 'backups' });
const snapshots = () => BackupMethod.volumeSnapshot({ snapshotClassName: 'csi-snap', schedule: NIGHTLY, retention: Retention.keepLast(8) });
const dumps = () => BackupMethod.logicalDump({ schedule: NIGHTLY, target: PVC, retention: Retention.keepLast(7) });

const roleEngine = keydbEngine;


describe('objects with the same kind, namespace and name', () => {
  test('two databases with one name in one chart: the second is refused, naming the first', () => {
    const chart = newChart();
    new StatefulDatabase(chart, 'a', { engine: pg, name: 'orders' });
    expectRefused(() => new StatefulDatabase(chart, 'b', { engine: pg, name: 'orders' }),
      'test/b: emits ConfigMap "orders-config" in namespace "db", which test/a emits too', 'its own `name` ("orders" here)');
  });

  test('two charts of one app with the same namespace collide too; the error names both paths', () => {
    const app = Testing.app();
    new ReplicatedDatabase(new Chart(app, 'one', { namespace: 'shop' }), 'db', { engine: mongo, name: 'orders' });
    expectRefused(() => new StatefulDatabase(new Chart(app, 'two', { namespace: 'shop' }), 'db', { engine: pg, name: 'orders' }),
      'two/db: emits', 'in namespace "shop", which one/db emits too');
  });

  test('a database named <name>-metrics beside <name>: the derived Service names collide', () => {
    const chart = newChart();
    new StatefulDatabase(chart, 'orders', { engine: pg, name: 'orders' });
    expectRefused(() => new StatefulDatabase(chart, 'metrics', { engine: pg, name: 'orders-metrics' }),
      'Service "orders-metrics" in namespace "db", which test/orders emits too', 'none that is another\'s name plus a suffix the library adds');
  });

  test('a database named <name>-headless beside <name>', () => {
    const chart = newChart();
    new StatefulDatabase(chart, 'orders', { engine: pg, name: 'orders' });
    expectRefused(() => new StatefulDatabase(chart, 'headless', { engine: pg, name: 'orders-headless' }),
      'Service "orders-headless" in namespace "db", which test/orders emits too');
  });

  test('with app.synth() too: the construct is refused as it is created, before any synthesis', () => {
    const app = new App({ outdir: Testing.app().outdir });
    const chart = new Chart(app, 'c', { namespace: 'db' });
    new StatefulDatabase(chart, 'a', { engine: pg, name: 'orders' });
    expect(() => new StatefulDatabase(chart, 'b', { engine: pg, name: 'orders' })).toThrow(DatabaseConfigError);
  });

  test('two BackupSchedules of one database with the same method: their CronJobs collide', () => {
    const chart = newChart();
    const db = new StatefulDatabase(chart, 'db', { engine: pg, name: 'orders' });
    new BackupSchedule(chart, 'nightly', { database: db, methods: [dumps()] });
    expectRefused(() => new BackupSchedule(chart, 'again', { database: db, methods: [dumps()] }),
      'test/again: emits ServiceAccount "orders-dumps" in namespace "db", which test/nightly emits too', '`methods`');
  });

  test('two BackupSchedules of one database, each with alerts: their PrometheusRules collide', () => {
    const chart = newChart();
    const db = new StatefulDatabase(chart, 'db', { engine: pg, name: 'orders' });
    new BackupSchedule(chart, 'snap', { database: db, methods: [snapshots()], alerts: true });
    expectRefused(() => new BackupSchedule(chart, 'dump', { database: db, methods: [dumps()], alerts: true }),
      'PrometheusRule "orders-backups"', '`alerts`');
  });

  test('valid: the same name in two namespaces, and two BackupSchedules with different methods', () => {
    const app = Testing.app();
    const one = new Chart(app, 'one', { namespace: 'shop' });
    const two = new Chart(app, 'two', { namespace: 'staging' });
    const a = new StatefulDatabase(one, 'db', { engine: pg, name: 'orders' });
    new StatefulDatabase(two, 'db', { engine: pg, name: 'orders' });
    new BackupSchedule(one, 'snap', { database: a, methods: [snapshots()] });
    new BackupSchedule(one, 'dump', { database: a, methods: [dumps()] });
    const manifests = [...synthValid(one), ...synthValid(two)];
    const keys = manifests.map((m) => `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(only(manifests.filter((m) => m.metadata.namespace === 'staging'), 'StatefulSet', 'orders')).toBeDefined();
    expect(manifests.filter((m) => m.kind === 'CronJob').map((m) => m.metadata.name).sort()).toEqual(['orders-dumps', 'orders-snapshots']);
  });
});

describe('the app-level check: duplicates among all the app\'s objects, the user\'s own included', () => {
  test('a Service of the user\'s named like the database, created after it: synth fails naming both paths', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new StatefulDatabase(chart, 'db', { engine: pg, name: 'orders' });
    new ApiObject(chart, 'legacy', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'orders' } });
    expect(() => app.synth()).toThrow(
      'Service "orders" in namespace "shop" is emitted twice, by shop/db/Service and by shop/legacy: Kubernetes keeps one object per kind, namespace and name');
    expect(() => Testing.synth(chart)).toThrow('is emitted twice');
  });

  test('two objects of the user\'s in another chart of the same namespace are caught too', () => {
    const app = Testing.app();
    new StatefulDatabase(new Chart(app, 'db', { namespace: 'shop' }), 'db', { engine: pg, name: 'orders' });
    const mine = new Chart(app, 'mine', { namespace: 'shop' });
    new ApiObject(mine, 'a', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });
    new ApiObject(mine, 'b', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });
    expect(() => app.synth()).toThrow('ConfigMap "settings" in namespace "shop" is emitted twice, by mine/a and by mine/b');
  });

  test('valid: the same kind and name in another API group or another namespace', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new StatefulDatabase(chart, 'db', { engine: pg, name: 'orders' });
    new ApiObject(chart, 'knative', { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'orders' } });
    new ApiObject(new Chart(app, 'other', { namespace: 'staging' }), 'svc', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'orders' } });
    const services = Testing.synth(chart).filter((m) => m.kind === 'Service' && m.metadata.name === 'orders');
    expect(services.map((m) => m.apiVersion).sort()).toEqual(['serving.knative.dev/v1', 'v1']);
  });
});

describe('props that would be silently ignored', () => {
  const single = (props: Partial<StatefulDatabaseProps>) => () => new StatefulDatabase(newChart(), 'db', { engine: pg, name: 'db', ...props });

  test('monitoringNamespace with metrics off', () => {
    expectRefused(single({ metrics: false, monitoringNamespace: 'observability' }), '`monitoringNamespace`', '`metrics` is off', 'set `metrics: true`');
  });

  test('monitoringNamespace for an engine without an exporter', () => {
    const engine = roleEngine({});
    expectRefused(() => new StatefulDatabase(newChart(), 'db', { engine, name: 'db', monitoringNamespace: 'observability' }),
      '`monitoringNamespace`', "Engine 'keydb 6.3.4' has no exporter", 'remove `monitoringNamespace`');
  });

  test.each([
    ['app.kubernetes.io/name'], ['app.kubernetes.io/instance'], ['app.kubernetes.io/version'], ['app.kubernetes.io/component'],
    ['app.kubernetes.io/managed-by'], ['cdk8s-databases.io/rack'],
  ])('labels: the library\'s own key %s', (key) => {
    expectRefused(single({ labels: { [key]: 'x' } }), `\`labels\` sets "${key}"`, 'would be overwritten');
  });

  test('annotations: the library\'s own config checksum', () => {
    expectRefused(single({ annotations: { 'cdk8s-databases.io/config-checksum': 'x' } }),
      '`annotations` sets "cdk8s-databases.io/config-checksum"', 'would be overwritten');
  });

  test('valid: labels and annotations of the user\'s own reach the pods unchanged', () => {
    const chart = newChart();
    new StatefulDatabase(chart, 'db', {
      engine: pg, name: 'db', labels: { 'app.kubernetes.io/part-of': 'shop' }, annotations: { 'example.com/owner': 'payments' },
    });
    const template = only(synthValid(chart), 'StatefulSet', 'db').spec.template.metadata;
    expect(template.labels['app.kubernetes.io/part-of']).toBe('shop');
    expect(template.annotations['example.com/owner']).toBe('payments');
  });

  test('databaseName on Patroni is honoured, also with the superuser: the init Job creates it', () => {
    const chart = newChart();
    new ReplicatedDatabase(chart, 'db', { engine: pg, name: 'db', databaseName: 'shop', applicationUser: ApplicationUser.superuser() });
    const jobs = synthValid(chart).filter((m) => m.kind === 'Job' && m.metadata.name.startsWith('db-init-'));
    expect(jobs).toHaveLength(1);
    const script = jobs[0].spec.template.spec.containers[0].command.join(' ');
    expect(script).toMatch(/DB='?shop'?\n/);
    expect(script).toContain('CREATE DATABASE');
  });

  test('minDomains of a required host spread reaches the constraint', () => {
    const chart = newChart();
    new ReplicatedDatabase(chart, 'db', { engine: mongo, name: 'db', hostSpread: Spread.required({ minDomains: 3 }) });
    const constraints = only(synthValid(chart), 'StatefulSet', 'db').spec.template.spec.topologySpreadConstraints;
    expect(constraints.find((c: any) => c.topologyKey === 'kubernetes.io/hostname').minDomains).toBe(3);
  });
});

describe('role labels', () => {
  const replicated = (props: Partial<ReplicatedDatabaseProps>) => () =>
    new ReplicatedDatabase(newChart(), 'db', { engine: roleEngine({ roleLabelKey: 'example.com/role' }), name: 'db', ...props });

  test.each([
    ['an empty key', { roleLabelKey: '' }, 'role label key "" is not a valid label key'],
    ['an invalid key', { roleLabelKey: 'bad key' }, 'role label key "bad key" is not a valid label key'],
    ['a selector key', { roleLabelKey: 'app.kubernetes.io/component' }, 'role label key "app.kubernetes.io/component" is one of the labels the library writes'],
    ['the rack key', { roleLabelKey: 'cdk8s-databases.io/rack' }, 'role label key "cdk8s-databases.io/rack" is one of the labels'],
    ['an empty primary value', { roleLabelKey: 'example.com/role', primaryRoleValue: '' }, 'role value "" is not a valid, non-empty label value'],
    ['an invalid replica value', { roleLabelKey: 'example.com/role', replicaRoleValue: 'not valid!' }, 'role value "not valid!"'],
    ['equal values without role budgets', { roleLabelKey: 'example.com/role', replicaRoleValue: 'primary' }, 'are both "primary"'],
  ])('%s is refused', (_, role, message) => {
    expectRefused(() => new ReplicatedDatabase(newChart(), 'db', { engine: roleEngine(role), name: 'db' }), message, '`roleLabelKey`');
  });

  test('labels holding the role key are refused', () => {
    expectRefused(replicated({ labels: { 'example.com/role': 'primary' } }), '`labels` sets "example.com/role"');
  });

  test('role budgets over equal role values: refused, naming the budgets that select the same pods', () => {
    expectRefused(() => new ReplicatedDatabase(newChart(), 'db', {
      engine: roleEngine({ roleLabelKey: 'example.com/role', primaryRoleValue: 'member', replicaRoleValue: 'member' }), name: 'db', roleBudgets: true,
    }), '`roleBudgets`', '"db-primary" and "db-replicas" both select the pods of StatefulSet "db" labelled example.com/role=member',
    '`primaryRoleValue`');
  });

  test('valid: distinct role values give budgets that select each pod once, whatever its role', () => {
    const chart = newChart();
    new ReplicatedDatabase(chart, 'db', { engine: roleEngine({ roleLabelKey: 'example.com/role' }), name: 'db', roleBudgets: true });
    const manifests = synthValid(chart);
    const budgets = manifests.filter((m) => m.kind === 'PodDisruptionBudget').map((b) => ({
      name: b.metadata.name,
      matchLabels: b.spec.selector.matchLabels,
      matchExpressions: b.spec.selector.matchExpressions,
      minAvailable: b.spec.minAvailable,
    }));
    const template = only(manifests, 'StatefulSet', 'db').spec.template.metadata.labels;
    const pods: MemberView[] = [{ 'example.com/role': 'primary' }, { 'example.com/role': 'replica' }, {}].map((role, i) => ({
      name: `db-${i}`, labels: { ...template, ...role }, controller: 'db', controllerReplicas: 3,
    }));
    expect(budgetOverlaps(budgets, pods)).toEqual([]);
    expect(budgets).toHaveLength(3);
  });
});
