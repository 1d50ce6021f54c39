import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { ApplicationUser, Credentials, DRPair, DrStrategy, Engine, PostgresVersion } from '../src';
import { PodNetwork } from './harness/network';
import { run } from './harness/pod';
import { DrAction, PairSite, pairSites, selfSignedTls } from './support/dr-pair-sites';
import { PatroniMember, asPostgres } from './support/patroni-member';
import { startSiteEtcd } from './support/site-etcd';
import { until } from './support/wait';

// A PostgreSQL warm standby DRPair on Debian's Patroni 3.0.2, etcd and PostgreSQL 15: both sites' charts synthesized
// from one `new DRPair(...)`, each validated, two members per site, each site with its own etcd (its own DCS, as each
// Kubernetes cluster is its own). Site A is the primary; site B a standby cluster following A's leader through the
// permanent slot A keeps for it. Then the switch the DR Jobs make (fence A, promote B: A follows B), and a failback
// the hard way (A promoted while B still runs as primary, then B's demote Job: pg_rewind).
//
// From the synthesized YAML: each site's Patroni scope (SCOPE), SPILO_CONFIGURATION's `bootstrap.dcs` (with the
// permanent slot for the peer, `max_slot_wal_keep_size`, and `standby_cluster` on the passive site) and its
// `postgresql.authentication` block (replication and superuser with sslmode verify-ca against the shared CA), the
// replication user (PGUSER_STANDBY), `patroni-dynamic.json` (PATCHed into each running site as the config sidecar
// does), the member hosts (`<db>-N.<db>-headless.shop.svc`), the client Service host, the cross-site host
// (`<ServiceExport>.shop.svc.clusterset.local`), and the fence, promote and demote Jobs (suspended in the YAML; the
// test "resumes" one by running its container command in a pod of its site, with its env: PGUSER and PGPASSWORD from
// the credentials Secret, PGSSLMODE require).
//
// The test's stand-ins, said here once:
// - Spilo is not run: configure_spilo.py would write the rest of Patroni's local configuration in the pod; here it is
//   this test's own (`memberConfig`): listen and connect addresses, data directory, pg_hba (hostssl, as Spilo's).
// - TLS: one self-signed certificate is every member's certificate and the shared CA (cert-manager's Certificate and
//   CA Issuer); `sslrootcert` of the authentication block is the YAML's `/tls/ca.crt` moved to that file's path here
//   (no mounts). sslmode stays the YAML's verify-ca: replication, pg_basebackup and pg_rewind verify the peer's chain.
// - The pod network: one bridge for both sites, each member and each Job pod in its own network namespace. The
//   Services are names in the pods' hosts files: a site's client Service and its cross-site name point at its first
//   member, which stays its leader here (the MCS ServiceExport and the primary Service would follow the leader).
// - etcd stands in for each cluster's Kubernetes API as Patroni's DCS.
const SITES = ['site-a', 'site-b'] as const;
type Site = typeof SITES[number];
const SECRET = 'orders-credentials';
const SECRETS = { [SECRET]: { 'username': 'postgres', 'password': 'runtime-superuser-pw', 'replication-password': 'runtime-standby-pw' } };
const BIN = '/usr/lib/postgresql/15/bin';
const ROOT = '/var/lib/cdkdb-runtime';
const PG_PORT = 5432;
const JOB_TIMEOUT = 330;
// Above the Jobs' own bound (300 s in the YAML) and JOB_TIMEOUT: a Job that gives up reports what it saw in the
// assertion, instead of jest cutting the test off first.
jest.setTimeout((JOB_TIMEOUT + 90) * 1000);

function synthesizePair(podCidr: string): Record<string, PairSite> {
  const pair = new DRPair(Testing.app(), 'orders', {
    namespaceName: 'shop',
    sites: [
      { name: 'site-a', zones: ['a1', 'a2'], trafficSourceCidrs: [podCidr] },
      { name: 'site-b', zones: ['b1', 'b2'], trafficSourceCidrs: [podCidr] },
    ],
    activeSite: 'site-a',
    database: {
      name: 'orders',
      engine: Engine.postgres({ version: PostgresVersion.V15 }),
      credentials: Credentials.fromSecretName(SECRET),
      applicationUser: ApplicationUser.superuser(),
      tls: { issuerName: 'ca' },
      // Both sites get the same replicas (one definition): two members each.
      replicas: 2,
    },
    strategy: DrStrategy.databaseReplication(),
  });
  return pairSites(pair, [...SITES], SECRETS);
}

class Member extends PatroniMember {
  constructor(public readonly site: Site, name: string, ns: string, ip: string, dir: string) {
    super(name, ns, ip, dir);
  }

