import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ApplyFinding, ApplySafety, ApplyVerdict, CassandraVersion, DatabaseStorageClass, Engine, MongoDbVersion, MysqlVersion, PodManagementPolicy,
  PostgresVersion, PvcRetention, RedisVersion, ReplicatedDatabase, StatefulDatabase, StorageAccessMode, UpdateStrategy, ValkeyVersion,
} from '../src';
import { newChart, only, synthValid } from './support/synth';
import { assertValidManifests } from './support/validate';

// Each apply-safety rule, compliant and not, on objects the library synthesizes (changed by hand where the library
// never makes the change, e.g. a Service turned headless), every object validated.

const pg = (version = PostgresVersion.V16) => Engine.postgres({ version });

type Build = (chart: ReturnType<typeof newChart>) => void;

/** Synthesizes what `build` adds to a fresh chart in namespace `shop`, validated. */
function synth(build: Build, namespace = 'shop'): any[] {
  const chart = newChart(namespace);
  build(chart);
  return synthValid(chart);
}

const orders = (props: Record<string, unknown> = {}): Build => (chart) =>
  new StatefulDatabase(chart, 'orders', { engine: pg(), name: 'orders', ...props } as any);
const replicated = (props: Record<string, unknown> = {}): Build => (chart) =>
  new ReplicatedDatabase(chart, 'orders', { engine: pg(), name: 'orders', zones: ['a', 'b', 'c'], ...props } as any);

/** A deep copy of `manifests` with `change` applied to the object of `kind` and `name`, validated. */
function edited(manifests: any[], kind: string, name: string, change: (m: any) => void): any[] {
  const copy = structuredClone(manifests);
  change(only(copy, kind, name));
  assertValidManifests(copy);
  return copy;
}

const summary = (findings: ApplyFinding[]) => findings.map((f) => `${f.verdict} ${f.kind} ${f.name} ${f.field}`).sort();
const withVerdict = (findings: ApplyFinding[], verdict: ApplyVerdict) => findings.filter((f) => f.verdict === verdict);

describe('ApplySafety.check', () => {
  test('the same output twice has no finding', () => {
    expect(ApplySafety.check(synth(orders()), synth(orders()))).toEqual([]);
  });

  test('objects are matched by group, kind, namespace and name: a version change of the API is the same object', () => {
    const before = synth(orders());
    const after = edited(before, 'StatefulSet', 'orders', (m) => {
      m.spec.podManagementPolicy = 'Parallel';
    });
    const renamedVersion = after.map((m) => (m.kind === 'StatefulSet' ? { ...m, apiVersion: 'apps/v1beta2' } : m));
    expect(summary(ApplySafety.check(before, renamedVersion))).toEqual(['REJECTED StatefulSet orders spec.podManagementPolicy']);
  });

  test('a finding names the object, its namespace, the field, what happens and the way through', () => {
    const findings = ApplySafety.check(synth(orders()), synth(orders({ podManagementPolicy: PodManagementPolicy.PARALLEL })));
    expect(findings).toEqual([{
      kind: 'StatefulSet',
      name: 'orders',
      namespaceName: 'shop',
      field: 'spec.podManagementPolicy',
      verdict: ApplyVerdict.REJECTED,
      finding: '`spec.podManagementPolicy` changes from "OrderedReady" to "Parallel"; the API server refuses updates to it (ValidateStatefulSetUpdate)',
      fix: 'run `kubectl delete statefulset/orders -n shop --cascade=orphan`, then apply: the pods and their claims stay, and the new StatefulSet '
        + 'adopts them (its pods restart only where the pod template changed)',
    }]);
    expect(ApplySafety.isBlocking(findings[0])).toBe(true);
  });
});

