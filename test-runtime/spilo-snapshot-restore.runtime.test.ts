import { ChildProcess, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Cron, Testing } from 'cdk8s';
import { parse } from 'yaml';
import {
  BackupMethod, BackupSchedule, Engine, PostgresVersion, ReplicatedDatabase, Restore, Retention, StatefulDatabase,
} from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { PatroniMember, startEtcd } from './support/patroni-member';
import { until } from './support/wait';
import { synthValid } from '../test/support/synth';

// A volume snapshot of a ReplicatedDatabase member (Patroni on Spilo) restored into a StatefulDatabase (the postgres
// image), with the init containers the library synthesizes, on this machine's PostgreSQL 15.
//
// The source: Spilo cannot run here, so Debian's Patroni 3.0.2 stands in for it, with what Spilo gives Patroni and
// what shapes the volume: the data directory at <volume>/pgroot/data (Spilo's PGROOT and PGDATA), owned by the postgres
// user of this machine, whose uid is 101 as Spilo's is (asserted below), created by Patroni's bootstrap (initdb with
// UTF8 and data checksums), Patroni's own postgresql.conf (the original renamed postgresql.base.conf), Spilo's pg_hba
// rules (configure_spilo.py: TLS-only for remote clients, md5) with TLS on (Spilo generates a self-signed certificate;
// here openssl does), logs in pgroot/pg_log, the superuser and the `standby` replication role with the passwords of
// the source's Secret, the scope and bootstrap.dcs the ReplicatedDatabase synthesizes. etcd stands in for the
// Kubernetes DCS. Two members: the snapshot is cut from the replica, as the snapshot CronJob prefers, while both run.
// The restore: the harness's CSI snapshot (processes frozen while the claim is copied, owners kept), the kubelet's
// fsGroup on the new pod's volume (harness/pod.ts setVolumeOwnership), then the synthesized StatefulSet.
const BIN = '/usr/lib/postgresql/15/bin';
const ROOT = '/var/lib/cdkdb-runtime';
const PASSWORDS = { source: 'spilo-superuser-pw', standby: 'spilo-standby-pw', copy: 'copy-superuser-pw' };
const SNAPSHOT = 'orders-snapshots-20261121t000000z-orders-1';

function synth(): any[] {
  const app = Testing.app();
  const chart = new Chart(app, 'c', { namespace: 'shop' });
  const source = new ReplicatedDatabase(chart, 'orders', { name: 'orders', engine: Engine.postgres({ version: PostgresVersion.V15 }), zones: ['a', 'b', 'c'] });
  new BackupSchedule(chart, 'backups', {
    database: source,
    methods: [BackupMethod.volumeSnapshot({ snapshotClassName: 'csi', schedule: Cron.schedule({ minute: '0', hour: '*/6' }), retention: Retention.keepLast(4) })],
  });
  // The snapshot's name is one the BackupSchedule gives: its source is known at synth (same namespace, same major).
  new StatefulDatabase(chart, 'copy', { name: 'orders-copy', engine: Engine.postgres({ version: PostgresVersion.V15 }), restoreFrom: Restore.fromVolumeSnapshot(SNAPSHOT) });
  new StatefulDatabase(chart, 'copy-leader', {
    name: 'orders-copy-leader',
    engine: Engine.postgres({ version: PostgresVersion.V15 }),
    restoreFrom: Restore.fromVolumeSnapshot('orders-leader-manual', { source }),
  });
  // App.synth runs the synth-time checks (Testing.synth does not).
  app.synth();
  return synthValid(chart);
}

/** One Patroni member standing in for a Spilo pod: its network namespace, its volume (a claim folder), its config. */
class Member extends PatroniMember {
  constructor(name: string, ns: string, ip: string, public readonly volume: string, home: string) {
    super(name, ns, ip, home);
  }

  public get dataDir(): string {
    return path.join(this.volume, 'pgroot', 'data');
  }

  /** psql on the member's socket (Spilo's `local all all trust`). */
  public sql(query: string): string {
    return execFileSync(`${BIN}/psql`, ['-h', path.join(this.dir, 'sock'), '-U', 'postgres', '-d', 'postgres', '-XAtc', query], {
      env: { ...process.env, PGCONNECT_TIMEOUT: '5' }, encoding: 'utf8',
    }).trim();
  }
}

