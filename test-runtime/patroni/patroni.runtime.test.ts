import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { Engine, PostgresVersion, ReplicatedDatabase } from '../../src';
import { synthValid } from '../../test/support/synth';
import { PodNetwork } from '../harness/network';
import { run } from '../harness/pod';
import { PatroniMember, asPostgres, startEtcd } from '../support/patroni-member';
import { until } from '../support/wait';

// Patroni 3.0.2 and etcd 3.4 (Debian bookworm) run three members with what the synthesized objects give Patroni:
// the scope, the bootstrap.dcs of the ConfigMap, the PATCH /config file, the leader's preStop and the config sidecar's
// script, each member in its own network namespace (its localhost:8008 is its own Patroni, as in a pod).
// What is NOT run here: Spilo (configure_spilo.py writes the rest of Patroni's configuration in the pod: pg_hba, TLS,
// callbacks) and the Kubernetes DCS (no API server here: etcd stands in for it). The stand-in local configuration
// below is this test's own and says so.
const NAME = 'orders';
const MEMBERS = [0, 1, 2];
const PASSWORDS = { superuser: 'runtime-superuser-pw', standby: 'runtime-standby-pw' };
const BIN = '/usr/lib/postgresql/15/bin';
const ROOT = '/var/lib/cdkdb-runtime';
const INIT_SCRIPTS = {
  '01-schema.sql': 'CREATE TABLE items (id int PRIMARY KEY, name text);\nINSERT INTO items VALUES (1, \'first\');',
  '02-more.sh': 'psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO items VALUES (2, \'from sh in $PGDATABASE\')"',
};

function synth(config: Record<string, string>): any[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
  new ReplicatedDatabase(chart, 'db', {
    name: NAME,
    engine: Engine.postgres({ version: PostgresVersion.V15 }),
    zones: ['a', 'b', 'c'],
    synchronousStandbys: 1,
    config,
    databaseName: 'shop',
    initScripts: INIT_SCRIPTS,
  });
  return synthValid(chart);
}

interface Synthesized {
  scope: string; dcs: any; dynamic: string; preStop: string; sidecar: string; initJob: string; initEnv: any[]; appJob: string; appEnv: any[];
}
function read(manifests: any[]): Synthesized {
  const sts = manifests.find((m) => m.kind === 'StatefulSet');
  const containers = sts.spec.template.spec.containers;
  const main = containers.find((c: any) => c.name === 'postgresql');
  const sidecar = containers.find((c: any) => c.name === 'patroni-config');
  const ref = main.env.find((e: any) => e.name === 'SPILO_CONFIGURATION').valueFrom.configMapKeyRef;
  const data = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === ref.name).data;
  return {
    scope: main.env.find((e: any) => e.name === 'SCOPE').value,
    dcs: parse(data[ref.key]).bootstrap.dcs,
    dynamic: data['patroni-dynamic.json'],
    preStop: main.lifecycle.preStop.exec.command[2],
    sidecar: sidecar.command[2],
    initJob: manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith(`${NAME}-init-`)).spec.template.spec.containers[0].command[2],
    initEnv: manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith(`${NAME}-init-`)).spec.template.spec.containers[0].env,
    appJob: manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith(`${NAME}-app-`)).spec.template.spec.containers[0].command[2],
    appEnv: manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith(`${NAME}-app-`)).spec.template.spec.containers[0].env,
  };
}

/** A POSIX shell single-quoted word. */
const shellQuote = (value: string) => `'${value.split("'").join("'\\''")}'`;

class Member extends PatroniMember {
  /** Runs a script from the synthesized pod in this member's network namespace, as postgres, with the pod's HOSTNAME. */
  public sh(script: string, timeoutSeconds = 120): Promise<{ code: number; stdout: string; stderr: string }> {
    return run('ip', ['netns', 'exec', this.ns, ...asPostgres(), 'env', '-i', 'PATH=/usr/bin:/bin', `HOSTNAME=${this.name}`,
      'sh', '-c', script], timeoutSeconds);
  }

