import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import {
  ApplicationUser, BackupTarget, Credentials, DRPair, DrStrategy, Engine, MysqlVersion, PostgresVersion, ValkeyVersion, VolumeReplicationBackend,
} from '../src';
import { runWithStubs, writeStub } from './support/stubs';
import { assertValidManifests } from './support/validate';

// The fence and promote Jobs of sites whose engine does not run on the passive side, run in sh with a stand-in kubectl
// that logs its calls and answers as the API would: the order of the steps and what each waits for.
const SITES = [
  { name: 'site-a', zones: ['a1', 'a2', 'a3'], trafficSourceCidrs: ['10.1.0.0/16'] },
  { name: 'site-b', zones: ['b1', 'b2', 'b3'], trafficSourceCidrs: ['10.2.0.0/16'] },
];
const DATABASE = { name: 'orders', credentials: Credentials.fromSecretName('orders-credentials'), applicationUser: ApplicationUser.superuser() };

function switchJob(strategy: DrStrategy, engine: Engine, site: string, action: string): { script: string; env: Record<string, string> } {
  const app = Testing.app();
  const pair = new DRPair(app, 'orders', { namespaceName: 'shop', sites: SITES, activeSite: 'site-a', database: { ...DATABASE, engine }, strategy });
  const manifests = pair.chart(site).toJson();
  assertValidManifests(manifests);
  const job = manifests.find((m: any) => m.kind === 'Job' && m.metadata.labels['cdk8s-databases.io/dr-action'] === action);
  expect(job.spec.suspend).toBe(true);
  const container = job.spec.template.spec.containers[0];
  return { script: container.command[2], env: Object.fromEntries(container.env.map((e: any) => [e.name, e.value])) };
}

/**
 * kubectl that logs each call, answers `get` as the API does (NotFound unless EXISTS=1; FORBIDDEN=1: 403) and fails
 * `wait` when told to (FAIL_WAIT=1).
 */
const KUBECTL = `#!/bin/sh
echo "kubectl $*" >> "$STUB_CALLS"
if [ "$1" = get ]; then
  [ "\${FORBIDDEN:-}" = 1 ] && { echo "Error from server (Forbidden): $2 is forbidden" >&2; exit 1; }
  [ "\${EXISTS:-}" = 1 ] && { echo "$2"; exit 0; }
  echo "Error from server (NotFound): $2 not found" >&2; exit 1
fi
if [ "$1" = wait ] && [ "\${FAIL_WAIT:-}" = 1 ]; then echo "timed out waiting" >&2; exit 1; fi
`;
function run(job: { script: string; env: Record<string, string> }, extra: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-scale-'));
  writeStub(dir, 'kubectl', KUBECTL);
  return runWithStubs('sh', job.script, dir, { PATH: process.env.PATH, ...job.env, ...extra });
}

