import { Chart, Size, Testing } from 'cdk8s';
import { Engine, ReplicatedDatabase, ValkeyVersion } from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { cli, role, sentinelsSettled } from './support/valkey';
import { until } from './support/wait';
import { synthValid } from '../test/support/synth';

// Valkey 8.0.1 with Sentinel, run from the synthesized StatefulSet: the exact version of the image
// (Debian bookworm-backports). Three members, each a data server and a Sentinel, on their own addresses.
const NAME = 'sessions';
const PASSWORD = 'runtime-test-password';

function synth(): any[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'web' });
  new ReplicatedDatabase(chart, 'db', {
    name: NAME, engine: Engine.valkey({ version: ValkeyVersion.V8_0 }), zones: ['a', 'b', 'c'], memory: Size.mebibytes(256),
  });
  return synthValid(chart);
}

const fqdn = (i: number) => `${NAME}-${i}.${NAME}-headless.web.svc`;

/** The one member that is a primary, when exactly one is and every other running member replicates from it. */
async function soleWriter(pods: LocalPod[]): Promise<LocalPod | undefined> {
  const roles = await Promise.all(pods.map(role));
  const writers = pods.filter((_p, i) => roles[i] === 'master');
  if (writers.length !== 1) return undefined;
  const w = writers[0];
  const info = await cli(w, 'info', 'replication');
  const linked = (info.match(/^slave\d+:.*state=online/gm) ?? []).length;
  return linked === roles.filter((r) => r === 'slave').length && linked === pods.length - 1 ? w : undefined;
}
/** Waits until one of `members` is a primary, and returns it. */
function newPrimaryAmong(members: LocalPod[], what: string, timeoutSeconds: number): Promise<LocalPod> {
  return until(what, async () => {
    const roles = await Promise.all(members.map(role));
    return members.find((_p, i) => roles[i] === 'master');
  }, timeoutSeconds);
}
async function sentinelView(pod: LocalPod): Promise<string> {
  return cli(pod, '-p', '26379', 'sentinel', 'get-master-addr-by-name', 'primary').then((s) => s.split('\n')[0]);
}
/**
 * A write acknowledged by `replicas` replicas (WAIT), as a careful client makes it: retried while the
 * replicas are still being pointed at a new primary.
 */
async function ackedWrite(w: LocalPod, key: string, replicas: number): Promise<void> {
  await until(`${key} acknowledged by ${replicas} replica(s)`, async () => {
    await cli(w, 'set', key, 'v');
    return Number(await cli(w, 'wait', String(replicas), '2000')) >= replicas;
  }, 60);
}

describe('Valkey Sentinel, run from the synthesized YAML', () => {
  let cluster: LocalCluster;
  let pods: LocalPod[];
  const manifests = synth();

  beforeAll(async () => {
    cluster = new LocalCluster(manifests, { [`${NAME}-credentials`]: { password: PASSWORD }, [`${NAME}-app`]: { username: 'app', password: 'app-pw' } });
    pods = await cluster.startStatefulSet(NAME, { readyTimeoutSeconds: 90 });
    await sentinelsSettled(pods, 60);
  });
  afterAll(async () => cluster?.destroy());

  test('forms: member 0 primary, two replicas online, every Sentinel agrees, writes replicate', async () => {
    expect(pods.map((p) => p.skipped)).toEqual([0, 1, 2].map(() => ['metrics-exporter (docker.io/oliver006/redis_exporter:v1.66.0)']));
    const w = await until('one writer with two online replicas', () => soleWriter(pods));
    expect(w.name).toBe(`${NAME}-0`);
    for (const p of pods) expect(await until('Sentinel view', () => sentinelView(p))).toBe(fqdn(0));
    await ackedWrite(w, 'formed', 2);
    for (const p of pods) expect(await cli(p, 'get', 'formed')).toBe('v');
    // Valkey refuses unknown settings at start: every server and Sentinel started from our files.
    for (const p of pods) expect(p.restarts('valkey') + p.restarts('sentinel')).toBe(0);
  });

  test('the primary stopped gracefully hands over first: no write lost, it returns as a replica', async () => {
    const w = (await soleWriter(pods))!;
    await ackedWrite(w, 'before-switchover', 2);
    await w.stop();
    const others = pods.filter((p) => p !== w);
    const next = await newPrimaryAmong(others, 'a new primary among the others', 30);
    expect(await cli(next, 'get', 'before-switchover')).toBe('v');
    await w.start();
    await w.waitReady(90);
    expect(await until('old primary back as a replica', async () => (await role(w)) === 'slave' && (await soleWriter(pods)) === next)).toBe(true);
    expect(await cli(w, 'get', 'before-switchover')).toBe('v');
  });

  test('the primary\'s node lost: the Sentinels promote a replica; the old member rejoins as a replica', async () => {
    await sentinelsSettled(pods, 60);
    const w = (await soleWriter(pods))!;
    await ackedWrite(w, 'before-crash', 2);
    await w.kill();
    const others = pods.filter((p) => p !== w);
    const next = await newPrimaryAmong(others, 'Sentinels to promote a replica', 60);
    expect(await cli(next, 'get', 'before-crash')).toBe('v');
    await ackedWrite(next, 'after-crash', 1);
    await w.start();
    await w.waitReady(90);
    await until('old primary back as a replica of the new one', async () => (await soleWriter(pods)) === next, 60);
    expect(await cli(w, 'get', 'after-crash')).toBe('v');
  });
});

// A fresh set: Sentinels that voted in a failover wait 2 x failover-timeout (120 s) before they try another.
describe('Valkey Sentinel, full outage', () => {
  let cluster: LocalCluster;
  let pods: LocalPod[];

  beforeAll(async () => {
    cluster = new LocalCluster(synth(), { [`${NAME}-credentials`]: { password: PASSWORD }, [`${NAME}-app`]: { username: 'app', password: 'app-pw' } });
    pods = await cluster.startStatefulSet(NAME, { readyTimeoutSeconds: 90 });
    await sentinelsSettled(pods, 60);
  });
  afterAll(async () => cluster?.destroy());

  test('full restart after a failover the stale member missed: the newest view wins, no acknowledged write lost', async () => {
    // The primary's node is lost; while it is away, the others fail over and take writes.
    const w = await until('one writer', () => soleWriter(pods));
    await w.kill();
    const others = pods.filter((p) => p !== w);
    const next = await newPrimaryAmong(others, 'failover', 60);
    await ackedWrite(next, 'while-stale-member-away', 1);
    // Then every pod goes (a full outage), and all come back together.
    await Promise.all(others.map((p) => p.stop()));
    await Promise.all(pods.map((p) => p.start()));
    await Promise.all(pods.map((p) => p.waitReady(120)));
    const writer = await until('one writer after the full restart', () => soleWriter(pods), 90);
    expect(writer).not.toBe(w);
    for (const p of pods) expect(await until(`${p.name} to hold the write`, async () => (await cli(p, 'get', 'while-stale-member-away')) === 'v', 30)).toBe(true);
  });
});
