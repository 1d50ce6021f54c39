import { Chart, Size, Testing } from 'cdk8s';
import { Engine, ReplicatedDatabase, StatefulDatabase, ValkeyVersion } from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { cli, role, sentinelsSettled } from './support/valkey';
import { until } from './support/wait';
import { synthValid } from '../test/support/synth';

// Valkey 8.0.1 (the image's version, Debian bookworm-backports) run from the synthesized YAML: the application user
// that every member defines at start from the application user's Secret (`<name>-app`, generated in the cluster by
// the credentials Job; given here as the cluster would hold it, with a password the shell and an ACL line would parse).
const SUPER = 'runtime-super-pw';
const APP = { username: 'app', password: 'app pw "q" \'s\' $HOME `id` #x >y ~*' };

/** valkey-cli as `user` from inside a pod's server container; the reply (error replies included) and the exit code. */
async function as(pod: LocalPod, user: { username: string; password: string }, ...args: string[]): Promise<{ code: number; out: string }> {
  // --pass on argv is the test's own client; REDISCLI_AUTH/VALKEYCLI_AUTH of the container (the superuser's) are dropped.
  const r = await pod.exec('valkey', ['env', '-u', 'REDISCLI_AUTH', '-u', 'VALKEYCLI_AUTH',
    'valkey-cli', '--no-auth-warning', '--raw', '--user', user.username, '--pass', user.password, ...args], 20);
  return { code: r.code, out: `${r.stdout}${r.stderr}`.trim() };
}

describe('Valkey single instance: the application user', () => {
  let cluster: LocalCluster;
  let pod: LocalPod;

  beforeAll(async () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'web' });
    const engine = Engine.valkey({ version: ValkeyVersion.V8_0 });
    const db = new StatefulDatabase(chart, 'db', { name: 'cache', engine, memory: Size.mebibytes(256) });
    // A Secret whose name an ACL rule could not hold: that member refuses to start.
    new StatefulDatabase(chart, 'bad', { name: 'badcache', engine, memory: Size.mebibytes(256) });
    const manifests = synthValid(chart);
    // What the application is handed is the application user's Secret.
    expect(db.applicationSecretName).toBe('cache-app');
    cluster = new LocalCluster(manifests, {
      'cache-credentials': { username: 'default', password: SUPER },
      'cache-app': APP,
      'badcache-credentials': { username: 'default', password: SUPER },
      'badcache-app': { username: 'my app', password: 'pw' },
    });
    [pod] = await cluster.startStatefulSet('cache', { readyTimeoutSeconds: 60 });
  });
  afterAll(async () => cluster?.destroy());

  test('the application user reads and writes; the superuser still serves the probes', async () => {
    expect(await as(pod, APP, 'acl', 'whoami')).toEqual({ code: 0, out: 'app' });
    expect((await as(pod, APP, 'set', 'order:1', 'paid')).out).toBe('OK');
    expect((await as(pod, APP, 'get', 'order:1')).out).toBe('paid');
    expect((await as(pod, APP, 'publish', 'orders', 'x')).code).toBe(0);
    expect((await as(pod, { username: 'app', password: 'wrong' }, 'get', 'order:1')).out).toMatch(/WRONGPASS/);
    // The probes authenticate as the default user (REDISCLI_AUTH), which keeps every right.
    expect(await pod.probe('valkey', 'readiness')).toBe(true);
    expect(await cli(pod, 'acl', 'whoami')).toBe('default');
    expect(await cli(pod, 'acl', 'getuser', 'app').then((s) => s.split('\n').includes('+@all -@admin'))).toBe(true);
    expect(pod.restarts('valkey')).toBe(0);
  });

  test.each([
    ['CONFIG SET', ['config', 'set', 'maxmemory', '1mb']],
    ['CONFIG GET', ['config', 'get', 'requirepass']],
    ['SHUTDOWN', ['shutdown', 'nosave']],
    ['ACL SETUSER', ['acl', 'setuser', 'app', '+@all']],
    ['ACL LIST', ['acl', 'list']],
    ['REPLICAOF', ['replicaof', '10.0.0.1', '6379']],
    ['CLIENT KILL', ['client', 'kill', 'id', '1']],
    ['BGSAVE', ['bgsave']],
    ['MONITOR', ['monitor']],
  ])('the application user is refused %s (@admin)', async (_what, args) => {
    const r = await as(pod, APP, ...args);
    expect(r.out).toMatch(/^NOPERM User app has no permissions to run the '[a-z|]+' command/);
    expect(await cli(pod, 'ping')).toBe('PONG');
  });

  test('neither the password nor its hash is on a command line or in the log', async () => {
    const ps = await pod.exec('valkey', ['sh', '-c', 'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < $f; echo; done'], 10);
    expect(ps.stdout).toContain('valkey-server');
    const hash = (await cli(pod, 'acl', 'getuser', 'app')).split('\n').find((l) => /^[0-9a-f]{64}$/.test(l))!;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    for (const secret of [APP.password, hash]) {
      expect(ps.stdout).not.toContain(secret);
      expect(pod.logs('valkey')).not.toContain(secret);
    }
    expect(pod.logs('valkey')).toContain('application user app: ~* &* +@all -@admin');
  });

  test('after a restart the user is there again (defined at start), and so is its data', async () => {
    await pod.stop();
    await pod.start();
    await pod.waitReady(60);
    expect((await as(pod, APP, 'get', 'order:1')).out).toBe('paid');
    expect((await as(pod, APP, 'config', 'set', 'maxmemory', '1mb')).out).toMatch(/^NOPERM/);
  });

  test('a name from the Secret that an ACL rule cannot hold: the member refuses to start, saying why', async () => {
    const [bad] = cluster.statefulSetPods('badcache');
    await bad.start();
    const message = 'application user: the name in Secret badcache-app key username must be letters, digits, \'.\', \'_\', \'-\' or \'@\'';
    await until('the refusal in the log', async () => bad.logs('valkey').includes(message), 30);
    expect(await bad.ready()).toBe(false);
    await bad.kill();
  });
});