describe('StatefulSet immutable fields', () => {
  test('replicas, minReadySeconds, updateStrategy and claim retention may change', () => {
    const before = synth(replicated());
    const after = edited(before, 'StatefulSet', 'orders', (m) => {
      m.spec.replicas = 5;
      m.spec.minReadySeconds = 30;
      m.spec.updateStrategy = { type: 'OnDelete' };
      m.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Delete', whenScaled: 'Retain' };
    });
    expect(ApplySafety.check(before, after)).toEqual([]);
  });

  test('serviceName: rejected, with the orphan delete as the way through', () => {
    const before = synth(orders());
    const [finding] = ApplySafety.check(before, edited(before, 'StatefulSet', 'orders', (m) => {
      m.spec.serviceName = 'orders-peers';
    }));
    expect(finding.verdict).toBe(ApplyVerdict.REJECTED);
    expect(finding.field).toBe('spec.serviceName');
    expect(finding.fix).toContain('`kubectl delete statefulset/orders -n shop --cascade=orphan`');
  });

  test('selector: rejected, and the orphan delete is not offered (the new selector would not adopt the pods)', () => {
    const before = synth(orders());
    const [finding] = ApplySafety.check(before, edited(before, 'StatefulSet', 'orders', (m) => {
      m.spec.selector.matchLabels['app.kubernetes.io/instance'] = 'sales';
      m.spec.template.metadata.labels['app.kubernetes.io/instance'] = 'sales';
    }).filter((m) => m.kind === 'StatefulSet'));
    expect(finding.field).toBe('spec.selector');
    expect(finding.verdict).toBe(ApplyVerdict.REJECTED);
    expect(finding.finding).toContain('would not adopt the running pods');
    expect(finding.fix).not.toContain('--cascade=orphan');
  });

  test('storage size in the claim template: rejected, with originalStorageSize as the way through', () => {
    const findings = ApplySafety.check(synth(orders({ storageSize: Size.gibibytes(10) })), synth(orders({ storageSize: Size.gibibytes(20) })));
    expect(summary(findings)).toEqual(['REJECTED StatefulSet orders spec.volumeClaimTemplates[data].spec.resources.requests.storage']);
    expect(findings[0].fix).toBe('set `originalStorageSize` to 10Gi (the size the claims were created with) and keep `storageSize` at 20Gi: '
      + 'the template keeps 10Gi, and the claims `data-orders-<i>` are emitted at the new size, which grows them where the StorageClass allows '
      + 'volume expansion (see docs/upgrades.md)');
  });

  test('access mode in the claim template: rejected, orphan delete, and existing claims keep theirs', () => {
    const findings = ApplySafety.check(synth(orders()), synth(orders({ storageAccessMode: StorageAccessMode.READ_WRITE_ONCE_POD })));
    expect(summary(findings)).toEqual(['REJECTED StatefulSet orders spec.volumeClaimTemplates[data]']);
    expect(findings[0].fix).toContain('existing claims keep what they were created with');
  });
});

describe('StatefulSet rollouts', () => {
  test('one member: a template change restarts it (reported, not blocking)', () => {
    const findings = ApplySafety.check(synth(orders()), synth(orders({ cpu: kplus.Cpu.millis(2000) })));
    expect(summary(findings)).toEqual(['RESTARTS_ALL StatefulSet orders spec.template']);
    expect(ApplySafety.isBlocking(findings[0])).toBe(false);
  });

  test('three members of one StatefulSet roll one at a time: no finding', () => {
    expect(ApplySafety.check(synth(replicated()), synth(replicated({ cpu: kplus.Cpu.millis(2000) })))).toEqual([]);
  });

  test('OnDelete: a template change has no effect until the pods are deleted', () => {
    const findings = ApplySafety.check(synth(orders({ updateStrategy: UpdateStrategy.onDelete() })),
      synth(orders({ updateStrategy: UpdateStrategy.onDelete(), cpu: kplus.Cpu.millis(2000) })));
    expect(summary(findings)).toEqual(['NO_EFFECT StatefulSet orders spec.template']);
    expect(findings[0].fix).toContain('kubectl delete pod orders-<i> -n shop');
  });

  test('a partition at or above the replicas: a template change has no effect; below, it rolls', () => {
    const staged = (partition: number, props: Record<string, unknown> = {}) =>
      synth(replicated({ updateStrategy: UpdateStrategy.rollingUpdate({ partition }), ...props }));
    const held = ApplySafety.check(staged(3), staged(3, { cpu: kplus.Cpu.millis(2000) }));
    expect(summary(held)).toEqual(['NO_EFFECT StatefulSet orders spec.template']);
    expect(held[0].finding).toContain('partition (3) is at or above the replicas (3)');
    expect(ApplySafety.check(staged(2), staged(2, { cpu: kplus.Cpu.millis(2000) }))).toEqual([]);
  });

  test('racks changed in one apply each restart a member at once, unless the engine serializes their stops; one rack alone rolls as usual', () => {
    const ring = (props: Record<string, unknown> = {}) => replicated({
      engine: Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west' }), replicas: 6, ...props,
    });
    const before = synth(ring());
    const after = synth(ring({ cpu: kplus.Cpu.millis(2000) }));
    const racks = before.filter((m) => m.kind === 'StatefulSet').map((m) => m.metadata.name).sort();
    expect(racks.length).toBe(3);
    // The ring's preStop takes one Lease for the datacenter (RING_LOCK): its nodes stop one at a time across racks.
    expect(ApplySafety.check(before, after)).toEqual([]);
    // Racks whose engine does not serialize their stops: every rack restarts a member at the same moment.
    const unserialized = (ms: any[]) => racks.reduce((out, rack) => edited(out, 'StatefulSet', rack, (m) => {
      for (const c of m.spec.template.spec.containers) c.env = c.env?.filter((e: any) => e.name !== 'RING_LOCK');
    }), ms);
    const all = ApplySafety.check(unserialized(before), unserialized(after));
    expect(summary(all)).toEqual(racks.map((r) => `RESTARTS_ALL StatefulSet ${r} spec.template`));
    expect(all[0].finding).toBe(`the pod templates of 3 StatefulSets of \`orders\` (${racks.join(', ')}) change in one apply: each rolls on its own, `
      + 'so one member of every rack restarts at the same moment, which can take a range below quorum');
    const oneRack = edited(unserialized(before), 'StatefulSet', racks[0], (m) => {
      m.spec.template.metadata.annotations = { ...m.spec.template.metadata.annotations, 'example.com/restarted': '1' };
    });
    expect(ApplySafety.check(unserialized(before), oneRack)).toEqual([]);
  });
});