  public sql(query: string): string {
    return execFileSync(`${BIN}/psql`, ['-h', this.ip, '-U', 'postgres', '-d', 'postgres', '-Atc', query], {
      env: { ...process.env, PGPASSWORD: PASSWORDS.superuser, PGCONNECT_TIMEOUT: '5' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  }
}

/**
 * The config sidecar's script, with its two paths moved to this member's folder, run as the container would (it
 * keeps running). `update` writes the member's copy of the ConfigMap file, as the kubelet does when a ConfigMap
 * volume changes; `ready` resolves once the sidecar marked itself ready.
 */
class Sidecar {
  private readonly desired: string;
  private readonly mark: string;
  private readonly logFile: string;
  private readonly proc: ChildProcess;
  constructor(private readonly m: Member, script: string, dynamic: string) {
    this.desired = path.join(m.dir, 'dynamic.json');
    this.mark = path.join(m.dir, 'applied');
    this.logFile = path.join(m.dir, 'sidecar.log');
    this.update(dynamic);
    fs.rmSync(this.mark, { force: true });
    const body = script.split('/etc/patroni-config/patroni-dynamic.json').join(this.desired).split('/tmp/patroni-config.applied').join(this.mark);
    const out = fs.openSync(this.logFile, 'w');
    this.proc = spawn('ip', ['netns', 'exec', m.ns, ...asPostgres(), 'env', '-i', 'PATH=/usr/bin:/bin', `HOSTNAME=${m.name}`, 'sh', '-c', body],
      { stdio: ['ignore', out, out], cwd: m.dir });
    fs.closeSync(out);
  }

  public update(dynamic: string): void {
    fs.writeFileSync(`${this.desired}.new`, dynamic);
    fs.renameSync(`${this.desired}.new`, this.desired);
  }

  public async ready(): Promise<void> {
    await until(`${this.m.name}: sidecar ready`, async () => fs.existsSync(this.mark), 120);
  }

  public get log(): string {
    return fs.readFileSync(this.logFile, 'utf8');
  }

  public async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((resolve) => this.proc.on('exit', resolve));
    this.proc.kill('SIGTERM');
    await exited;
  }
}

async function roles(members: Member[]): Promise<Record<string, string>> {
  const c = await members.find((m) => m.proc?.exitCode === null && m.proc?.signalCode === null)!.api('/cluster');
  return Object.fromEntries(c.members.map((x: any) => [x.name, `${x.role}/${x.state}`]));
}

describe('Patroni 3.0.2 runs the synthesized configuration and scripts', () => {
  const first = read(synth({ work_mem: '32MB' }));
  let network: PodNetwork;
  let base: string;
  let etcd: ChildProcess;
  const members: Member[] = [];
  const sidecars: Sidecar[] = [];

  beforeAll(async () => {
    for (const tool of ['patroni', 'etcd', `${BIN}/postgres`, `${BIN}/psql`]) {
      try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }); } catch {
        throw new Error(`${tool} is missing: apt-get install patroni etcd-server postgresql-15 (.ci/install-runtime-deps)`);
      }
    }
    // A network id no other live run owns (two runs on one machine never take or clean each other's).
    network = PodNetwork.claim(process.pid % 200);
    const id = network.id;
    base = path.join(ROOT, `patroni-${id}`);
    fs.rmSync(base, { recursive: true, force: true });
    fs.mkdirSync(base, { recursive: true });
    const host = network.hostAddress;
    etcd = startEtcd(base, host, id);
    for (const i of MEMBERS) {
      const name = `${NAME}-${i}`;
      const { ns, ip } = network.attach(name);
      const dir = path.join(base, name);
      fs.mkdirSync(path.join(dir, 'sock'), { recursive: true });
      // From the synthesized objects: scope, member name (the pod name, as Spilo sets it), bootstrap.dcs.
      // The rest stands in for what Spilo's configure_spilo.py writes in the pod (JSON is YAML).
      const config = {
        scope: first.scope,
        name,
        restapi: { listen: '0.0.0.0:8008', connect_address: `${ip}:8008` },
        etcd3: { hosts: [`${host}:2379`] },
        bootstrap: { dcs: first.dcs, initdb: [{ encoding: 'UTF8' }, 'data-checksums'] },
        postgresql: {
          listen: '0.0.0.0:5432',
          connect_address: `${ip}:5432`,
          data_dir: path.join(dir, 'data'),
          bin_dir: BIN,
          pgpass: path.join(dir, 'pgpass'),
          authentication: {
            superuser: { username: 'postgres', password: PASSWORDS.superuser },
            replication: { username: 'standby', password: PASSWORDS.standby },
          },
          parameters: { unix_socket_directories: path.join(dir, 'sock') },
          pg_hba: ['local all all trust', 'host all all 0.0.0.0/0 scram-sha-256', 'host replication standby 0.0.0.0/0 scram-sha-256'],
        },
      };
      fs.writeFileSync(path.join(dir, 'patroni.yml'), JSON.stringify(config, null, 1));
      execFileSync('chown', ['-R', 'postgres:postgres', dir]);
      fs.chmodSync(dir, 0o700);
      members.push(new Member(name, ns, ip, dir));
    }
    // OrderedReady: member i+1 starts once member i runs.
    for (const m of members) {
      m.start();
      await until(`${m.name} running`, async () => (await m.api('/health').catch(() => undefined))?.state === 'running', 120);
    }
  });