  public sql(query: string): string {
    return execFileSync(`${BIN}/psql`, ['-X', '-h', this.ip, '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atc', query], {
      env: { ...process.env, PGPASSWORD: SECRETS[SECRET].password, PGCONNECT_TIMEOUT: '5', PGSSLMODE: 'require' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  }

  /** The error PostgreSQL gives for `query`, or '' when it succeeds. */
  public sqlError(query: string): string {
    try {
      this.sql(query);
      return '';
    } catch (e: any) {
      return String(e.stderr);
    }
  }

  /** PostgreSQL's role as Patroni reports it (`GET /patroni`: master, replica, standby_leader). */
  public async role(): Promise<string> {
    const s = await this.api('/patroni');
    return `${s.role}/${s.state}`;
  }

  public get log(): string {
    return fs.readFileSync(path.join(this.dir, 'patroni.log'), 'utf8');
  }
}

/** Patroni's local configuration, standing in for what Spilo writes, around the synthesized parts (JSON is YAML). */
function memberConfig(m: Member, site: PairSite, etcd: string, tls: { cert: string; key: string; ca: string }): any {
  const withCa = (block: any) => ({ ...block, sslrootcert: block.sslrootcert === '/tls/ca.crt' ? tls.ca : block.sslrootcert });
  return {
    scope: site.scope,
    name: m.name,
    restapi: { listen: '0.0.0.0:8008', connect_address: `${m.ip}:8008` },
    etcd3: { hosts: [etcd] },
    bootstrap: { dcs: site.dcs, initdb: [{ encoding: 'UTF8' }, 'data-checksums'] },
    postgresql: {
      listen: `0.0.0.0:${PG_PORT}`,
      connect_address: `${m.ip}:${PG_PORT}`,
      data_dir: path.join(m.dir, 'data'),
      bin_dir: BIN,
      pgpass: path.join(m.dir, 'pgpass'),
      authentication: {
        superuser: { ...withCa(site.authentication.superuser), username: SECRETS[SECRET].username, password: SECRETS[SECRET].password },
        replication: { ...withCa(site.authentication.replication), username: site.replicationUser, password: SECRETS[SECRET]['replication-password'] },
      },
      parameters: { unix_socket_directories: path.join(m.dir, 'sock'), ssl: 'on', ssl_cert_file: tls.cert, ssl_key_file: tls.key },
      pg_hba: ['local all all trust', 'hostssl all all 0.0.0.0/0 scram-sha-256', `hostssl replication ${site.replicationUser} 0.0.0.0/0 scram-sha-256`],
    },
  };
}

/** Seconds between the first log line matching `from` and the first after it matching `to` (Patroni's and PostgreSQL's timestamps). */
function logSpan(log: string, from: RegExp, to: RegExp): string {
  const lines = log.split('\n');
  const at = (line: string) => Date.parse(line.slice(0, 23).replace(',', '.').replace(' ', 'T') + 'Z');
  const start = lines.findIndex((l) => from.test(l));
  const end = lines.findIndex((l, i) => i > start && to.test(l));
  return start < 0 || end < 0 ? '?' : ((at(lines[end]) - at(lines[start])) / 1000).toFixed(2);
}

describe('PostgreSQL DRPair warm standby (Patroni 3.0.2), from the synthesized YAML: fence A, promote B, A follows B; failback with pg_rewind', () => {
  let sites: Record<string, PairSite>;
  let network: PodNetwork;
  const etcds: ChildProcess[] = [];
  const members: Member[] = [];
  const jobPod: Partial<Record<Site, string>> = {};
  const timings: Record<string, string> = {};
  const site = (s: Site) => members.filter((m) => m.site === s);

  /** Resumes a suspended DR Job: its container command in a pod of its site, as the postgres user, with its env. */
  const job = async (s: Site, action: DrAction) => {
    const j = sites[s].jobs[action];
    const env = Object.entries(j.env).map(([k, v]) => `${k}=${v}`);
    const started = Date.now();
    const result = await run('ip', ['netns', 'exec', jobPod[s]!, ...asPostgres(), 'env', '-i', `PATH=${BIN}:/usr/bin:/bin`, ...env, ...j.command], JOB_TIMEOUT);
    return { ...result, seconds: (Date.now() - started) / 1000 };
  };

  beforeAll(async () => {
    for (const tool of ['patroni', 'etcd', 'openssl', `${BIN}/postgres`, `${BIN}/psql`, `${BIN}/pg_rewind`, 'curl']) {
      try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }); } catch {
        throw new Error(`${tool} is missing: apt-get install patroni etcd-server postgresql-15 curl openssl (.ci/install-runtime-deps)`);
      }
    }
    // A network id no other live run owns (two runs on one machine never take or clean each other's).
    network = PodNetwork.claim(process.pid % 200);
    sites = synthesizePair(`${network.hostAddress.replace(/\.1$/, '.0')}/24`);
    const base = path.join(ROOT, `dr-postgres-${network.id}`);
    fs.rmSync(base, { recursive: true, force: true });
    fs.mkdirSync(base, { recursive: true });
    const tls = selfSignedTls(path.join(base, 'tls'));
    for (const [i, s] of SITES.entries()) {
      const { proc, endpoint } = startSiteEtcd(path.join(base, `etcd-${s}`), network.hostAddress, 2379 + 10 * i);
      etcds.push(proc);
      for (const { name, host } of sites[s].members) {
        const { ns, ip } = network.attach(name);
        network.addNames(ip, [host]);
        const dir = path.join(base, name);
        fs.mkdirSync(path.join(dir, 'sock'), { recursive: true });
        const m = new Member(s, name, ns, ip, dir);
        fs.writeFileSync(path.join(dir, 'patroni.yml'), JSON.stringify(memberConfig(m, sites[s], endpoint, tls), null, 1));
        execFileSync('chown', ['-R', 'postgres:postgres', dir]);
        fs.chmodSync(dir, 0o700);
        members.push(m);
      }
      jobPod[s] = network.attach(`${sites[s].scope}-dr`).ns;
    }
    for (const s of SITES) network.addNames(site(s)[0].ip, [sites[s].crossSiteHost, sites[s].clientHost]);
    // Site A forms first (OrderedReady), then B bootstraps from it; each site's config sidecar PATCHes the dynamic file.
    for (const s of SITES) {
      for (const m of site(s)) {
        m.start();
        await until(`${m.name} running`, async () => (await m.api('/health').catch(() => undefined))?.state === 'running', 180);
      }
      const r = await fetch(`http://${site(s)[0].ip}:8008/config`, { method: 'PATCH', body: JSON.stringify(sites[s].dynamic), signal: AbortSignal.timeout(5000) });
      expect(r.status).toBe(200);
    }
  }, 600000);

  afterAll(async () => {
    for (const m of members) await m.stop().catch(() => undefined);
    for (const e of etcds) e.kill('SIGTERM');
    network?.destroy();
    // The figures of this run (fence, catch-up, promotion, demotion and rewind).
    console.log(`DR switch timings (s): ${JSON.stringify(timings)}`);
  });

  test('the YAML: every DR Job suspended; standby_cluster in the passive site\'s bootstrap only; a bounded permanent slot for the peer on both', () => {
    for (const s of SITES) {
      for (const action of ['fence', 'promote', 'demote'] as const) {
        expect(`${sites[s].jobs[action].name}: suspend ${sites[s].jobs[action].suspend}`).toBe(`${sites[s].jobs[action].name}: suspend true`);
      }
      expect(sites[s].jobs.fence.env).toMatchObject({ PGUSER: 'postgres', PGPASSWORD: SECRETS[SECRET].password, PGSSLMODE: 'require' });
      expect(JSON.stringify(sites[s].dynamic)).not.toContain('standby_cluster');
      expect(sites[s].dynamic.slots).toEqual(sites[s].dcs.slots);
      expect(Object.keys(sites[s].dcs.slots)).toHaveLength(1);
      expect(sites[s].authentication.replication.sslmode).toBe('verify-ca');
    }
    expect(sites['site-a'].dcs.standby_cluster).toBeUndefined();
    expect(sites['site-b'].dcs.standby_cluster).toMatchObject({ host: sites['site-a'].crossSiteHost, port: PG_PORT });
  });

  test('B is a standby cluster following A over verified TLS: its leader a standby leader, A\'s rows on both of B\'s members, writes refused', async () => {
    const [a0, a1] = site('site-a');
    const [b0, b1] = site('site-b');
    await until('A: leader and replica', async () => (await a0.role()) === 'master/running' && (await a1.role()) === 'replica/running', 60);
    await until('B: standby leader and replica', async () => (await b0.role()) === 'standby_leader/running' && (await b1.role()) === 'replica/running', 120);
    a0.sql("CREATE TABLE items (id int PRIMARY KEY, note text); INSERT INTO items VALUES (1, 'written on A'), (2, 'written on A')");
    for (const m of [b0, b1]) await until(`the rows on ${m.name}`, async () => m.sql('SELECT count(*) FROM items') === '2', 60);
    expect(b0.sqlError("INSERT INTO items VALUES (10, 'on B')")).toContain('cannot execute INSERT in a read-only transaction');
    // B streams through the permanent slot A keeps for it, over TLS (the replication user's sslmode verify-ca).
    const [slotOnA] = Object.keys(sites['site-a'].dcs.slots);
    await until(`slot ${slotOnA} active on A`, async () => a0.sql(`SELECT active FROM pg_replication_slots WHERE slot_name = '${slotOnA}'`) === 't', 60);
    expect(a0.sql(`SELECT s.ssl FROM pg_stat_ssl s JOIN pg_replication_slots r ON r.active_pid = s.pid WHERE r.slot_name = '${slotOnA}'`)).toBe('t');
    const [slotOnB] = Object.keys(sites['site-b'].dcs.slots);
    await until(`slot ${slotOnB} on B`, async () => b0.sql(`SELECT count(*) FROM pg_replication_slots WHERE slot_name = '${slotOnB}'`) === '1', 60);
    // The dynamic configuration's bound on the slots, in force on both sites.
    for (const s of SITES) expect(site(s)[0].sql('SHOW max_slot_wal_keep_size')).toBe(String(sites[s].dynamic.postgresql.parameters.max_slot_wal_keep_size));
  });

  test('the fence Job: sessions ended, the peer has every write, then A is a standby cluster of B: a BEGIN READ WRITE is refused', async () => {
    const [a0, a1] = site('site-a');
    const [b0] = site('site-b');
    // A client in the middle of a transaction when the fence comes.
    const open = spawn(`${BIN}/psql`, ['-X', '-h', a0.ip, '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1',
      '-c', "BEGIN; INSERT INTO items VALUES (99, 'open at the fence'); SELECT pg_sleep(120); COMMIT;"],
    { env: { ...process.env, PGPASSWORD: SECRETS[SECRET].password, PGAPPNAME: 'shop-app' } });
    let openErr = '';
    open.stderr.on('data', (d) => { openErr += d; });
    const openExit = new Promise<number | null>((resolve) => open.on('exit', resolve));
    await until('the open transaction', async () => a0.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'shop-app' AND state = 'active'") === '1', 30);
    // The last write A takes, just before the fence.
    a0.sql("INSERT INTO items VALUES (3, 'last write on A')");

    const fenced = await job('site-a', 'fence');
    timings.fence = fenced.seconds.toFixed(1);
    timings.fenceCatchUp = fenced.stdout.match(/the peer has all WAL of this site after (\d+)s/)?.[1] ?? '?';
    // From Patroni's demotion to PostgreSQL stopped (no more writes), and on to the standby leader running.
    timings.hardFenceStop = logSpan(a0.log, /Demoting self \(immediate-nolock\)/, /database system is shut down/);
    timings.hardFenceStandbyLeader = logSpan(a0.log, /Demoting self \(immediate-nolock\)/, /promoted self to a standby leader/);
    expect(fenced.stderr).toBe('');
    expect(fenced.code).toBe(0);
    const a = sites['site-a'];
    expect(fenced.stdout).toContain(`PATCH http://${a.members[0].host}:8008/config {"postgresql":{"parameters":{"default_transaction_read_only":"on"}}}: HTTP 200`);
    expect(fenced.stdout).toMatch(new RegExp(`new sessions on ${a.clientHost.replace(/\./g, '\\.')} are read-only; terminated [1-9]\\d* client session\\(s\\)`));
    expect(fenced.stdout).toMatch(new RegExp(`the peer has all WAL of this site after \\d+s: received ${Object.keys(a.dcs.slots)[0]}: flushed [0-9A-F/]+, 0 bytes behind`));
    expect(fenced.stdout).toContain(`"standby_cluster":{"host":"${sites['site-b'].crossSiteHost}","port":5432`);
    expect(fenced.stdout).toContain(`fenced: this site is a standby cluster of ${sites['site-b'].crossSiteHost}:5432; the standby leader ${a0.ip}:5432 refuses READ WRITE `
      + '(ERROR:  cannot set transaction read-write mode during recovery)');
    expect(await openExit).not.toBe(0);
    expect(openErr).toContain('terminating connection due to administrator command');
    // What the soft fence let through (a client beginning READ WRITE) is refused now: A's PostgreSQL is in recovery.
    expect(a0.sqlError("BEGIN READ WRITE; INSERT INTO items VALUES (50, 'past the fence'); COMMIT")).toContain('cannot set transaction read-write mode during recovery');
    expect(a0.sql('SELECT pg_is_in_recovery()')).toBe('t');
    expect(await a0.role()).toBe('standby_leader/running');
    await until('A\'s replica running', async () => (await a1.role()) === 'replica/running', 60);
    // B had every write A took, the last one included, before A stopped.
    await until('row 3 on B', async () => b0.sql('SELECT id FROM items ORDER BY id') === '1\n2\n3', 10);
    // A second run changes nothing and says so.
    const again = await job('site-a', 'fence');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already fenced: no member runs as primary');
  });

  test('the promote Job makes B primary: the rows from A present, writes accepted; A follows B onto its timeline', async () => {
    const [a0, a1] = site('site-a');
    const [b0, b1] = site('site-b');
    const b = sites['site-b'];
    const promoted = await job('site-b', 'promote');
    timings.promote = promoted.seconds.toFixed(1);
    expect(promoted.stderr).toBe('');
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toContain('config {"standby_cluster":null,"postgresql":{"parameters":{"default_transaction_read_only":null}}}: HTTP 200');
    expect(promoted.stdout).toContain(`promoted: http://${b.members[0].host}:8008 runs as primary and holds the leader lock`);
    expect(await b0.role()).toBe('master/running');
    expect(b0.sql('SELECT id FROM items ORDER BY id')).toBe('1\n2\n3');
    b0.sql("INSERT INTO items VALUES (4, 'written on B after the promotion')");
    const started = Date.now();
    for (const m of [b1, a0, a1]) await until(`row 4 on ${m.name}`, async () => m.sql('SELECT count(*) FROM items WHERE id = 4') === '1', 60);
    timings.aFollowsB = ((Date.now() - started) / 1000).toFixed(1);
    // Fenced after B had all of A's WAL, A needed no rewind to follow B's new timeline.
    timings.rewindAfterFence = /pg_rewind/.test(a0.log) ? 'yes' : 'no';
    const again = await job('site-b', 'promote');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('runs as primary and holds the leader lock');
  });

  test('the demote Job on the fenced A changes nothing: A streams from B, no restart', async () => {
    const [a0] = site('site-a');
    const startTime = a0.sql('SELECT pg_postmaster_start_time()');
    const demoted = await job('site-a', 'demote');
    timings.demoteNoop = demoted.seconds.toFixed(1);
    expect(demoted.stderr).toBe('');
    expect(demoted.code).toBe(0);
    expect(demoted.stdout).toContain(`demoted: http://${sites['site-a'].members[0].host}:8008 is the standby leader, streaming from ${sites['site-b'].crossSiteHost}:5432`);
    expect(demoted.stdout).toMatch(/the other members follow the standby leader on timeline \d+\n?$/);
    expect(demoted.stdout).not.toContain('reinitialize');
    expect(a0.sql('SELECT pg_postmaster_start_time()')).toBe(startTime);
  });

  test('failback without a fence (B unreachable, A promoted): B, back as a primary with writes of its own, is rewound by its demote Job', async () => {
    const [a0, a1] = site('site-a');
    const [b0, b1] = site('site-b');
    const promoted = await job('site-a', 'promote');
    expect(promoted.code).toBe(0);
    a0.sql("INSERT INTO items VALUES (6, 'written on A after the failback')");
    // B never learned of it and took a write of its own: the writes the failback loses.
    b0.sql("INSERT INTO items VALUES (5, 'written on B, lost')");
    await until('row 5 on B\'s replica', async () => b1.sql('SELECT count(*) FROM items WHERE id = 5') === '1', 30);
    const demoted = await job('site-b', 'demote');
    timings.demoteRewind = demoted.seconds.toFixed(1);
    expect(demoted.stderr).toBe('');
    expect(demoted.code).toBe(0);
    expect(demoted.stdout).toContain(`demoted: http://${sites['site-b'].members[0].host}:8008 is the standby leader, streaming from ${sites['site-a'].crossSiteHost}:5432`);
    expect(b0.log).toMatch(/running pg_rewind from remote_member/);
    timings.rewindToStandbyLeader = logSpan(b0.log, /Demoting self \(immediate-nolock\)/, /starting as a standby leader/);
    // B's replica had replayed row 5: cloned again from the rewound standby leader.
    expect(demoted.stdout).toMatch(new RegExp(`http://${sites['site-b'].members[1].host.replace(/\./g, '\\.')}:8008 is not on timeline \\d+ after 30s: POST /reinitialize: HTTP 200`));
    for (const m of [b0, b1, a1]) await until(`A's rows on ${m.name}`, async () => m.sql('SELECT id FROM items ORDER BY id') === '1\n2\n3\n4\n6', 60);
    expect(b0.sqlError("BEGIN READ WRITE; INSERT INTO items VALUES (7, 'on B')")).toContain('cannot set transaction read-write mode during recovery');
  });
});