describe('StatefulSets gone from the output', () => {
  test('a renamed database starts empty: data loss, and the old claims stay with Retain', () => {
    const findings = ApplySafety.check(synth(orders()), synth(orders({ name: 'sales' })));
    expect(summary(findings)).toEqual(['DATA_LOSS StatefulSet orders metadata.name']);
    expect(findings[0].finding).toContain('the old claims (data-orders-<i>) stay, unused');
  });

  test('another namespace is another object', () => {
    expect(summary(ApplySafety.check(synth(orders(), 'shop'), synth(orders(), 'store')))).toEqual(['DATA_LOSS StatefulSet orders metadata.name']);
  });

  test('with whenDeleted Delete the claims go with it', () => {
    const findings = ApplySafety.check(synth(orders({ pvcRetentionWhenDeleted: PvcRetention.DELETE })), synth(orders({ name: 'sales' })));
    expect(findings[0].finding).toContain('its claims (data-orders-<i>) are deleted with it (whenDeleted: Delete)');
  });
});

describe('PersistentVolumeClaims', () => {
  const grown = (props: Record<string, unknown>) => orders({ originalStorageSize: Size.gibibytes(10), ...props });
  const fixedClass = (allowVolumeExpansion: boolean): Build => (chart) =>
    new DatabaseStorageClass(chart, 'class', { name: 'fixed', provisioner: 'ebs.csi.aws.com', allowVolumeExpansion });

  test('claims emitted at a larger size grow: no finding', () => {
    expect(ApplySafety.check(synth(grown({ storageSize: Size.gibibytes(20) })), synth(grown({ storageSize: Size.gibibytes(30) })))).toEqual([]);
  });

  test('a claim that shrinks is rejected', () => {
    const findings = ApplySafety.check(synth(grown({ storageSize: Size.gibibytes(30) })), synth(grown({ storageSize: Size.gibibytes(20) })));
    expect(summary(findings)).toEqual(['REJECTED PersistentVolumeClaim data-orders-0 spec.resources.requests.storage']);
    expect(findings[0].finding).toBe('the claim shrinks from 30Gi to 20Gi; claims only grow (ValidatePersistentVolumeClaimUpdate: "field can not be less than previous value")');
  });

  test('a claim emitted for the first time is compared with the template the controller made it from', () => {
    const before = synth(orders({ storageSize: Size.gibibytes(40) }));
    const findings = ApplySafety.check(before, synth(grown({ storageSize: Size.gibibytes(20) })));
    expect(summary(findings)).toEqual(['REJECTED PersistentVolumeClaim data-orders-0 spec.resources.requests.storage',
      'REJECTED StatefulSet orders spec.volumeClaimTemplates[data].spec.resources.requests.storage']);
  });

  test('growth on a StorageClass of the output without volume expansion is rejected; with it, it applies', () => {
    // The library refuses this at synth for its own DatabaseStorageClass; a class written another way is checked here.
    const on = (size: number): Build => (chart) => {
      fixedClass(true)(chart);
      grown({ storageSize: Size.gibibytes(size), storageClassName: 'fixed' })(chart);
    };
    const before = synth(on(10));
    const after = synth(on(20));
    expect(ApplySafety.check(before, after)).toEqual([]);
    const refused = ApplySafety.check(before, edited(after, 'StorageClass', 'fixed', (m) => {
      m.allowVolumeExpansion = false;
    }));
    expect(summary(refused)).toEqual(['REJECTED PersistentVolumeClaim data-orders-0 spec.resources.requests.storage']);
    expect(refused[0].finding).toBe('the claim grows from 10Gi to 20Gi, but its StorageClass `fixed` does not allow volume expansion (PersistentVolumeClaimResize admission)');
    expect(refused[0].fix).toBe('set `allowVolumeExpansion` on the StorageClass `fixed` (its provisioner must support it), or keep the size');
  });

  test('a claim gone from the output is deleted by pruning: data loss', () => {
    const before = synth(grown({ storageSize: Size.gibibytes(20) }));
    const findings = ApplySafety.check(before, before.filter((m) => m.kind !== 'PersistentVolumeClaim'));
    expect(summary(findings)).toEqual(['DATA_LOSS PersistentVolumeClaim data-orders-0 metadata.name']);
  });

  test('scale-in of a grown database: the claims of the members scaled away are retained, not pruned', () => {
    const grownRing = (replicas: number, props: Record<string, unknown> = {}) =>
      replicated({ storageSize: Size.gibibytes(40), originalStorageSize: Size.gibibytes(10), replicas, ...props });
    const findings = ApplySafety.check(synth(grownRing(5)), synth(grownRing(3)));
    expect(summary(findings)).toEqual(['NO_EFFECT PersistentVolumeClaim data-orders-3 metadata.name', 'NO_EFFECT PersistentVolumeClaim data-orders-4 metadata.name']);
    const third = findings.find((f) => f.name === 'data-orders-3')!;
    expect(third.finding).toBe('the claim `data-orders-3` of member 3, scaled away (`orders` now has 3 replicas), is gone from the output: it is retained, unused '
      + '(Argo CD and Flux do not prune it, and the StatefulSet controller keeps it with whenScaled: Retain); a later scale-out reuses it with its data. '
      + 'Only `kubectl apply --prune` would delete it');
    expect(third.fix).toBe('delete it by hand once the member is gone for good: `kubectl delete persistentvolumeclaim/data-orders-3 -n shop`');
    const scaledDelete = { pvcRetentionWhenScaled: PvcRetention.DELETE };
    const deleted = ApplySafety.check(synth(grownRing(5, scaledDelete)), synth(grownRing(3, scaledDelete)));
    expect(summary(deleted)).toEqual(['NO_EFFECT PersistentVolumeClaim data-orders-3 metadata.name', 'NO_EFFECT PersistentVolumeClaim data-orders-4 metadata.name']);
    expect(deleted[0].finding).toBe('the claim `data-orders-3` of member 3, scaled away (`orders` now has 3 replicas), is gone from the output: '
      + 'the StatefulSet controller deletes it with the member (`pvcRetentionWhenScaled`: Delete)');
    expect(ApplySafety.isBlocking(third)).toBe(false);
  });

  test('a claim of a member that still runs, or without the no-prune annotations, is still data loss when it leaves the output', () => {
    const before = synth(grown({ storageSize: Size.gibibytes(20) }));
    const bare = edited(before, 'PersistentVolumeClaim', 'data-orders-0', (m) => {
      delete m.metadata.annotations;
    });
    const scaledToZero = (ms: any[]) => edited(ms.filter((m) => m.kind !== 'PersistentVolumeClaim'), 'StatefulSet', 'orders', (m) => {
      m.spec.replicas = 0;
    });
    expect(summary(ApplySafety.check(before, scaledToZero(before)))).toEqual(['NO_EFFECT PersistentVolumeClaim data-orders-0 metadata.name']);
    expect(summary(ApplySafety.check(bare, scaledToZero(bare)))).toEqual(['DATA_LOSS PersistentVolumeClaim data-orders-0 metadata.name']);
  });

  test('claim and StatefulSet names with dashes are split the way the controller made them', () => {
    const named = (props: Record<string, unknown>) => orders({ name: 'order-books', ...props });
    const findings = ApplySafety.check(synth(named({ storageSize: Size.gibibytes(40) })),
      synth(named({ storageSize: Size.gibibytes(20), originalStorageSize: Size.gibibytes(10) })));
    expect(summary(findings)).toEqual(['REJECTED PersistentVolumeClaim data-order-books-0 spec.resources.requests.storage',
      'REJECTED StatefulSet order-books spec.volumeClaimTemplates[data].spec.resources.requests.storage']);
    expect(findings.find((f) => f.kind === 'PersistentVolumeClaim')!.finding).toContain('the claim shrinks from 40Gi to 20Gi');
  });

  test('originalStorageSize changed after the claims were grown: the fix names the size the previous output recorded', () => {
    const before = synth(grown({ storageSize: Size.gibibytes(40) }));
    expect(only(before, 'StatefulSet', 'orders').metadata.annotations['cdk8s-databases.io/original-storage-size']).toBe('10Gi');
    const findings = ApplySafety.check(before, synth(orders({ storageSize: Size.gibibytes(40), originalStorageSize: Size.gibibytes(20) })));
    expect(summary(findings)).toEqual(['REJECTED StatefulSet orders spec.volumeClaimTemplates[data].spec.resources.requests.storage']);
    expect(findings[0].fix).toBe('keep `originalStorageSize` at 10Gi, the size the claims were created with (the previous output records it in '
      + 'cdk8s-databases.io/original-storage-size), and grow the claims `data-orders-<i>` with `storageSize` alone (see docs/upgrades.md)');
  });

  test('storage class and access modes of a claim are fixed at creation', () => {
    const before = synth(grown({ storageSize: Size.gibibytes(20) }));
    const after = edited(before, 'PersistentVolumeClaim', 'data-orders-0', (m) => {
      m.spec.storageClassName = 'other';
      m.spec.accessModes = ['ReadWriteOncePod'];
    });
    expect(summary(ApplySafety.check(before, after))).toEqual([
      'REJECTED PersistentVolumeClaim data-orders-0 spec.accessModes', 'REJECTED PersistentVolumeClaim data-orders-0 spec.storageClassName',
    ]);
  });
});