  afterAll(async () => {
    for (const c of sidecars) await c.stop().catch(() => undefined);
    for (const m of members) await m.stop().catch(() => undefined);
    etcd?.kill('SIGTERM');
    network?.destroy();
  });

  test('forms from the synthesized bootstrap.dcs: one leader, a synchronous standby, a replica, all streaming', async () => {
    const r = await until('one leader, a sync standby and a replica', async () => {
      const now = await roles(members);
      return Object.values(now).sort().join() === 'leader/running,replica/running,sync_standby/running' && now;
    }, 60);
    expect(r[`${NAME}-0`]).toBe('leader/running');
    expect(members[0].sql('SHOW work_mem')).toBe('32MB');
    expect(await members[0].api('/config')).toEqual(first.dcs);
  });

  test('the init Job creates databaseName and runs initScripts once, against the primary', async () => {
    // The Job's env, with the Secret's values and the primary Service's address filled in as the cluster would.
    // sslmode: Spilo serves TLS (and the Job requires it); this test's stand-in Patroni configuration has none.
    const values: Record<string, string> = { PGUSER: 'postgres', PGPASSWORD: PASSWORDS.superuser };
    const env = first.initEnv.map((e: any) => `${e.name}='${e.name === 'PGHOST' ? members[0].ip : e.name === 'PGSSLMODE' ? 'disable' : e.value ?? values[e.name]}'`);
    const folder = path.join(members[0].dir, 'initdb.d');
    fs.mkdirSync(folder, { recursive: true });
    for (const [file, text] of Object.entries(INIT_SCRIPTS)) fs.writeFileSync(path.join(folder, file), text);
    execFileSync('chown', ['-R', 'postgres:postgres', folder]);
    const script = `export ${env.join(' ')}\n${first.initJob.split('/docker-entrypoint-initdb.d').join(folder)}`;
    const once = await members[0].sh(script);
    expect(once.stderr).toBe('');
    expect(once.stdout).toContain('database shop created');
    expect(once.stdout).toContain('init scripts applied to shop');
    const rows = () => execFileSync(`${BIN}/psql`, ['-h', members[0].ip, '-U', 'postgres', '-d', 'shop', '-Atc', 'SELECT id, name FROM items ORDER BY id'], {
      env: { ...process.env, PGPASSWORD: PASSWORDS.superuser }, encoding: 'utf8',
    }).trim();
    expect(rows()).toBe('1|first\n2|from sh in shop');
    // A second run (a retry, a re-applied Job) changes nothing.
    const twice = await members[0].sh(script);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toContain('init scripts already applied to shop: nothing to do');
    expect(rows()).toBe('1|first\n2|from sh in shop');
    // Replicated to the others by streaming.
    await until('the database on a replica', async () => members[2].sql("SELECT count(*) FROM pg_database WHERE datname = 'shop'") === '1', 30);
  });

