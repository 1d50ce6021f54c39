import { Chart, Size, Testing } from 'cdk8s';
import { Engine, ReplicatedDatabase, ValkeyVersion } from '../src';
import { ApiStandin } from './harness/api-standin';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { cli, role, sentinelsSettled } from './support/valkey';
import { until } from './support/wait';
import { synthValid } from '../test/support/synth';

// Valkey 8.0.1 with Sentinel, three members, with the role labeller talking to a stand-in API server over HTTPS
// (harness/api-standin.ts: PATCH of a pod's labels, authorized from the synthesized Role and RoleBinding). The
// primary Service (`primaryHost`) and the -ro Service are resolved from the pods' labels as patched at runtime.
const NAME = 'sessions';
const PASSWORD = 'runtime-test-password';
const KEY = 'cdk8s-databases.io/role';

function synth(): { manifests: any[]; primaryHost: string; readerHost: string } {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'web' });
  const db = new ReplicatedDatabase(chart, 'db', {
    name: NAME, engine: Engine.valkey({ version: ValkeyVersion.V8_0 }), zones: ['a', 'b', 'c'], memory: Size.mebibytes(256),
  });
  return { manifests: synthValid(chart), primaryHost: db.primaryHost, readerHost: db.readerHost! };
}


describe('primaryHost and readerHost follow the roles of Valkey Sentinel members', () => {
  const { manifests, primaryHost, readerHost } = synth();
  let cluster: LocalCluster;
  let api: ApiStandin;
  let pods: LocalPod[];

  /** The pod a Service name resolves to, as seen from inside `from` (the harness points it at one Ready pod it selects). */
  async function resolved(host: string, from: LocalPod): Promise<LocalPod | undefined> {
    await cluster.refreshServices();
    const r = await from.exec('valkey', ['getent', 'hosts', host], 10);
    const ip = r.stdout.split(/\s+/)[0];
    return pods.find((p) => p.ip === ip);
  }
  /** A write through `primaryHost` from an application's point of view (here: another member's container). */
  async function writeThroughPrimaryHost(from: LocalPod, key: string): Promise<string> {
    return (await from.exec('valkey', ['valkey-cli', '-h', primaryHost, 'set', key, 'v'], 20)).stdout.trim();
  }
  /** Waits until the primary Service resolves to the member that is master, and returns it. */
  function primaryServiceOnWriter(running: LocalPod[], what: string, timeoutSeconds: number): Promise<LocalPod> {
    return until(what, async () => {
      const target = await resolved(primaryHost, running[0]);
      return target && running.includes(target) && (await role(target)) === 'master' ? target : undefined;
    }, timeoutSeconds);
  }
  async function readerServiceOnReplica(running: LocalPod[], writer: LocalPod): Promise<LocalPod> {
    return until('the -ro Service on a replica', async () => {
      const target = await resolved(readerHost, running[0]);
      return target && target !== writer && running.includes(target) && (await role(target)) === 'slave' ? target : undefined;
    }, 60);
  }
  beforeAll(async () => {
    cluster = new LocalCluster(manifests, { [`${NAME}-credentials`]: { password: PASSWORD }, [`${NAME}-app`]: { username: 'app', password: 'app-pw' } });
    api = await cluster.startApi();
    pods = await cluster.startStatefulSet(NAME, { readyTimeoutSeconds: 90 });
    await sentinelsSettled(pods, 90);
  });
  afterAll(async () => cluster?.destroy());

  test('after formation: primaryHost reaches the writer, readerHost a replica, with only the rights the Role grants', async () => {
    const writer = await primaryServiceOnWriter(pods, 'the primary Service on the writer', 60);
    expect(writer.name).toBe(`${NAME}-0`);
    expect(await writeThroughPrimaryHost(pods[2], 'formed')).toBe('OK');
    await readerServiceOnReplica(pods, writer);
    await until('every member labelled', async () => pods.every((p) => p.labels[KEY] !== undefined));
    expect(pods.map((p) => p.labels[KEY])).toEqual(['primary', 'replica', 'replica']);
    // Every label patch came with the pods' ServiceAccount token and was allowed by the synthesized Role.
    const patches = api.calls.filter((c) => c.method === 'PATCH');
    expect(patches.length).toBeGreaterThanOrEqual(3);
    expect(new Set(patches.map((c) => `${c.serviceAccount} ${c.status}`))).toEqual(new Set([`${NAME} 200`]));
    expect(api.labelChanges).toEqual(expect.arrayContaining([`${NAME}-0 ${KEY}=primary`, `${NAME}-1 ${KEY}=replica`, `${NAME}-2 ${KEY}=replica`]));
    // The same token cannot patch a pod the Role does not name (least privilege, as the API server would refuse).
    const denied = await pods[1].exec('role-labeller', ['bash', '-c', [
      'sa=/var/run/secrets/kubernetes.io/serviceaccount',
      'curl -s -o /dev/null -w "%{http_code}" --cacert $sa/ca.crt -H "Authorization: Bearer $(cat $sa/token)"'
      + ' -H "Content-Type: application/merge-patch+json" -X PATCH --data \'{"metadata":{"labels":{"x":"y"}}}\''
      + ' "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/web/pods/other-0"',
    ].join('\n')], 20);
    expect(denied.stdout).toBe('403');
    // The engine's containers hold no token.
    expect((await pods[0].exec('valkey', ['test', '-e', '/var/run/secrets/kubernetes.io/serviceaccount/token'])).code).toBe(1);
    expect((await pods[0].exec('role-labeller', ['test', '-s', '/var/run/secrets/kubernetes.io/serviceaccount/token'])).code).toBe(0);
    for (const p of pods) expect(p.restarts('role-reporter') + p.restarts('role-labeller')).toBe(0);
  });

  test('after a graceful switchover (the primary\'s preStop): primaryHost reaches the new writer', async () => {
    const old = await primaryServiceOnWriter(pods, 'the primary Service on the writer', 60);
    await old.stop();
    const others = pods.filter((p) => p !== old);
    const next = await primaryServiceOnWriter(others, 'the primary Service on the new writer', 90);
    expect(next).not.toBe(old);
    expect(await writeThroughPrimaryHost(others[0], 'after-switchover')).toBe('OK');
    expect(await cli(next, 'get', 'after-switchover')).toBe('v');
    await readerServiceOnReplica(others, next);
    // The old primary comes back as a replica, and is labelled so.
    await old.start();
    await old.waitReady(90);
    await until('the returning member labelled replica', async () => old.labels[KEY] === 'replica' && (await role(old)) === 'slave', 90);
    expect(pods.filter((p) => p.labels[KEY] === 'primary')).toEqual([next]);
  });

  test('after the primary\'s loss: primaryHost reaches the promoted replica', async () => {
    await sentinelsSettled(pods, 90);
    const old = await primaryServiceOnWriter(pods, 'the primary Service on the writer', 60);
    await old.kill();
    const others = pods.filter((p) => p !== old);
    const next = await primaryServiceOnWriter(others, 'the primary Service on the promoted replica', 120);
    expect(await writeThroughPrimaryHost(others[0], 'after-loss')).toBe('OK');
    expect(await cli(next, 'get', 'after-loss')).toBe('v');
    const reader = await readerServiceOnReplica(others, next);
    expect(reader).toBe(others.find((p) => p !== next));
    // Among the running members exactly one carries the primary label (the lost one is not Ready: out of every Service).
    expect(others.filter((p) => p.labels[KEY] === 'primary')).toEqual([next]);
  });
});