describe('Jobs', () => {
  const job = (manifests: any[]) => manifests.find((m) => m.kind === 'Job').metadata.name;

  test('a Job whose template changes under the same name is rejected', () => {
    const before = synth(orders());
    const after = edited(before, 'Job', job(before), (m) => {
      m.spec.template.spec.containers[0].env = [...(m.spec.template.spec.containers[0].env ?? []), { name: 'EXTRA', value: '1' }];
    });
    const findings = ApplySafety.check(before, after);
    expect(summary(findings)).toEqual([`REJECTED Job ${job(before)} spec.template`]);
    expect(findings[0].fix).toContain('give the Job a name derived from its content');
  });

  test('a TTL change applies (ttlSecondsAfterFinished is mutable)', () => {
    const before = synth(orders());
    expect(ApplySafety.check(before, edited(before, 'Job', job(before), (m) => {
      m.spec.ttlSecondsAfterFinished = 60;
    }))).toEqual([]);
  });
});

describe('Services', () => {
  test('headless to allocated is rejected; other changes apply', () => {
    const before = synth(orders());
    const unheaded = edited(before, 'Service', 'orders-headless', (m) => {
      delete m.spec.clusterIP;
    });
    expect(summary(ApplySafety.check(before, unheaded))).toEqual(['REJECTED Service orders-headless spec.clusterIP']);
    const headed = edited(before, 'Service', 'orders', (m) => {
      m.spec.clusterIP = 'None';
    });
    expect(summary(ApplySafety.check(before, headed))).toEqual(['REJECTED Service orders spec.clusterIP']);
    expect(ApplySafety.check(before, edited(before, 'Service', 'orders', (m) => {
      m.spec.ports[0].name = 'sql';
    }))).toEqual([]);
  });
});

