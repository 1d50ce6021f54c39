import { App, Chart, Size, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import {
  CassandraVersion, DatabaseConfigError, DatabaseStorageClass, Engine, PostgresVersion, ReplicatedDatabase, Restore, StatefulDatabase,
  StatefulDatabaseProps,
} from '../src';
import { newChart, only, synthValid } from './support/synth';

const postgres = () => Engine.postgres({ version: PostgresVersion.V16 });
const cassandra = Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west' });
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const ANNOTATION = 'cdk8s-databases.io/original-storage-size';
const NEVER_PRUNE = { 'argocd.argoproj.io/sync-options': 'Prune=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' };

const claims = (manifests: any[]) => manifests.filter((m) => m.kind === 'PersistentVolumeClaim');
const templateOf = (set: any) => set.spec.volumeClaimTemplates[0];

function single(props: Partial<StatefulDatabaseProps> = {}) {
  const chart = newChart('data');
  new StatefulDatabase(chart, 'orders', { engine: postgres(), name: 'orders', ...props });
  return synthValid(chart);
}

describe('raising storageSize grows each member\'s claim while the claim template keeps the original size', () => {
  test('a single instance: one claim named as the controller names it, at the new size; the template and annotation keep the original', () => {
    const manifests = single({ storageSize: Size.gibibytes(20), originalStorageSize: Size.gibibytes(10), storageClassName: 'fast' });
    const set = only(manifests, 'StatefulSet', 'orders');
    expect(templateOf(set).spec.resources.requests.storage).toBe('10Gi');
    expect(set.metadata.annotations[ANNOTATION]).toBe('10Gi');
    const [claim] = claims(manifests);
    expect(claims(manifests)).toHaveLength(1);
    // <claim template>-<StatefulSet>-<ordinal>, in the StatefulSet's namespace, with the template's labels and fields.
    expect(claim.metadata).toEqual({ name: 'data-orders-0', namespace: 'data', labels: templateOf(set).metadata.labels, annotations: NEVER_PRUNE });
    expect(claim.spec).toEqual({ ...templateOf(set).spec, resources: { requests: { storage: '20Gi' } } });
    expect(claim.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', storageClassName: 'fast' });
    // Before the StatefulSet: a fresh install creates the claim at the new size before the controller would.
    expect(manifests.indexOf(claim)).toBeLessThan(manifests.indexOf(set));
  });

  test('sizes that are not whole GiB render in MiB', () => {
    const manifests = single({ storageSize: Size.mebibytes(1536), originalStorageSize: Size.gibibytes(1) });
    expect(claims(manifests).map((c) => c.spec.resources.requests.storage)).toEqual(['1536Mi']);
    expect(templateOf(only(manifests, 'StatefulSet')).spec.resources.requests.storage).toBe('1Gi');
  });

  test.each([
    ['originalStorageSize equal to storageSize', { storageSize: Size.gibibytes(20), originalStorageSize: Size.gibibytes(20) }, '20Gi'],
    ['no originalStorageSize', { storageSize: Size.gibibytes(20) }, '20Gi'],
    ['neither', {}, '10Gi'],
  ])('%s: no claim, no annotation, the template asks for storageSize', (_, props, size) => {
    const manifests = single(props);
    expect(claims(manifests)).toEqual([]);
    const set = only(manifests, 'StatefulSet');
    expect(set.metadata.annotations[ANNOTATION]).toBeUndefined();
    expect(templateOf(set).spec.resources.requests.storage).toBe(size);
  });

  test('a restore from a VolumeSnapshot: the claims keep the template\'s dataSource', () => {
    const manifests = single({ storageSize: Size.gibibytes(20), originalStorageSize: Size.gibibytes(10), restoreFrom: Restore.fromVolumeSnapshot('orders-snap') });
    const set = only(manifests, 'StatefulSet');
    expect(templateOf(set).spec.dataSource).toEqual({ apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'orders-snap' });
    expect(claims(manifests)[0].spec.dataSource).toEqual(templateOf(set).spec.dataSource);
  });

  test('a ReplicatedDatabase: one claim per member', () => {
    const chart = newChart('data');
    new ReplicatedDatabase(chart, 'orders', {
      engine: postgres(), name: 'orders', replicas: 3, zones: ZONES, storageSize: Size.gibibytes(50), originalStorageSize: Size.gibibytes(20),
    });
    const manifests = synthValid(chart);
    const set = only(manifests, 'StatefulSet', 'orders');
    expect(templateOf(set).spec.resources.requests.storage).toBe('20Gi');
    expect(set.metadata.annotations[ANNOTATION]).toBe('20Gi');
    expect(claims(manifests).map((c) => [c.metadata.name, c.spec.resources.requests.storage]))
      .toEqual([['data-orders-0', '50Gi'], ['data-orders-1', '50Gi'], ['data-orders-2', '50Gi']]);
    for (const c of claims(manifests)) expect(c.metadata.labels).toEqual(templateOf(set).metadata.labels);
  });

  test('a Cassandra ring with racks: one claim per member of every rack, each with its rack\'s labels', () => {
    const chart = newChart('data');
    new ReplicatedDatabase(chart, 'db', {
      name: 'db', engine: cassandra, zones: ZONES, replicas: 6, storageSize: Size.gibibytes(200), originalStorageSize: Size.gibibytes(100),
    });
    const manifests = synthValid(chart);
    const sets = manifests.filter((m) => m.kind === 'StatefulSet');
    expect(sets.map((s) => s.metadata.name)).toEqual(['db-eu-west-1a', 'db-eu-west-1b', 'db-eu-west-1c']);
    for (const set of sets) {
      expect(templateOf(set).spec.resources.requests.storage).toBe('100Gi');
      expect(set.metadata.annotations[ANNOTATION]).toBe('100Gi');
      const own = claims(manifests).filter((c) => c.metadata.name.startsWith(`data-${set.metadata.name}-`));
      expect(own.map((c) => c.metadata.name)).toEqual([0, 1].map((i) => `data-${set.metadata.name}-${i}`));
      for (const c of own) {
        expect(c.metadata.labels).toEqual(templateOf(set).metadata.labels);
        expect(c.spec.resources.requests.storage).toBe('200Gi');
      }
    }
    expect(claims(manifests)).toHaveLength(6);
  });
});

describe('what cannot grow is refused', () => {
  const P = 'test/orders: ';
  test.each([
    ['storageSize smaller than originalStorageSize', { storageSize: Size.gibibytes(5), originalStorageSize: Size.gibibytes(10) },
      `${P}\`storageSize\` (5Gi) is smaller than \`originalStorageSize\` (10Gi): volumes never shrink (the API server refuses a smaller claim). `
      + 'Set `storageSize` to at least 10Gi; for smaller volumes, create a new database and restore a backup into it (`restoreFrom`).'],
    ['originalStorageSize without storageSize', { originalStorageSize: Size.gibibytes(10) },
      `${P}\`originalStorageSize\` (10Gi) is set without \`storageSize\`: it records the size the volumes were created with when \`storageSize\` grows them. `
      + 'Set `storageSize` to the new size (at least 10Gi), or remove `originalStorageSize`.'],
    ['originalStorageSize of zero', { storageSize: Size.gibibytes(10), originalStorageSize: Size.gibibytes(0) },
      `${P}\`originalStorageSize\` (0) must be a whole number from 1 to 8589934591 MiB: give the size the data volumes were created with, e.g. \`Size.gibibytes(10)\`.`],
    ['originalStorageSize not whole MiB', { storageSize: Size.gibibytes(10), originalStorageSize: Size.kibibytes(1500) },
      `${P}\`originalStorageSize\` (1500 KiB) must be a whole number of MiB. Give a whole number of MiB, e.g. \`Size.mebibytes(512)\` or \`Size.gibibytes(20)\`.`],
    ['originalStorageSize as a string (JavaScript)', { storageSize: Size.gibibytes(10), originalStorageSize: '10Gi' as unknown as Size },
      `${P}\`originalStorageSize\` must be a cdk8s \`Size\` (e.g. \`Size.gibibytes(20)\`), not a string ("10Gi").`],
  ])('%s', (_, props, message) => {
    expect(() => single(props)).toThrow(DatabaseConfigError);
    expect(() => single(props)).toThrow(message);
  });

  /** A database growing its claims of StorageClass "slow", and the class made before or after it. */
  function withClass(allowVolumeExpansion: boolean, classFirst: boolean): { app: App; chart: Chart } {
    const app = Testing.app();
    const chart = new Chart(app, 'data', { namespace: 'data' });
    const storageClass = () => new DatabaseStorageClass(chart, 'slow', { name: 'slow', provisioner: 'ebs.csi.aws.com', allowVolumeExpansion });
    if (classFirst) storageClass();
    new StatefulDatabase(chart, 'orders', {
      engine: postgres(), name: 'orders', storageClassName: 'slow', storageSize: Size.gibibytes(20), originalStorageSize: Size.gibibytes(10),
    });
    if (!classFirst) storageClass();
    return { app, chart };
  }
  const noExpansion = 'data/orders: `storageSize` (20Gi) grows the data volumes from `originalStorageSize` (10Gi), but StorageClass "slow" (data/slow/Resource) '
    + 'does not allow volume expansion: the API server refuses to grow claims of that class. Set `allowVolumeExpansion: true` on the StorageClass '
    + '(a change the API server accepts on an existing class), or keep `storageSize` at 10Gi.';

  test.each([
    ['made before the database', true],
    ['made after the database', false],
  ])('growth on a DatabaseStorageClass without allowVolumeExpansion (%s) is refused at synth', (_, classFirst) => {
    const { app } = withClass(false, classFirst);
    expect(() => app.synthYaml()).toThrow(DatabaseConfigError);
    expect(() => app.synthYaml()).toThrow(noExpansion);
  });

  test('a plain StorageClass of the app that leaves allowVolumeExpansion unset (false) is refused too', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'data', { namespace: 'data' });
    new StatefulDatabase(chart, 'orders', {
      engine: postgres(), name: 'orders', storageClassName: 'plain', storageSize: Size.gibibytes(20), originalStorageSize: Size.gibibytes(10),
    });
    new k8s.KubeStorageClass(chart, 'plain', { metadata: { name: 'plain' }, provisioner: 'ebs.csi.aws.com' });
    expect(() => app.synthYaml()).toThrow('but StorageClass "plain" (data/plain) does not allow volume expansion');
  });

  test.each([
    ['made before the database', true],
    ['made after the database', false],
  ])('a DatabaseStorageClass that allows expansion (%s) passes', (_, classFirst) => {
    const { app, chart } = withClass(true, classFirst);
    expect(() => app.synthYaml()).not.toThrow();
    expect(claims(synthValid(chart)).map((c) => [c.metadata.name, c.spec.storageClassName])).toEqual([['data-orders-0', 'slow']]);
  });

  test('equal sizes on a class without expansion: nothing grows, nothing is refused', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'data', { namespace: 'data' });
    new DatabaseStorageClass(chart, 'slow', { name: 'slow', provisioner: 'ebs.csi.aws.com', allowVolumeExpansion: false });
    new StatefulDatabase(chart, 'orders', {
      engine: postgres(), name: 'orders', storageClassName: 'slow', storageSize: Size.gibibytes(10), originalStorageSize: Size.gibibytes(10),
    });
    expect(() => app.synthYaml()).not.toThrow();
    expect(claims(synthValid(chart))).toEqual([]);
  });
});
