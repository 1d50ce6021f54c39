import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { newChart, only, synthValid } from './support/synth';
import { manifestProblems } from './support/validate';
import {
  CsiAddonsReplicationOptions, STORK_MIGRATION_REPLICAS_ANNOTATION, StorkConsistency, StorkReplicationOptions,
  VolumeReplicationBackend, VolumeReplicationSiteInput, storkPassiveAnnotations,
} from '../src/dr/volume-replication';

const LABELS = { 'app.kubernetes.io/name': 'postgres', 'app.kubernetes.io/instance': 'orders' };
const site = (primary: boolean, more: Partial<VolumeReplicationSiteInput> = {}): VolumeReplicationSiteInput => ({
  namespace: 'shop',
  databaseName: 'orders',
  claims: ['data-orders-0', 'data-orders-1', 'data-orders-2'],
  statefulSetNames: ['orders'],
  labels: LABELS,
  primary,
  ...more,
});
const CEPH: CsiAddonsReplicationOptions = {
  provisioner: 'rbd.csi.ceph.com',
  interval: Duration.minutes(2),
  parameters: { mirroringMode: 'snapshot' },
  replicationSecretName: 'rook-csi-rbd-provisioner',
  replicationSecretNamespace: 'rook-ceph',
};
const QUIESCE: StorkConsistency = {
  preExec: { podSelector: LABELS, command: "psql -c 'CHECKPOINT'", container: 'postgres', runInSinglePod: true },
  postExec: { podSelector: LABELS, command: 'true' },
};

/** The objects of one site, synthesized in a chart of their own and validated (CRD schemas included). */
function synthSite(backend: VolumeReplicationBackend, input: VolumeReplicationSiteInput, consistency?: StorkConsistency): any[] {
  const chart = newChart('shop');
  backend._objects(chart, input, consistency);
  return synthValid(chart);
}

describe('csi-addons', () => {
  test.each([true, false])('primary %s: one class and a VolumeReplication per claim', (primary) => {
    const manifests = synthSite(VolumeReplicationBackend.csiAddons(CEPH), site(primary));
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'VolumeReplicationClass/shop-orders-replication',
      'VolumeReplication/data-orders-0', 'VolumeReplication/data-orders-1', 'VolumeReplication/data-orders-2',
    ]);
    const cls = only(manifests, 'VolumeReplicationClass');
    expect(cls.apiVersion).toBe('replication.storage.openshift.io/v1alpha1');
    expect(cls.metadata.namespace).toBeUndefined();
    expect(cls.metadata.labels).toEqual(LABELS);
    expect(cls.spec).toEqual({
      provisioner: 'rbd.csi.ceph.com',
      parameters: {
        'mirroringMode': 'snapshot',
        'schedulingInterval': '2m',
        'replication.storage.openshift.io/replication-secret-name': 'rook-csi-rbd-provisioner',
        'replication.storage.openshift.io/replication-secret-namespace': 'rook-ceph',
      },
    });
    const vr = only(manifests, 'VolumeReplication', 'data-orders-1');
    expect(vr.metadata.namespace).toBe('shop');
    expect(vr.spec).toEqual({
      volumeReplicationClass: 'shop-orders-replication',
      replicationState: primary ? 'primary' : 'secondary',
      dataSource: { kind: 'PersistentVolumeClaim', name: 'data-orders-1' },
      autoResync: false,
    });
  });

  test('defaults: 5 minutes, no Secret, no driver parameters, the class named after namespace and database', () => {
    const manifests = synthSite(VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com' }), site(true));
    expect(only(manifests, 'VolumeReplicationClass', 'shop-orders-replication').spec.parameters).toEqual({ schedulingInterval: '5m' });
  });

  test('the class name, and an interval in hours written in minutes', () => {
    const backend = VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com', replicationClassName: 'rbd-mirror-hourly', interval: Duration.hours(1) });
    const manifests = synthSite(backend, site(false));
    expect(only(manifests, 'VolumeReplicationClass', 'rbd-mirror-hourly').spec.parameters.schedulingInterval).toBe('60m');
    expect(only(manifests, 'VolumeReplication', 'data-orders-0').spec.volumeReplicationClass).toBe('rbd-mirror-hourly');
  });

  test('the plan and the RPO terms: asynchronous, the interval', () => {
    const backend = VolumeReplicationBackend.csiAddons(CEPH);
    const chart = newChart('shop');
    expect(backend._kind).toBe('csi-addons');
    expect(backend._synchronous).toBe(false);
    expect(backend._intervalSeconds(chart)).toBe(120);
    expect(backend._plan(chart, site(true))).toMatchObject({ backend: 'csi-addons', intervalMinutes: 2, synchronous: false });
    expect(VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com' })._intervalSeconds(chart)).toBe(300);
  });

  test('Stork consistency commands are not used: the copies are crash-consistent', () => {
    const manifests = synthSite(VolumeReplicationBackend.csiAddons(CEPH), site(true), QUIESCE);
    expect(manifests.map((m) => m.kind)).not.toContain('Rule');
  });
});