const COLD = () => DrStrategy.backupRestore({ archiving: { target: BackupTarget.s3({ bucket: 'orders-wal', endpoint: 'https://s3.example.com', credentialsSecretName: 's3' }) } });
const CSI = () => DrStrategy.volumeReplication(VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com', interval: Duration.minutes(5) }));
const STORK = () => DrStrategy.volumeReplication(VolumeReplicationBackend.stork({ clusterPair: 'site-b' }));

test('cold site: promote refuses a site with claims of an earlier run, clears Patroni\'s state, then scales to the active replicas; fence scales to 0 and waits', () => {
  const pg = Engine.postgres({ version: PostgresVersion.V16 });
  const claims = [0, 1, 2].map((i) => `data-orders-site-b-${i}`);
  const promote = run(switchJob(COLD(), pg, 'site-b', 'promote'));
  expect(promote.code).toBe(0);
  expect(promote.calls).toEqual([
    ...claims.map((c) => `kubectl get persistentvolumeclaim/${c} -o name`),
    'kubectl delete configmap orders-site-b-config orders-site-b-leader orders-site-b-failover orders-site-b-sync --ignore-not-found --wait=false',
    'kubectl scale statefulset/orders-site-b --replicas=3',
  ]);
  // Claims of an earlier run: the members would start on the data they had then, behind the other site.
  const stale = run(switchJob(COLD(), pg, 'site-b', 'promote'), { EXISTS: '1' });
  expect(stale.code).toBe(1);
  expect(stale.out).toContain(`claim ${claims[0]} exists: this site ran before`);
  expect(stale.out).toContain(`kubectl delete pvc ${claims.join(' ')}`);
  expect(stale.calls).toEqual([`kubectl get persistentvolumeclaim/${claims[0]} -o name`]);
  // Any other answer than NotFound stops it too.
  const forbidden = run(switchJob(COLD(), pg, 'site-b', 'promote'), { FORBIDDEN: '1' });
  expect(forbidden.code).toBe(1);
  expect(forbidden.out).toContain('reading claim data-orders-site-b-0: Error from server (Forbidden)');
  const fence = run(switchJob(COLD(), pg, 'site-a', 'fence'));
  expect(fence.code).toBe(0);
  expect(fence.calls).toEqual([
    'kubectl scale statefulset/orders-site-a --replicas=0',
    'kubectl wait statefulset/orders-site-a --for=jsonpath={.status.replicas}=0 --timeout=300s',
  ]);
  expect(run(switchJob(COLD(), pg, 'site-a', 'fence'), { FAIL_WAIT: '1' }).code).not.toBe(0);
});

test('csi-addons: promote marks every volume primary and waits for the driver before any member starts; fence stops the members first, then demotes the volumes', () => {
  const mysql = Engine.mysql({ version: MysqlVersion.V8_4 });
  const vr = (i: number) => `volumereplication.replication.storage.openshift.io/data-orders-${i}`;
  const promote = run(switchJob(CSI(), mysql, 'site-b', 'promote'));
  expect(promote.code).toBe(0);
  expect(promote.calls).toEqual([
    ...[0, 1, 2].map((i) => `kubectl patch ${vr(i)} --type merge -p {"spec":{"replicationState":"primary"}}`),
    `kubectl wait ${[0, 1, 2].map(vr).join(' ')} --for=jsonpath={.status.state}=Primary --timeout=300s`,
    'kubectl scale statefulset/orders --replicas=3',
  ]);
  // A volume the driver does not report primary stops the promotion before the members start on it.
  const stuck = run(switchJob(CSI(), mysql, 'site-b', 'promote'), { FAIL_WAIT: '1' });
  expect(stuck.code).not.toBe(0);
  expect(stuck.calls.some((c) => c.startsWith('kubectl scale'))).toBe(false);
  const fence = run(switchJob(CSI(), mysql, 'site-a', 'fence'));
  expect(fence.code).toBe(0);
  expect(fence.calls).toEqual([
    'kubectl scale statefulset/orders --replicas=0',
    'kubectl wait statefulset/orders --for=jsonpath={.status.replicas}=0 --timeout=300s',
    ...[0, 1, 2].map((i) => `kubectl patch ${vr(i)} --type merge -p {"spec":{"replicationState":"secondary"}}`),
    `kubectl wait ${[0, 1, 2].map(vr).join(' ')} --for=jsonpath={.status.state}=Secondary --timeout=300s`,
  ]);
});

test('Stork: fence stops the members, then suspends the MigrationSchedule (absent on a site that never was active: not an error; unreadable: an error)', () => {
  const valkey = Engine.valkey({ version: ValkeyVersion.V8_0 });
  const schedule = 'migrationschedule.stork.libopenstorage.org/orders-dr';
  const fence = run(switchJob(STORK(), valkey, 'site-a', 'fence'), { EXISTS: '1' });
  expect(fence.code).toBe(0);
  expect(fence.calls.slice(-2)).toEqual([`kubectl get ${schedule} -o name`, `kubectl patch ${schedule} --type merge -p {"spec":{"suspend":true}}`]);
  const none = run(switchJob(STORK(), valkey, 'site-b', 'fence'));
  expect(none.code).toBe(0);
  expect(none.out).toContain('no MigrationSchedule orders-dr on this site');
  // Refused by RBAC, or Stork not installed: the fence fails instead of claiming the copies stopped.
  const forbidden = run(switchJob(STORK(), valkey, 'site-a', 'fence'), { FORBIDDEN: '1' });
  expect(forbidden.code).toBe(1);
  expect(forbidden.out).toContain('reading MigrationSchedule orders-dr: Error from server (Forbidden)');
  const promote = run(switchJob(STORK(), valkey, 'site-b', 'promote'));
  expect(promote.calls).toEqual(['kubectl scale statefulset/orders --replicas=3']);
});