describe('Deployments, DaemonSets and ReplicaSets', () => {
  const deployment = (app: string, image = 'docker.io/library/nginx:1.27.3') => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'web', image }] } },
    },
  });

  test.each(['Deployment', 'DaemonSet', 'ReplicaSet'])('%s: a selector change is rejected, a template change applies', (kind) => {
    const of = (app: string, image?: string) => {
      const m: any = { ...deployment(app, image), kind };
      assertValidManifests([m]);
      return [m];
    };
    expect(summary(ApplySafety.check(of('web'), of('frontend')))).toEqual([`REJECTED ${kind} web spec.selector`]);
    expect(ApplySafety.check(of('web'), of('web', 'docker.io/library/nginx:1.27.4'))).toEqual([]);
  });
});

describe('StorageClasses', () => {
  const storageClass = (props: Record<string, unknown>): Build => (chart) =>
    new DatabaseStorageClass(chart, 'class', { name: 'fast', provisioner: 'ebs.csi.aws.com', parameters: { type: 'gp3' }, ...props } as any);

  test('parameters, provisioner and reclaimPolicy are immutable', () => {
    const findings = ApplySafety.check(synth(storageClass({})),
      synth(storageClass({ parameters: { type: 'io2' }, provisioner: 'pd.csi.storage.gke.io', reclaimPolicy: PvcRetention.DELETE })));
    expect(summary(findings)).toEqual([
      'REJECTED StorageClass fast parameters', 'REJECTED StorageClass fast provisioner', 'REJECTED StorageClass fast reclaimPolicy',
    ]);
    expect(findings[0].fix).toContain('`kubectl delete storageclass/fast`');
  });

  test('allowVolumeExpansion may change', () => {
    expect(ApplySafety.check(synth(storageClass({ allowVolumeExpansion: false })), synth(storageClass({ allowVolumeExpansion: true })))).toEqual([]);
  });
});

describe('RoleBindings', () => {
  test('a roleRef change is rejected; a subject change applies', () => {
    const before = synth(orders());
    const binding = before.find((m) => m.kind === 'RoleBinding');
    const renamedRole = edited(before, 'RoleBinding', binding.metadata.name, (m) => {
      m.roleRef.name = 'other-role';
    });
    expect(summary(ApplySafety.check(before, renamedRole))).toEqual([`REJECTED RoleBinding ${binding.metadata.name} roleRef`]);
    const moreSubjects = edited(before, 'RoleBinding', binding.metadata.name, (m) => {
      m.subjects = [...m.subjects, { kind: 'ServiceAccount', name: 'auditor', namespace: 'shop' }];
    });
    expect(ApplySafety.check(before, moreSubjects)).toEqual([]);
  });

  test('ClusterRoleBindings too', () => {
    const binding = (role: string) => {
      const m = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'readers' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'shop' }],
      };
      assertValidManifests([m]);
      return [m];
    };
    expect(summary(ApplySafety.check(binding('view'), binding('edit')))).toEqual(['REJECTED ClusterRoleBinding readers roleRef']);
  });
});