describe('Stork', () => {
  const px = (more: Partial<StorkReplicationOptions> = {}) => VolumeReplicationBackend.stork({ clusterPair: 'site-b', interval: Duration.minutes(15), ...more });

  test('active site: a SchedulePolicy, the quiesce and resume Rules and a volumes-only MigrationSchedule', () => {
    const manifests = synthSite(px(), site(true, { claimSelector: LABELS }), QUIESCE);
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'SchedulePolicy/shop-orders-dr', 'Rule/orders-dr-quiesce', 'Rule/orders-dr-resume', 'MigrationSchedule/orders-dr',
    ]);
    const policy = only(manifests, 'SchedulePolicy');
    expect(policy.apiVersion).toBe('stork.libopenstorage.org/v1alpha1');
    expect(policy.metadata.namespace).toBeUndefined();
    expect(policy.policy).toEqual({ interval: { intervalMinutes: 15 } });
    expect(only(manifests, 'Rule', 'orders-dr-quiesce')).toMatchObject({
      metadata: { namespace: 'shop', labels: LABELS },
      rules: [{ podSelector: LABELS, container: 'postgres', actions: [{ type: 'command', value: "psql -c 'CHECKPOINT'", runInSinglePod: true }] }],
    });
    expect(only(manifests, 'Rule', 'orders-dr-resume').rules).toEqual([{ podSelector: LABELS, actions: [{ type: 'command', value: 'true' }] }]);
    const schedule = only(manifests, 'MigrationSchedule');
    expect(schedule.metadata.namespace).toBe('shop');
    expect(schedule.spec).toEqual({
      schedulePolicyName: 'shop-orders-dr',
      suspend: false,
      template: {
        spec: {
          clusterPair: 'site-b',
          namespaces: ['shop'],
          includeResources: false,
          includeVolumes: true,
          startApplications: false,
          purgeDeletedResources: false,
          selectors: LABELS,
          preExecRule: 'orders-dr-quiesce',
          postExecRule: 'orders-dr-resume',
        },
      },
    });
  });

  test('passive site: nothing (the migrations run from the active site)', () => {
    const chart = newChart('shop');
    expect(px()._objects(chart, site(false), QUIESCE)).toEqual([]);
    expect(synthValid(chart)).toEqual([]);
  });

  test('without consistency commands or a claim selector: no Rules, the whole namespace', () => {
    const spec = only(synthSite(px(), site(true)), 'MigrationSchedule').spec.template.spec;
    expect(spec).not.toHaveProperty('preExecRule');
    expect(spec).not.toHaveProperty('postExecRule');
    expect(spec).not.toHaveProperty('selectors');
  });

  test('a background quiesce holding ${WAIT_CMD}', () => {
    const consistency = { preExec: { podSelector: LABELS, command: "mysql -e 'FLUSH TABLES WITH READ LOCK; SYSTEM ${WAIT_CMD};'", background: true } };
    const rule = only(synthSite(px(), site(true), consistency), 'Rule', 'orders-dr-quiesce');
    expect(rule.rules[0].actions[0]).toEqual({ type: 'command', value: "mysql -e 'FLUSH TABLES WITH READ LOCK; SYSTEM ${WAIT_CMD};'", background: true });
  });

  test('synchronous (Metro DR): volumes are not migrated, RPO 0', () => {
    const backend = px({ synchronous: true });
    expect(only(synthSite(backend, site(true)), 'MigrationSchedule').spec.template.spec.includeVolumes).toBe(false);
    expect(backend._synchronous).toBe(true);
    expect(backend._plan(newChart('shop'), site(true))).toMatchObject({ backend: 'stork', intervalMinutes: 15, synchronous: true });
  });

  test('defaults: 30 minutes, asynchronous', () => {
    const backend = VolumeReplicationBackend.stork({ clusterPair: 'site-b' });
    expect(backend._synchronous).toBe(false);
    expect(backend._intervalSeconds(newChart('shop'))).toBe(1800);
    expect(only(synthSite(backend, site(true)), 'SchedulePolicy').policy.interval.intervalMinutes).toBe(30);
  });

  test('the passive StatefulSets carry the replicas storkctl activate scales back to', () => {
    expect(storkPassiveAnnotations(3)).toEqual({ [STORK_MIGRATION_REPLICAS_ANNOTATION]: '3' });
    expect(STORK_MIGRATION_REPLICAS_ANNOTATION).toBe('stork.libopenstorage.org/migrationReplicas');
  });

  test('two databases in one namespace: distinct objects', () => {
    const chart = newChart('shop');
    const a = VolumeReplicationBackend.stork({ clusterPair: 'site-b' });
    a._objects(new Construct(chart, 'orders'), site(true));
    a._objects(new Construct(chart, 'billing'), site(true, { databaseName: 'billing', claims: ['data-billing-0'], statefulSetNames: ['billing'] }));
    expect(synthValid(chart).map((m) => m.metadata.name)).toEqual(['shop-orders-dr', 'orders-dr', 'shop-billing-dr', 'billing-dr']);
  });
});

