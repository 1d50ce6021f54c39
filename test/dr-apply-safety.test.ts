import { Duration, Size, Testing } from 'cdk8s';
import {
  ApplicationUser, ApplySafety, ApplyVerdict, BackupTarget, Credentials, DRPair, DrStrategy, Engine, MysqlVersion, PostgresVersion,
  VolumeReplicationBackend,
} from '../src';

// What `cdk8s-databases-apply-check` says about the two changes a DR pair lives with: switching `activeSite`, and a
// new replication interval.
const SITES = [
  { name: 'site-a', zones: ['a1', 'a2', 'a3'], trafficSourceCidrs: ['10.1.0.0/16'] },
  { name: 'site-b', zones: ['b1', 'b2', 'b3'], trafficSourceCidrs: ['10.2.0.0/16'] },
];
const DATABASE = {
  name: 'orders',
  credentials: Credentials.fromSecretName('orders-credentials'),
  applicationUser: ApplicationUser.fromSecretName('orders-app'),
  storageSize: Size.gibibytes(50),
};
const POSTGRES = Engine.postgres({ version: PostgresVersion.V16 });
const ARCHIVE = BackupTarget.s3({ bucket: 'orders-dr', endpoint: 'https://s3.example.com', credentialsSecretName: 's3' });

function sites(activeSite: string, strategy: DrStrategy, engine: Engine, tls = true): Record<string, any[]> {
  const app = Testing.app();
  new DRPair(app, 'orders', { namespaceName: 'shop', sites: SITES, activeSite, database: { ...DATABASE, engine, ...(tls ? { tls: { issuerName: 'ca' } } : {}) }, strategy });
  return Object.fromEntries(app.charts.map((c) => [c.node.id, c.toJson()]));
}

function flipFindings(strategy: () => DrStrategy, engine: Engine, tls = true) {
  const before = sites('site-a', strategy(), engine, tls);
  const after = sites('site-b', strategy(), engine, tls);
  return Object.fromEntries(Object.keys(before).map((site) => [site,
    ApplySafety.check(before[site], after[site]).map((f) => `${f.verdict} ${f.kind}/${f.name} ${f.field}`)]));
}

describe('switching activeSite, as the apply check sees it', () => {
  test('warm standby: nothing is refused, lost or restarted on either site (only bootstrap configuration and the active-only Jobs move)', () => {
    expect(flipFindings(() => DrStrategy.databaseReplication(), POSTGRES)).toEqual({ 'orders-site-a': [], 'orders-site-b': [] });
  });

  test('cold site: the old active site, now at zero replicas, gets the clone settings without effect; the new one starts', () => {
    expect(flipFindings(() => DrStrategy.backupRestore({ archiving: { target: ARCHIVE } }), POSTGRES)).toEqual({
      'orders-site-a': [`${ApplyVerdict.NO_EFFECT} StatefulSet/orders-site-a spec.template`],
      'orders-site-b': [],
    });
  });

  test('replicated volumes: the VolumeReplications change state, which csi-addons allows', () => {
    const strategy = () => DrStrategy.volumeReplication(VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com' }));
    expect(flipFindings(strategy, Engine.mysql({ version: MysqlVersion.V8_4 }), false)).toEqual({ 'orders-site-a': [], 'orders-site-b': [] });
  });
});

test('a new csi-addons interval is refused on the class (immutable parameters), with the way through', () => {
  const at = (minutes: number) => sites('site-a',
    DrStrategy.volumeReplication(VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com', interval: Duration.minutes(minutes) })),
    Engine.mysql({ version: MysqlVersion.V8_4 }), false)['orders-site-a'];
  const findings = ApplySafety.check(at(5), at(10));
  expect(findings.map((f) => `${f.verdict} ${f.kind}/${f.name} ${f.field}`)).toEqual([
    `${ApplyVerdict.REJECTED} VolumeReplicationClass/shop-orders-replication spec.parameters`,
  ]);
  expect(findings[0].finding).toContain('"schedulingInterval":"5m"');
  expect(findings[0].fix).toContain('kubectl delete volumereplicationclass/shop-orders-replication');
  expect(ApplySafety.isBlocking(findings[0])).toBe(true);
});

test('a VolumeReplication pointed at another class is refused (volumeReplicationClass is immutable)', () => {
  const at = (className: string) => sites('site-a',
    DrStrategy.volumeReplication(VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com', replicationClassName: className })),
    Engine.mysql({ version: MysqlVersion.V8_4 }), false)['orders-site-a'];
  const findings = ApplySafety.check(at('rbd-5m'), at('rbd-10m')).filter((f) => f.kind === 'VolumeReplication');
  expect(findings.map((f) => `${f.verdict} ${f.name} ${f.field}`)).toEqual([0, 1, 2].map((i) =>
    `${ApplyVerdict.REJECTED} data-orders-${i} spec.volumeReplicationClass`));
});