describe('immutable Secrets and ConfigMaps', () => {
  const configMap = (data: Record<string, string>, immutable?: boolean) => {
    const m = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' }, data, ...(immutable === undefined ? {} : { immutable }) };
    assertValidManifests([m]);
    return [m];
  };

  test('changed data of an immutable ConfigMap is rejected, and so is dropping the flag', () => {
    expect(summary(ApplySafety.check(configMap({ a: '1' }, true), configMap({ a: '2' }, true)))).toEqual(['REJECTED ConfigMap settings data']);
    expect(summary(ApplySafety.check(configMap({ a: '1' }, true), configMap({ a: '1' })))).toEqual(['REJECTED ConfigMap settings immutable']);
  });

  test('a mutable ConfigMap may change, and may become immutable', () => {
    expect(ApplySafety.check(configMap({ a: '1' }), configMap({ a: '2' }, true))).toEqual([]);
  });

  test('the library\'s own ConfigMap is mutable: a config change applies (and restarts the member through its checksum)', () => {
    const findings = ApplySafety.check(synth(orders()), synth(orders({ config: { work_mem: '64MB' } })));
    expect(summary(findings)).toEqual(['RESTARTS_ALL StatefulSet orders spec.template']);
  });
});

describe('engine versions', () => {
  const engineFindings = (from: Engine, to: Engine, build = orders) =>
    withVerdict(ApplySafety.check(synth(build({ engine: from })), synth(build({ engine: to }))), ApplyVerdict.ENGINE_REFUSES);

  test.each([
    ['PostgreSQL minor', pg(), pg(PostgresVersion.of('16.8'))],
    ['MySQL 8.0 to 8.4 LTS', Engine.mysql({ version: MysqlVersion.V8_0 }), Engine.mysql({ version: MysqlVersion.V8_4 })],
    ['MySQL 8.4 to 9.1', Engine.mysql({ version: MysqlVersion.V8_4 }), Engine.mysql({ version: MysqlVersion.of('9.1.0') })],
    ['MongoDB 6.0 to 7.0 at FCV 6.0', Engine.mongodb({ version: MongoDbVersion.V6_0, featureCompatibilityVersion: '6.0' }),
      Engine.mongodb({ version: MongoDbVersion.V7_0, featureCompatibilityVersion: '6.0' })],
    ['MongoDB 7.0 to 8.0 at FCV 7.0', Engine.mongodb({ version: MongoDbVersion.V7_0, featureCompatibilityVersion: '7.0' }),
      Engine.mongodb({ version: MongoDbVersion.V8_0, featureCompatibilityVersion: '7.0' })],
    ['Cassandra 4.1 to 5.0', Engine.cassandra({ version: CassandraVersion.V4_1 }), Engine.cassandra({ version: CassandraVersion.V5_0 })],
    ['Redis 7.2 to 7.4', Engine.redis({ version: RedisVersion.V7_2 }), Engine.redis({ version: RedisVersion.V7_4 })],
    ['Valkey 7.2 to 8.0', Engine.valkey({ version: ValkeyVersion.V7_2 }), Engine.valkey({ version: ValkeyVersion.V8_0 })],
  ])('%s: the engine upgrades in place', (_name, from, to) => {
    expect(engineFindings(from, to)).toEqual([]);
  });

  test.each([
    ['PostgreSQL 16 to 17', pg(), pg(PostgresVersion.V17),
      'PostgreSQL 16 → 17 in place: a data directory of one major version cannot be started by another, so the new pods crash-loop', 'Restore.fromDump'],
    ['PostgreSQL 16 to 15', pg(), pg(PostgresVersion.V15), 'postgresql 16.6 → 15.10 is a downgrade', 'logical dump'],
    ['MySQL 8.0 to 9.1', Engine.mysql({ version: MysqlVersion.V8_0 }), Engine.mysql({ version: MysqlVersion.of('9.1.0') }),
      'MySQL 8.0 → 9.1 skips the 8.4 LTS series, which every upgrade must pass (MySQL upgrade paths)', 'upgrade to 8.4 first'],
    ['MySQL 8.4 to 8.0', Engine.mysql({ version: MysqlVersion.V8_4 }), Engine.mysql({ version: MysqlVersion.V8_0 }), 'is a downgrade', 'keep 8.4.3'],
    ['MongoDB 6.0 to 8.0', Engine.mongodb({ version: MongoDbVersion.V6_0 }), Engine.mongodb({ version: MongoDbVersion.V8_0 }),
      'MongoDB 6.0 → 8.0 skips a major release', '6.0 → 7.0 → 8.0'],
    ['MongoDB 8.0 to 7.0', Engine.mongodb({ version: MongoDbVersion.V8_0 }), Engine.mongodb({ version: MongoDbVersion.V7_0 }), 'featureCompatibilityVersion is newer', 'keep 8.0.3'],
    ['Cassandra 3.11 to 5.0', Engine.cassandra({ version: CassandraVersion.of('3.11.17') }), Engine.cassandra({ version: CassandraVersion.V5_0 }),
      'Cassandra 3.11 → 5.0 skips a major version', 'upgrade to 4.x first, run `nodetool upgradesstables`'],
    ['Redis 7.4 to 7.2', Engine.redis({ version: RedisVersion.V7_4 }), Engine.redis({ version: RedisVersion.V7_2 }), 'cannot load the RDB/AOF files a newer one wrote', 'keep 7.4.1'],
    ['Valkey 8.0 to 7.2', Engine.valkey({ version: ValkeyVersion.V8_0 }), Engine.valkey({ version: ValkeyVersion.V7_2 }), 'cannot load the RDB/AOF files a newer one wrote', 'keep 8.0.1'],
  ])('%s: the engine refuses, and the way through is given', (_name, from, to, finding, fix) => {
    const [refused, ...rest] = engineFindings(from, to);
    expect(rest).toEqual([]);
    expect(refused.field).toBe('metadata.annotations[cdk8s-databases.io/engine]');
    expect(refused.finding).toContain(finding);
    expect(refused.fix).toContain(fix);
  });

  test('on a replicated database each StatefulSet is checked', () => {
    const refused = engineFindings(Engine.mongodb({ version: MongoDbVersion.V6_0 }), Engine.mongodb({ version: MongoDbVersion.V8_0 }), replicated);
    expect(summary(refused)).toEqual(['ENGINE_REFUSES StatefulSet orders metadata.annotations[cdk8s-databases.io/engine]']);
  });

  test('Patroni: a new major restarts every member on the old one (refused); a new minor changes nothing running', () => {
    const changes = (from: Engine, to: Engine, image?: string) => {
      const mirrored = (ms: any[]) => (image === undefined ? ms : edited(ms, 'StatefulSet', 'orders', (m) => {
        m.spec.template.spec.containers[0].image = image;
      }));
      return ApplySafety.check(mirrored(synth(replicated({ engine: from }))), mirrored(synth(replicated({ engine: to }))))
        .filter((f) => f.field === 'metadata.annotations[cdk8s-databases.io/engine]');
    };
    const [major, ...more] = changes(pg(PostgresVersion.V15), pg());
    expect(more).toEqual([]);
    expect(major.verdict).toBe(ApplyVerdict.ENGINE_REFUSES);
    expect(major.finding).toBe('PostgreSQL 15 → 16 on Patroni: every member restarts and keeps running PostgreSQL 15 (Spilo keeps the major of an existing data directory), '
      + 'while the database reports 16');
    expect(major.fix).toBe('keep the version at 15.10; create a new ReplicatedDatabase on PostgreSQL 16 cloned from this one with `Restore.pointInTime(...)`: '
      + 'Spilo runs pg_upgrade after the clone (docs/upgrades.md)');
    const [minor] = changes(pg(), pg(PostgresVersion.of('16.8')));
    expect(minor.verdict).toBe(ApplyVerdict.NO_EFFECT);
    expect(minor.finding).toBe('PostgreSQL 16.6 → 16.8 on Patroni changes nothing running: the Spilo image carries its own PostgreSQL 16 minor release');
    // A mirror that flattens the image path: Patroni is still recognised (by PGVERSION, which the assembly writes).
    expect(summary(changes(pg(PostgresVersion.V15), pg(), 'mirror.internal/spilo-16:3.3-p3'))).toEqual(['ENGINE_REFUSES StatefulSet orders metadata.annotations[cdk8s-databases.io/engine]']);
    expect(changes(pg(PostgresVersion.V15), pg(), 'mirror.internal/spilo-16:3.3-p3')[0].finding).toBe(major.finding);
    expect(changes(pg(), pg(PostgresVersion.of('16.8')), 'mirror.internal/spilo-16:3.3-p3')[0].verdict).toBe(ApplyVerdict.NO_EFFECT);
  });

  test('MongoDB before 7.0 goes back one major release once featureCompatibilityVersion is lowered; from 7.0 on it does not', () => {
    const mongo = (version: MongoDbVersion, featureCompatibilityVersion?: string) => Engine.mongodb({ version, featureCompatibilityVersion });
    expect(engineFindings(mongo(MongoDbVersion.V6_0, '5.0'), mongo(MongoDbVersion.of('5.0.29'), '5.0'), replicated)).toEqual([]);
    const [unlowered, ...rest] = engineFindings(mongo(MongoDbVersion.V6_0, '6.0'), mongo(MongoDbVersion.of('5.0.29'), '5.0'), replicated);
    expect(rest).toEqual([]);
    expect(unlowered.finding).toBe('MongoDB 6.0 → 5.0 while the previous output declares featureCompatibilityVersion "6.0": '
      + 'a MongoDB 5.0 binary starts only on data at featureCompatibilityVersion 5.0');
    expect(unlowered.fix).toBe('keep 6.0.18 and set featureCompatibilityVersion: \'5.0\' first, apply (its Job lowers it on the primary), then downgrade '
      + '(docs/upgrades.md; https://www.mongodb.com/docs/v6.0/release-notes/6.0-downgrade-replica-set/)');
    expect(engineFindings(mongo(MongoDbVersion.V6_0, '5.0'), mongo(MongoDbVersion.of('4.4.29'), '4.4'), replicated)[0].finding)
      .toBe('mongodb 6.0.18 → 4.4.29 is a downgrade: mongod refuses data whose featureCompatibilityVersion is newer than it knows, and binaries go back one major release only');
    expect(engineFindings(mongo(MongoDbVersion.V7_0, '6.0'), mongo(MongoDbVersion.V6_0, '6.0'), replicated)[0].finding)
      .toBe('mongodb 7.0.14 → 6.0.18 is a downgrade: from MongoDB 7.0 on, a binary downgrade is possible only with MongoDB support (7.0-downgrade), '
        + 'and mongod refuses data whose featureCompatibilityVersion is newer than it knows');
  });

  test('Redis 7.2 to Valkey: Valkey reads its files, but the selector (engine family) changes', () => {
    const findings = ApplySafety.check(synth(orders({ engine: Engine.redis({ version: RedisVersion.V7_2 }) })),
      synth(orders({ engine: Engine.valkey({ version: ValkeyVersion.V8_0 }) })));
    expect(withVerdict(findings, ApplyVerdict.ENGINE_REFUSES)).toEqual([]);
    expect(summary(withVerdict(findings, ApplyVerdict.REJECTED))).toContain('REJECTED StatefulSet orders spec.selector');
  });

  test('Redis 7.4 to Valkey 8.0: Valkey cannot read what Redis 7.4 wrote', () => {
    expect(engineFindings(Engine.redis({ version: RedisVersion.V7_4 }), Engine.valkey({ version: ValkeyVersion.V8_0 }))[0].finding)
      .toBe('the engine changes from redis 7.4.1 to valkey 8.0.1 on the same volumes: valkey cannot start on redis\'s files');
  });

  test('an output older than the engine annotation is read from its name and version labels', () => {
    const older = (ms: any[]) => edited(ms, 'StatefulSet', 'orders', (m) => {
      delete m.metadata.annotations['cdk8s-databases.io/engine'];
    });
    const upgraded = ApplySafety.check(older(synth(orders())), synth(orders({ engine: pg(PostgresVersion.V17) })));
    const [refused, ...rest] = withVerdict(upgraded, ApplyVerdict.ENGINE_REFUSES);
    expect(rest).toEqual([]);
    expect(refused.finding).toBe('PostgreSQL 16 → 17 in place: a data directory of one major version cannot be started by another, so the new pods crash-loop');
    expect(ApplySafety.check(older(synth(orders())), synth(orders()))).toEqual([]);
    // Patroni's version label is the Spilo tag: its PostgreSQL major is PGVERSION.
    const olderReplicated = (engine: Engine) => older(synth(replicated({ engine })));
    expect(only(olderReplicated(pg()), 'StatefulSet', 'orders').metadata.labels['app.kubernetes.io/version']).toBe('3.3-p3');
    expect(summary(ApplySafety.check(olderReplicated(pg(PostgresVersion.V15)), synth(replicated({ engine: pg() })))
      .filter((f) => f.verdict !== ApplyVerdict.RESTARTS_ALL)))
      .toEqual(['ENGINE_REFUSES StatefulSet orders metadata.annotations[cdk8s-databases.io/engine]']);
    expect(ApplySafety.check(olderReplicated(pg()), synth(replicated({ engine: pg(PostgresVersion.of('16.8')) })))
      .filter((f) => f.field.startsWith('metadata.annotations'))).toEqual([]);
  });

  test('a StatefulSet with neither the annotation nor the labels (not made by this library) is not checked', () => {
    const strip = (ms: any[]) => edited(ms, 'StatefulSet', 'orders', (m) => {
      delete m.metadata.annotations;
      delete m.metadata.labels;
    });
    const findings = ApplySafety.check(strip(synth(orders())), strip(synth(orders({ engine: pg(PostgresVersion.V17) }))));
    expect(withVerdict(findings, ApplyVerdict.ENGINE_REFUSES)).toEqual([]);
  });
});