describe('bad inputs', () => {
  const csi = (o: any) => () => VolumeReplicationBackend.csiAddons(o)._objects(newChart('shop'), site(true));
  const stork = (o: any, consistency?: any) => () => VolumeReplicationBackend.stork(o)._objects(newChart('shop'), site(true), consistency);

  test.each([
    ['no options', undefined, "`csiAddons` must be an object such as `{ provisioner: 'rbd.csi.ceph.com' }`, not nothing."],
    ['no provisioner', {}, '`csiAddons.provisioner` (nothing) is not a CSI driver name'],
    ['a provisioner with a slash', { provisioner: 'ceph/rbd' }, '`csiAddons.provisioner` (a string ("ceph/rbd")) is not a CSI driver name'],
    ['a provisioner of 64 characters', { provisioner: 'a'.repeat(64) },
      "`csiAddons.provisioner` (a string (\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...)) is not a CSI driver name: give the provisioner of the data volumes' StorageClass, e.g. 'rbd.csi.ceph.com' (at most 63 letters, digits, '-' and '.', starting and ending with a letter or digit)."],
    ['90 seconds', { provisioner: 'rbd.csi.ceph.com', interval: Duration.seconds(90) },
      "`csiAddons.interval` cannot be used: '90 seconds' cannot be converted into a whole number of minutes."],
    ['zero minutes', { provisioner: 'rbd.csi.ceph.com', interval: Duration.minutes(0) },
      "`csiAddons.interval` (0) must be a whole number from 1 to 2147483647 minutes: the class's schedulingInterval is written in whole minutes, e.g. Duration.minutes(5)."],
    ['a string interval', { provisioner: 'rbd.csi.ceph.com', interval: '5m' }, '`csiAddons.interval` must be a cdk8s `Duration` (e.g. `Duration.minutes(30)`), not a string ("5m").'],
    ['a bad class name', { provisioner: 'rbd.csi.ceph.com', replicationClassName: 'RBD_Mirror' }, '`csiAddons.replicationClassName` ("RBD_Mirror") is not a valid Kubernetes name'],
    ['a reserved parameter', { provisioner: 'rbd.csi.ceph.com', parameters: { 'replication.storage.openshift.io/replication-secret-name': 'x' } },
      '`csiAddons.parameters` key "replication.storage.openshift.io/replication-secret-name" is reserved by the csi-addons controller: set the replication Secret with `replicationSecretName` and `replicationSecretNamespace`.'],
    ['schedulingInterval in parameters', { provisioner: 'rbd.csi.ceph.com', parameters: { schedulingInterval: '1m' } },
      '`csiAddons.parameters` key "schedulingInterval" is set from `interval`: remove it and give `interval: Duration.minutes(n)`.'],
    ['a number parameter', { provisioner: 'rbd.csi.ceph.com', parameters: { force: true } }, '`csiAddons.parameters` "force" must be a string, not a boolean (true)'],
    ['a Secret name alone', { provisioner: 'rbd.csi.ceph.com', replicationSecretName: 'creds' },
      "`csiAddons.replicationSecretName` and `replicationSecretNamespace` go together (the controller reads the Secret from that namespace): set `replicationSecretNamespace` too, e.g. 'rook-ceph', or neither."],
    ['a Secret namespace alone', { provisioner: 'rbd.csi.ceph.com', replicationSecretNamespace: 'rook-ceph' },
      '`csiAddons.replicationSecretName` and `replicationSecretNamespace` go together (the controller reads the Secret from that namespace): set `replicationSecretName` too, or neither.'],
    ['a bad Secret name', { provisioner: 'rbd.csi.ceph.com', replicationSecretName: 'Creds', replicationSecretNamespace: 'rook-ceph' }, '`csiAddons.replicationSecretName` ("Creds") is not a valid Kubernetes name'],
    ['a bad Secret namespace', { provisioner: 'rbd.csi.ceph.com', replicationSecretName: 'creds', replicationSecretNamespace: 'rook.ceph' },
      '`csiAddons.replicationSecretNamespace` (a string ("rook.ceph")) is not a namespace name'],
  ])('csi-addons: %s', (_what, options, message) => {
    expect(csi(options)).toThrow(`test: ${message}`);
  });

  test.each([
    ['no options', undefined, undefined, "`stork` must be an object such as `{ clusterPair: 'site-b' }`, not nothing."],
    ['no ClusterPair', {}, undefined, '`stork.clusterPair` must be the name of the ClusterPair to the other site, not nothing: create it with `storkctl create clusterpair` and give its name.'],
    ['a bad ClusterPair name', { clusterPair: 'Site B' }, undefined, '`stork.clusterPair` ("Site B") is not a valid Kubernetes name'],
    ['30 seconds', { clusterPair: 'site-b', interval: Duration.seconds(30) }, undefined, "`stork.interval` cannot be used: '30 seconds' cannot be converted into a whole number of minutes."],
    ['a number interval', { clusterPair: 'site-b', interval: 15 }, undefined, '`stork.interval` must be a cdk8s `Duration` (e.g. `Duration.minutes(30)`), not a number (15).'],
    ['synchronous as text', { clusterPair: 'site-b', synchronous: 'yes' }, undefined, '`stork.synchronous` must be true or false, not a string ("yes").'],
    ['an empty pod selector', { clusterPair: 'site-b' }, { preExec: { podSelector: {}, command: 'sync' } },
      '`preExec.podSelector` is empty: Stork would run the command in every pod of the namespace. Give the database\'s pod labels.'],
    ['an empty command', { clusterPair: 'site-b' }, { postExec: { podSelector: LABELS, command: ' ' } }, '`postExec.command` must be a shell command, not a string (" ").'],
    ['a bad container', { clusterPair: 'site-b' }, { preExec: { podSelector: LABELS, command: 'sync', container: 'Postgres' } }, '`preExec.container` (a string ("Postgres")) is not a container name.'],
    ['a background post-exec', { clusterPair: 'site-b' }, { postExec: { podSelector: LABELS, command: 'sleep 1', background: true } },
      '`postExec.background` is only for pre-exec commands: Stork refuses background actions in post-exec rules.'],
    ['a background pre-exec without ${WAIT_CMD}', { clusterPair: 'site-b' }, { preExec: { podSelector: LABELS, command: 'sleep 60', background: true } },
      '`preExec.command` runs in the background but holds no ${WAIT_CMD}: Stork replaces it with the wait for the copy; put it where the command holds its lock.'],
  ])('Stork: %s', (_what, options, consistency, message) => {
    expect(stork(options, consistency)).toThrow(`test: ${message}`);
  });

  test.each([
    ['no claims', { claims: [] }, 'database "orders" has no data claims to replicate.'],
    ['a claim of no StatefulSet', { claims: ['data-billing-0'] }, 'claim "data-billing-0" is not a member claim (<claim template>-<StatefulSet>-<ordinal>) of orders.'],
    ['a bad label', { labels: { 'bad key!': 'x' } }, '`labels` key "bad key!" is not a valid label key'],
  ])('the site input: %s', (_what, more, message) => {
    const chart = newChart('shop');
    expect(() => VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com' })._objects(chart, site(true, more as any))).toThrow(`test: ${message}`);
  });
});

describe('the schemas catch what the back-ends would refuse or drop', () => {
  const vr = (spec: any) => ({ apiVersion: 'replication.storage.openshift.io/v1alpha1', kind: 'VolumeReplication', metadata: { name: 'data-orders-0', namespace: 'shop' }, spec });
  const good = { volumeReplicationClass: 'c', replicationState: 'primary', dataSource: { kind: 'PersistentVolumeClaim', name: 'data-orders-0' }, autoResync: false };
  const stork = (kind: string, body: any, namespace?: string) => ({ apiVersion: 'stork.libopenstorage.org/v1alpha1', kind, metadata: { name: 'x', namespace }, ...body });

  test.each([
    ['VolumeReplication state spelt as the status', vr({ ...good, replicationState: 'Primary' }), 'data/spec/replicationState must be equal to one of the allowed values'],
    ['VolumeReplication without autoResync', vr({ ...good, autoResync: undefined }), "must have required property 'autoResync'"],
    ['VolumeReplication of a Pod', vr({ ...good, dataSource: { kind: 'Pod', name: 'x' } }), 'must be equal to one of the allowed values'],
    ['VolumeReplicationClass with a namespace', { apiVersion: 'replication.storage.openshift.io/v1alpha1', kind: 'VolumeReplicationClass', metadata: { name: 'c', namespace: 'shop' }, spec: { provisioner: 'p' } },
      'cluster-scoped kind with metadata.namespace "shop"'],
    ['VolumeReplicationClass interval in seconds', { apiVersion: 'replication.storage.openshift.io/v1alpha1', kind: 'VolumeReplicationClass', metadata: { name: 'c' }, spec: { provisioner: 'p', parameters: { schedulingInterval: '30s' } } },
      'must match pattern'],
    ['VolumeReplicationClass with an unknown reserved key', { apiVersion: 'replication.storage.openshift.io/v1alpha1', kind: 'VolumeReplicationClass', metadata: { name: 'c' }, spec: { provisioner: 'p', parameters: { 'replication.storage.openshift.io/other': 'x' } } },
      'must NOT be valid'],
    ['SchedulePolicy with a namespace', stork('SchedulePolicy', { policy: { interval: { intervalMinutes: 5 } } }, 'shop'), 'cluster-scoped kind'],
    ['SchedulePolicy under spec', stork('SchedulePolicy', { spec: { policy: { interval: { intervalMinutes: 5 } } } }), "must have required property 'policy'"],
    ['SchedulePolicy of 0 minutes', stork('SchedulePolicy', { policy: { interval: { intervalMinutes: 0 } } }), 'must be >= 1'],
    ['MigrationSchedule with a misspelt field', stork('MigrationSchedule', { spec: { schedulePolicyName: 'p', template: { spec: { clusterPair: 'c', namespaces: ['shop'], includeVolume: false } } } }, 'shop'),
      'must NOT have additional properties'],
    ['MigrationSchedule without a ClusterPair', stork('MigrationSchedule', { spec: { schedulePolicyName: 'p', template: { spec: { namespaces: ['shop'] } } } }, 'shop'), "must have required property 'clusterPair'"],
    ['Rule with another action type', stork('Rule', { rules: [{ podSelector: { a: 'b' }, actions: [{ type: 'http', value: 'x' }] }] }, 'shop'), 'must be equal to one of the allowed values'],
    ['Rule selecting every pod', stork('Rule', { rules: [{ podSelector: {}, actions: [{ type: 'command', value: 'x' }] }] }, 'shop'), 'must NOT have fewer than 1 properties'],
    ['ServiceExport with a spec (v1alpha1 has none: pruned)', { apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: { name: 'orders-site-a', namespace: 'shop' }, spec: {} },
      'must NOT have additional properties'],
  ])('%s', (_what, manifest, problem) => {
    expect(manifestProblems(manifest).join('\n')).toContain(problem);
  });

  test('a ServiceExport as the connectivity emits it is valid', () => {
    expect(manifestProblems({ apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: { name: 'orders-site-a', namespace: 'shop' } })).toEqual([]);
  });
});