async function sql(pod: LocalPod, query: string, options: { password?: string; user?: string } = {}): Promise<string> {
  // With a password: over TCP to the pod's own address, where pg_hba asks for a password (as for clients).
  const conn = options.password ? ['-h', pod.ip] : [];
  const argv = options.password ? ['env', `PGPASSWORD=${options.password}`, 'psql'] : ['psql'];
  const r = await pod.exec('postgresql', [...argv, ...conn, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', options.user ?? 'postgres', '-d', 'postgres', '-c', query], 30);
  if (r.code !== 0) throw new Error(`${pod.name}: ${query}: ${r.stderr}`);
  return r.stdout.trim();
}

const FINGERPRINT = "SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY id)) FROM items t";

/** Every file of a tree, relative, with its owner uid and mode. */
function owners(dir: string): Map<string, { uid: number; mode: number }> {
  const out = new Map<string, { uid: number; mode: number }>();
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    out.set(path.relative(dir, p), { uid: st.uid, mode: st.mode % 0o10000 });
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
  return out;
}

describe('a Patroni (Spilo) member\'s volume snapshot restored into a StatefulDatabase', () => {
  const manifests = synth();
  let cluster: LocalCluster;
  let etcd: ChildProcess | undefined;
  const members: Member[] = [];

  beforeAll(async () => {
    for (const tool of ['patroni', 'etcd', 'openssl', `${BIN}/postgres`, `${BIN}/psql`]) {
      try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }); } catch {
        throw new Error(`${tool} is missing: run .ci/install-runtime-deps as root first`);
      }
    }
    // Spilo's postgres uid is 101: this machine's postgres user stands in for it only if it has that uid too.
    expect(Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())).toBe(101);
    cluster = new LocalCluster(manifests, {
      'orders-copy-credentials': { username: 'postgres', password: PASSWORDS.copy },
      'orders-copy-leader-credentials': { username: 'postgres', password: PASSWORDS.copy },
    });
    const sts = manifests.find((m) => m.kind === 'StatefulSet' && m.metadata.name === 'orders');
    const main = sts.spec.template.spec.containers.find((c: any) => c.name === 'postgresql');
    const envOf = (n: string) => main.env.find((e: any) => e.name === n);
    expect(envOf('PGROOT').value).toBe('/home/postgres/pgdata/pgroot');
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const ref = envOf('SPILO_CONFIGURATION').valueFrom.configMapKeyRef;
    const dcs = parse(manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === ref.name).data[ref.key]).bootstrap.dcs;

    const id = cluster.network.id;
    const host = cluster.network.hostAddress;
    const base = path.join(ROOT, `spilo-restore-${id}`);
    fs.rmSync(base, { recursive: true, force: true });
    fs.mkdirSync(base, { recursive: true });
    etcd = startEtcd(base, host, id);

    for (const i of [0, 1]) {
      const name = `orders-${i}`;
      const { ns, ip } = cluster.network.attach(name);
      const home = path.join(base, name);
      fs.mkdirSync(path.join(home, 'sock'), { recursive: true });
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-days', '2',
        '-keyout', path.join(home, 'server.key'), '-out', path.join(home, 'server.crt')], { stdio: 'ignore' });
      // The claim the StatefulSet's template gives this member: data-orders-<i>; Spilo's launch.sh makes PGROOT postgres's.
      const volume = cluster.claimDir(`data-${name}`);
      fs.mkdirSync(path.join(volume, 'pgroot', 'pg_log'), { recursive: true });
      const config = {
        scope: envOf('SCOPE').value,
        name,
        restapi: { listen: '0.0.0.0:8008', connect_address: `${ip}:8008` },
        etcd3: { hosts: [`${host}:2379`] },
        // configure_spilo.py: initdb encoding UTF8 and data-checksums; the dcs is the synthesized one.
        bootstrap: { dcs, initdb: [{ encoding: 'UTF8' }, 'data-checksums'] },
        postgresql: {
          listen: '0.0.0.0:5432',
          connect_address: `${ip}:5432`,
          data_dir: path.join(volume, 'pgroot', 'data'),
          bin_dir: BIN,
          pgpass: path.join(home, 'pgpass'),
          authentication: {
            superuser: { username: 'postgres', password: PASSWORDS.source },
            replication: { username: envOf('PGUSER_STANDBY').value, password: PASSWORDS.standby },
          },
          parameters: {
            unix_socket_directories: path.join(home, 'sock'),
            ssl: 'on',
            ssl_cert_file: path.join(home, 'server.crt'),
            ssl_key_file: path.join(home, 'server.key'),
            // Spilo's list less what this machine lacks (bg_mon, pgextwlist, pg_auth_mon, set_user).
            shared_preload_libraries: 'pg_stat_statements',
            logging_collector: 'on',
            log_destination: 'csvlog',
            log_directory: '../pg_log',
          },
          // configure_spilo.py's pg_hba without the PAM lines (PAM_OAUTH2 unset) and ALLOW_NOSSL unset.
          pg_hba: [
            'local all all trust',
            'host all all 127.0.0.1/32 md5',
            'host all all ::1/128 md5',
            'local replication standby trust',
            'hostssl replication standby all md5',
            'hostnossl all all all reject',
            'hostssl all all all md5',
          ],
        },
      };
      fs.writeFileSync(path.join(home, 'patroni.yml'), JSON.stringify(config, null, 1));
      execFileSync('chown', ['-R', 'postgres:postgres', home, path.join(volume, 'pgroot')]);
      fs.chmodSync(home, 0o700);
      fs.chmodSync(path.join(home, 'server.key'), 0o600);
      members.push(new Member(name, ns, ip, volume, home));
    }
    for (const m of members) {
      m.start();
      await until(`${m.name} running`, async () => (await m.api('/health').catch(() => undefined))?.state === 'running', 180);
    }
  });

  afterAll(async () => {
    for (const m of [...members].reverse()) await m.stop().catch(() => undefined);
    etcd?.kill('SIGTERM');
    await cluster?.destroy();
  });

  let atSnapshot: string;

  test('the source: a leader and a streaming replica, their data in pgroot/data owned by uid 101, as in a Spilo volume', async () => {
    const [leader, replica] = members;
    await until('orders-1 streaming from orders-0', async () => leader.sql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") === '1', 120);
    leader.sql('CREATE TABLE items (id int PRIMARY KEY, name text, price numeric)');
    leader.sql("INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 20000) g");
    leader.sql("CREATE ROLE app_reader LOGIN PASSWORD 'reader-pw'; GRANT SELECT ON items TO app_reader");
    atSnapshot = leader.sql(FINGERPRINT);
    await until('the replica replayed every row', async () => replica.sql(FINGERPRINT) === atSnapshot, 120);
    expect(replica.sql('SELECT pg_is_in_recovery()')).toBe('t');
    const data = replica.dataDir;
    for (const f of ['PG_VERSION', 'postgresql.base.conf', 'postgresql.conf', 'pg_hba.conf', 'standby.signal', 'postmaster.pid', 'patroni.dynamic.json']) {
      expect({ f, exists: fs.existsSync(path.join(data, f)) }).toEqual({ f, exists: true });
    }
    expect(fs.readFileSync(path.join(data, 'postgresql.conf'), 'utf8')).toContain("include 'postgresql.base.conf'");
    expect(fs.readFileSync(path.join(data, 'pg_hba.conf'), 'utf8')).toContain('hostnossl all all all reject');
    expect(fs.statSync(data).uid).toBe(101);
    expect(fs.statSync(data).mode % 0o1000).toBe(0o700);
    expect(fs.statSync(path.join(data, 'PG_VERSION')).mode % 0o1000).toBe(0o600);
    expect(fs.existsSync(path.join(replica.volume, 'pgdata'))).toBe(false);
  });

  test('the replica\'s snapshot, cut while it runs, starts as a StatefulDatabase: every row, the new Secret only, writable', async () => {
    // The CSI snapshot: the member's processes (Patroni, PostgreSQL) frozen while the claim is copied, owners kept.
    cluster.snapshotClaim({ name: 'orders-1' } as LocalPod, 'data-orders-1', 'data-orders-copy-0');
    const restored = cluster.claimDir('data-orders-copy-0');
    expect(fs.statSync(path.join(restored, 'pgroot', 'data', 'PG_VERSION')).uid).toBe(101);
    const set = cluster.object('StatefulSet', 'orders-copy');
    expect(set.spec.template.spec.securityContext).toMatchObject({ runAsUser: 999, fsGroup: 999 });
    // OnRootMismatch: the restored volume's root is not the pod's group (Spilo's pods run with fsGroup 103, and this
    // one's root is root's), so the kubelet changes every file on the first start.
    expect(set.spec.template.spec.securityContext.fsGroupChangePolicy).toBe('OnRootMismatch');
    expect(fs.statSync(restored).gid).not.toBe(999);
    expect(set.spec.volumeClaimTemplates[0].spec.dataSource).toEqual({ apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: SNAPSHOT });

    const [copy] = await cluster.startStatefulSet('orders-copy', { readyTimeoutSeconds: 180 });
    const layout = copy.logs('restore-layout');
    expect(layout).toContain('a Patroni (Spilo) data directory of PostgreSQL 15, owned by uid 101: copying it to pgdata as uid 999');
    expect(layout).toContain('the Spilo data directory is now pgdata, owned by uid 999 with mode 700');
    expect(copy.logs('restore-credentials')).toContain('superuser password set from the new Secret');
    const serverLog = copy.logs('restore-credentials') + copy.logs('postgresql');
    expect(serverLog).toMatch(/database system was interrupted while in recovery|database system was not properly shut down/);
    expect(copy.logs('postgresql')).toContain('database system is ready to accept connections');
    expect(copy.logs('postgresql')).not.toMatch(/FATAL|PANIC/);

    // Every row the replica had when the snapshot was cut; a primary now, not a standby.
    expect(await sql(copy, FINGERPRINT)).toBe(atSnapshot);
    expect(await sql(copy, 'SELECT pg_is_in_recovery()')).toBe('f');
    await sql(copy, "INSERT INTO items VALUES (20001, 'after the restore', 1)");
    expect(await sql(copy, "SELECT rolname FROM pg_roles WHERE rolname = 'app_reader'")).toBe('app_reader');

    // The new database's Secret works over TCP; the source's passwords do not, nor does its replication role.
    expect(await sql(copy, 'SELECT 1', { password: PASSWORDS.copy })).toBe('1');
    await expect(sql(copy, 'SELECT 1', { password: PASSWORDS.source })).rejects.toThrow(/password authentication failed/);
    await expect(sql(copy, 'SELECT 1', { password: PASSWORDS.standby, user: 'standby' })).rejects.toThrow(/password authentication failed|not permitted to log in/);
    expect(await sql(copy, "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'standby'")).toBe('f');
    // No TLS here, and the image's pg_hba: Spilo's TLS-only rules would have refused this client.
    expect(await sql(copy, 'SHOW ssl')).toBe('off');
    // An application role of the source keeps its own password.
    expect(await sql(copy, 'SELECT count(*) FROM items', { password: 'reader-pw', user: 'app_reader' })).toBe('20001');

    // The volume: the image's layout, uid 999's, Patroni's files kept aside, the Spilo copy gone.
    const pgdata = path.join(restored, 'pgdata');
    expect(fs.statSync(pgdata).uid).toBe(999);
    expect(fs.statSync(pgdata).mode % 0o1000).toBe(0o700);
    const notOwned = [...owners(pgdata)].filter(([, o]) => o.uid !== 999).map(([f]) => f);
    expect(notOwned).toEqual([]);
    for (const f of ['postgresql.patroni.conf', 'pg_hba.patroni.conf']) expect(fs.existsSync(path.join(pgdata, f))).toBe(true);
    for (const f of ['standby.signal', 'patroni.dynamic.json', 'postgresql.base.conf']) expect(fs.existsSync(path.join(pgdata, f))).toBe(false);
    expect(fs.readFileSync(path.join(pgdata, 'pg_hba.conf'), 'utf8')).toContain('host all all all scram-sha-256');
    expect(fs.existsSync(path.join(restored, 'pgroot', 'data'))).toBe(false);

    // A restart: the steps find the image's layout and do nothing; the rows stay.
    await copy.stop();
    await copy.start();
    await copy.waitReady(120);
    expect(copy.logs('restore-layout')).toContain('the data directory is in the postgres image\'s layout (pgdata/)');
    expect(await sql(copy, 'SELECT count(*) FROM items')).toBe('20001');
    expect(await sql(copy, 'SELECT 1', { password: PASSWORDS.copy })).toBe('1');
  });

  test('the leader\'s snapshot (no standby.signal), named freely with `source`, restores the same way', async () => {
    const [leader] = members;
    leader.sql("INSERT INTO items SELECT g, 'late ' || g, 0 FROM generate_series(20001, 20500) g");
    const expected = leader.sql(FINGERPRINT);
    cluster.snapshotClaim({ name: 'orders-0' } as LocalPod, 'data-orders-0', 'data-orders-copy-leader-0');
    const [copy] = await cluster.startStatefulSet('orders-copy-leader', { readyTimeoutSeconds: 180 });
    expect(copy.logs('restore-layout')).toContain('the Spilo data directory is now pgdata');
    expect(copy.logs('restore-credentials') + copy.logs('postgresql')).toContain('database system was not properly shut down; automatic recovery in progress');
    expect(await sql(copy, FINGERPRINT)).toBe(expected);
    expect(await sql(copy, 'SELECT 1', { password: PASSWORDS.copy })).toBe('1');
    await expect(sql(copy, 'SELECT 1', { password: PASSWORDS.source })).rejects.toThrow(/password authentication failed/);
  });

  test('a volume with no PostgreSQL data directory is refused, not initialised empty', async () => {
    // A StatefulDatabase restored from a snapshot of something else: the layout step fails with what it found.
    const dir = cluster.claimDir('data-orders-copy-leader-0');
    const pod = cluster.statefulSetPods('orders-copy-leader')[0];
    await pod.kill();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(cluster.claimDir('data-orders-copy-leader-0'), 'something-else'), { recursive: true });
    await expect(pod.start(2)).rejects.toThrow(/restore FAILED: the volume restored from the snapshot holds no PostgreSQL data directory.*something-else/);
    expect(fs.existsSync(path.join(dir, 'pgdata'))).toBe(false);
  });
});