describe('Valkey Sentinel: the application user on every member, through primaryHost, across a failover', () => {
  const NAME = 'sessions';
  let cluster: LocalCluster;
  let pods: LocalPod[];
  let primaryHost: string;

  /** The pod the primary Service resolves to from `from`, when it is the master. */
  async function primaryServiceOnWriter(running: LocalPod[], what: string, timeoutSeconds: number): Promise<LocalPod> {
    return until(what, async () => {
      await cluster.refreshServices();
      const ip = (await running[0].exec('valkey', ['getent', 'hosts', primaryHost], 10)).stdout.split(/\s+/)[0];
      const target = pods.find((p) => p.ip === ip);
      return target && running.includes(target) && (await role(target)) === 'master' ? target : undefined;
    }, timeoutSeconds);
  }

  beforeAll(async () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'web' });
    const db = new ReplicatedDatabase(chart, 'db', {
      name: NAME, engine: Engine.valkey({ version: ValkeyVersion.V8_0 }), zones: ['a', 'b', 'c'], memory: Size.mebibytes(256),
    });
    primaryHost = db.primaryHost;
    cluster = new LocalCluster(synthValid(chart), { [`${NAME}-credentials`]: { password: SUPER }, [`${NAME}-app`]: APP });
    await cluster.startApi();
    pods = await cluster.startStatefulSet(NAME, { readyTimeoutSeconds: 90 });
    await sentinelsSettled(pods, 90);
  });
  afterAll(async () => cluster?.destroy());

  test('the application user writes through primaryHost, and exists on every replica (read-only there)', async () => {
    const writer = await primaryServiceOnWriter(pods, 'the primary Service on the writer', 60);
    expect(writer.name).toBe(`${NAME}-0`);
    const client = pods[2];
    expect((await as(client, APP, '-h', primaryHost, 'set', 'session:1', 'alice')).out).toBe('OK');
    for (const p of pods) {
      expect(await as(p, APP, 'acl', 'whoami')).toEqual({ code: 0, out: 'app' });
      expect(await until(`${p.name} to hold the write`, async () => (await as(p, APP, 'get', 'session:1')).out === 'alice', 30)).toBe(true);
      expect((await as(p, APP, 'replicaof', 'no', 'one')).out).toMatch(/^NOPERM/);
    }
    for (const p of pods.filter((x) => x !== writer)) expect((await as(p, APP, 'set', 'x', 'y')).out).toMatch(/^READONLY/);
    // Replication, Sentinel and the probes keep the superuser.
    for (const p of pods) expect(p.restarts('valkey') + p.restarts('sentinel')).toBe(0);
  });

  test('after the primary is lost: the application user writes to the promoted replica through primaryHost', async () => {
    const old = await primaryServiceOnWriter(pods, 'the primary Service on the writer', 60);
    await old.kill();
    const others = pods.filter((p) => p !== old);
    const next = await primaryServiceOnWriter(others, 'the primary Service on the promoted replica', 120);
    expect(next).not.toBe(old);
    expect(await until('a write through primaryHost as the application user',
      async () => (await as(others[0], APP, '-h', primaryHost, 'set', 'session:2', 'bob')).out === 'OK', 60)).toBe(true);
    expect((await as(next, APP, 'get', 'session:2')).out).toBe('bob');
    expect((await as(next, APP, 'get', 'session:1')).out).toBe('alice');
    // The lost member comes back as a replica and defines the user again.
    await old.start();
    await old.waitReady(90);
    await until('the old primary back as a replica', async () => (await role(old)) === 'slave', 90);
    expect(await until('the write on the returning member', async () => (await as(old, APP, 'get', 'session:2')).out === 'bob', 60)).toBe(true);
  });
});