  test('the application-user Job makes an ordinary role that owns databaseName, and keeps its password in step with the Secret', async () => {
    // The Job's env with the Secrets' values filled in, as the kubelet would (sslmode: see the init Job's test).
    const jobEnv = (app: { user: string; password: string }) => first.appEnv.map((e: any) => {
      const values: Record<string, string> = {
        PGHOST: members[0].ip, PGSSLMODE: 'disable', PGUSER: 'postgres', PGPASSWORD: PASSWORDS.superuser, APP_USERNAME: app.user, APP_PASSWORD: app.password,
      };
      return `${e.name}=${shellQuote(values[e.name] ?? e.value)}`;
    });
    const runJob = (app: { user: string; password: string }) => members[0].sh(`export ${jobEnv(app).join(' ')}\n${first.appJob}`);
    const asApp = (app: { user: string; password: string }, db: string, query: string) => execFileSync(`${BIN}/psql`,
      ['-h', members[0].ip, '-U', app.user, '-d', db, '-X', '-v', 'ON_ERROR_STOP=1', '-Atc', query], {
        env: { ...process.env, PGPASSWORD: app.password, PGCONNECT_TIMEOUT: '5' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
    const app = { user: 'app', password: "pw with 'quotes', \\backslash and $dollar" };
    const once = await runJob(app);
    expect(once.stderr).toBe('');
    expect(once.code).toBe(0);
    expect(once.stdout).toContain('application user app ready: owns database shop');
    expect(members[0].sql("SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = 'app'")).toBe('f|f|f|f|f');
    // It owns its database: creates and writes there (public schema owned by pg_database_owner on 15+) ...
    asApp(app, 'shop', 'CREATE TABLE app_orders (id int PRIMARY KEY); INSERT INTO app_orders VALUES (1)');
    expect(asApp(app, 'shop', 'SELECT count(*) FROM app_orders')).toBe('1');
    // ... and nothing more: no roles, no tables in another database, no superuser settings.
    expect(() => asApp(app, 'shop', 'CREATE ROLE intruder')).toThrow(/permission denied/);
    expect(() => asApp(app, 'postgres', 'CREATE TABLE t (id int)')).toThrow(/permission denied for schema public/);
    expect(() => asApp(app, 'shop', 'ALTER SYSTEM SET work_mem = \'1GB\'')).toThrow(/permission denied|must be superuser/);
    // A second run changes nothing it should keep; a changed Secret is applied by the next run.
    expect((await runJob(app)).code).toBe(0);
    expect(asApp(app, 'shop', 'SELECT count(*) FROM app_orders')).toBe('1');
    const rotated = { user: 'app', password: 'rotated-pw-2' };
    expect((await runJob(rotated)).code).toBe(0);
    expect(asApp(rotated, 'shop', 'SELECT 1')).toBe('1');
    expect(() => asApp(app, 'shop', 'SELECT 1')).toThrow(/password authentication failed/);
    // A name that needs quoting is an identifier, never SQL.
    const odd = { user: 'o\'hara"; DROP TABLE app_orders; --', password: 'x' };
    expect((await runJob(odd)).code).toBe(0);
    expect(asApp(odd, 'shop', 'SELECT current_user')).toBe(odd.user);
    expect(members[0].sql("SELECT count(*) FROM pg_roles WHERE rolname = 'intruder'")).toBe('0');
    expect(asApp(rotated, 'shop', 'SELECT count(*) FROM app_orders')).toBe('1');
    // The superuser's own name is refused, and left as it is.
    const refused = await runJob({ user: 'postgres', password: 'x' });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain('the application user is the superuser (postgres)');
    expect(members[0].sql('SELECT rolsuper FROM pg_roles WHERE rolname = \'postgres\'')).toBe('t');
    // Replicated to the others by streaming.
    await until('the role on a replica', async () => members[2].sql("SELECT count(*) FROM pg_roles WHERE rolname = 'app'") === '1', 30);
  });

  test('every member\'s config sidecar finds the configuration already as given', async () => {
    for (const m of members) sidecars.push(new Sidecar(m, first.sidecar, first.dynamic));
    for (const c of sidecars) await c.ready();
    for (const c of sidecars) expect(c.log).toContain('dynamic configuration already as given');
  });

  test('a settings change reaches the running members without a rollout: reloadable ones at once, restart-only ones by restarts, replicas first', async () => {
    const nextManifests = synth({ work_mem: '64MB', max_connections: '200' });
    const next = read(nextManifests);
    // The pod template does not change, so the StatefulSet controller restarts no pod for it.
    const template = (ms: any[]) => ms.find((m) => m.kind === 'StatefulSet').spec.template;
    expect(template(nextManifests)).toEqual(template(synth({ work_mem: '32MB' })));
    const now = await roles(members);
    const leader = members.find((m) => now[m.name] === 'leader/running')!;
    const started = Object.fromEntries(members.map((m) => [m.name, Number(m.sql('SELECT extract(epoch FROM pg_postmaster_start_time())'))]));
    // The kubelet updates each pod's ConfigMap volume in place; each sidecar sees the new file.
    for (const c of sidecars) c.update(next.dynamic);
    for (const m of members) await until(`${m.name} work_mem`, async () => m.sql('SHOW work_mem') === '64MB', 60);
    for (const m of members) await until(`${m.name} max_connections`, async () => m.sql('SHOW max_connections') === '200', 150);
    // Each PostgreSQL restarted once (Patroni kept running), the leader last and still the leader.
    const restarted = Object.fromEntries(members.map((m) => [m.name, Number(m.sql('SELECT extract(epoch FROM pg_postmaster_start_time())'))]));
    for (const m of members) expect(restarted[m.name]).not.toBe(started[m.name]);
    const replicas = members.filter((m) => m !== leader);
    for (const r of replicas) expect(restarted[r.name]).toBeLessThan(restarted[leader.name]);
    await until('the restarted leader running as the leader', async () => (await roles(members))[leader.name] === 'leader/running', 60);
    // The sidecar logs Patroni's answer once POST /restart returns, after PostgreSQL is back.
    const leaderSidecar = sidecars[members.indexOf(leader)];
    await until('the leader sidecar\'s restart answer', async () => leaderSidecar.log.includes('restart pending on the leader, none on the other members'), 60);
    for (const r of replicas) expect(sidecars[members.indexOf(r)].log).toContain('restart pending on this replica');
    expect(await members[0].api('/config')).toMatchObject({ postgresql: { parameters: { work_mem: '64MB', max_connections: '200' } } });
  });

  test('the leader\'s preStop switches over before it stops: no committed write lost, the old leader rejoins', async () => {
    // After the restarts of the settings change, the leader names its synchronous standby again first, and may name
    // another one a cycle later while the last restarted replica catches up: a switchover in that moment is refused
    // (412, "can not find sync_standby"), as Patroni must. Wait for the same synchronous standby over a whole HA
    // cycle (loop_wait 10 s), so that the handover below is the one of a settled cluster.
    const syncStandby = async () => {
      const r = await roles(members);
      return Object.values(r).sort().join() === 'leader/running,replica/running,sync_standby/running'
        ? Object.keys(r).find((name) => r[name] === 'sync_standby/running') : undefined;
    };
    let seen: { name?: string; since: number } = { since: Date.now() };
    await until('one leader and the same sync standby over an HA cycle, and a replica', async () => {
      const now = await syncStandby();
      if (now === undefined || now !== seen.name) {
        seen = { name: now, since: Date.now() };
        return false;
      }
      return Date.now() - seen.since >= 11000;
    }, 120);
    const leader = members[0];
    leader.sql('CREATE TABLE handover (id int); INSERT INTO handover VALUES (1)');
    const r = await leader.sh(first.preStop, 90);
    expect(r.code).toBe(0);
    // The next ordinal, or Patroni's choice when that is not the synchronous standby (412).
    expect(r.stdout).toMatch(/Successfully switched over to "orders-[12]" \(HTTP 200\)/);
    await leader.stop();
    const now = await roles(members);
    const next = members.find((m) => now[m.name] === 'leader/running')!;
    expect(next.sql('SELECT count(*) FROM handover')).toBe('1');
    leader.start();
    await until('old leader back as a replica', async () => /^(replica|sync_standby)\/running$/.test((await roles(members))[leader.name]), 90);
    expect(leader.sql('SELECT count(*) FROM handover')).toBe('1');
  });

  test('the leader lost without a hook: a replica takes the lock after the TTL; the old leader rejoins as a replica', async () => {
    // Synchronous mode: only the synchronous standby (or the former leader) may take over (Patroni refuses to promote
    // another replica, "not the healthiest node"), so the loss is taken once the new leader has named its standby.
    const now = await until('a leader with its synchronous standby', async () => {
      const r = await roles(members);
      return Object.values(r).sort().join() === 'leader/running,replica/running,sync_standby/running' && r;
    }, 60);
    const leader = members.find((m) => now[m.name] === 'leader/running')!;
    leader.sql('INSERT INTO handover VALUES (2)'); // acknowledged once the synchronous standby has it
    network.signalAll(leader.name, 'SIGKILL');
    await new Promise((resolve) => leader.proc!.on('exit', resolve));
    const others = members.filter((m) => m !== leader);
    const next = await until('a new leader', async () => {
      const after = await roles(others);
      return others.find((m) => after[m.name] === 'leader/running');
    }, 90);
    expect(next.sql('SELECT count(*) FROM handover')).toBe('2');
    leader.start();
    await until('old leader back as a replica', async () => /^(replica|sync_standby)\/running$/.test((await roles(members))[leader.name]), 120);
  });
});
