import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine, MysqlVersion, ReplicatedDatabase, ReplicatedDatabaseProps } from '../src';
import { newChart, only, synthValid } from './support/synth';

// MySQL cannot run here. The keeper and the database container's start script are run for real (sh, bash) against
// a stand-in `mysql` client that answers as MySQL 8.4 documents: the member's row in
// performance_schema.replication_group_members (none before Group Replication ever started), GTID_SUBSET /
// GTID_SUBTRACT, START GROUP_REPLICATION refused with ERROR 3092 when no group runs or when the member has
// transactions the group lacks (ER_GRP_RPL_MEMBER_TRANS_GREATER_THAN_GRP, error log), ERROR 3093 when it runs
// already, ERROR 2003 for a server that is down, ERROR 1045 for a wrong password, ERROR 1290 for writes on a
// super_read_only secondary, and binary logging per session (a logged write outside the group takes a GTID of the
// member's own server_uuid, nothing under sql_log_bin=0). All members share one state file, so a bootstrap,
// a join or a replicated write is seen by every other member's next query.

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const GROUP = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
const PASSWORD = 'p\'a\\ss"w$rd';
const member = (i: number) => `db-${i}.db-headless.data.svc`;

function synth(props: Partial<ReplicatedDatabaseProps> = {}) {
  const chart = newChart('data');
  const db = new ReplicatedDatabase(chart, 'db', {
    name: 'db', zones: ZONES, engine: Engine.mysql({ version: MysqlVersion.V8_4 }), databaseName: 'billing', ...props,
  });
  const manifests = synthValid(chart);
  const sts = only(manifests, 'StatefulSet');
  const pod = sts.spec.template.spec;
  return {
    db,
    manifests,
    sts,
    pod,
    main: pod.containers[0],
    keeper: pod.containers.find((c: any) => c.name === 'group-keeper'),
    cnf: only(manifests, 'ConfigMap', 'db-config').data['cdk8s-databases.cnf'] as string,
  };
}

describe('synthesized objects', () => {
  test('members start in parallel, each with its own identity, and only the keeper starts Group Replication', () => {
    const { sts, main, cnf } = synth();
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(main.command.slice(0, 2)).toEqual(['bash', '-c']);
    expect(main.command[2]).toContain('source /usr/local/bin/docker-entrypoint.sh');
    expect(main.command[2]).toContain('_main mysqld --server-id=$((${HOSTNAME##*-} + 1)) --report-host=$HOSTNAME.db-headless.data.svc --loose-group-replication-local-address=$HOSTNAME.db-headless.data.svc:33061');
    expect(main.env.map((e: any) => e.name)).toEqual(['MYSQL_ROOT_PASSWORD']);
    expect(cnf).toMatch(/^loose-group_replication_start_on_boot=OFF$/m);
    expect(cnf).not.toMatch(/bootstrap_group/);
    expect(cnf).toMatch(/^gtid_mode=ON$/m);
    expect(cnf).toMatch(/^enforce_gtid_consistency=ON$/m);
    expect(cnf).toMatch(/^plugin_load_add=mysql_clone.so$/m);
  });

  test('XCom admits the members by name: its automatic allowlist is only the pod\'s own subnets', () => {
    const { cnf } = synth();
    const members = [0, 1, 2].map(member);
    expect(cnf).toMatch(/^loose-group_replication_communication_stack=XCOM$/m);
    expect(cnf).toContain(`\nloose-group_replication_ip_allowlist=${members.join(',')}\n`);
    expect(cnf).toContain(`\nloose-group_replication_group_seeds=${members.map((m) => `${m}:33061`).join(',')}\n`);
  });

  test('probes: Ready only when ONLINE; liveness also fails when the keeper asks for a restart', () => {
    const { main } = synth();
    expect(main.readinessProbe.exec.command[2]).toContain('grep -q ONLINE');
    expect(main.livenessProbe.exec.command[2]).toBe('mysqladmin ping -h 127.0.0.1 && [ ! -e /tmp/group-replication-restart ]');
  });

  test('the keeper shares /tmp with mysqld (the restart request) and does not mount the data volume', () => {
    const { keeper, main, pod } = synth();
    expect(keeper.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }, { name: 'role', mountPath: '/var/run/cdk8s-databases' }]);
    expect(main.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes.find((v: any) => v.name === 'tmp')).toEqual({ name: 'tmp', emptyDir: {} });
  });

  test('tls: recovery over verified TLS, member-to-member traffic verified against the CA, the keeper verifies its peers', () => {
    const { cnf, keeper } = synth({ tls: { issuerName: 'ca' } });
    expect(cnf).toMatch(/^require_secure_transport=ON$/m);
    expect(cnf).toMatch(/^loose-group_replication_recovery_use_ssl=ON$/m);
    expect(cnf).toMatch(/^loose-group_replication_recovery_ssl_ca=\/tls\/ca.crt$/m);
    expect(cnf).toMatch(/^loose-group_replication_recovery_ssl_verify_server_cert=ON$/m);
    expect(cnf).toMatch(/^loose-group_replication_ssl_mode=VERIFY_CA$/m);
    // XCom verifies its peers' certificates as client certificates: the member certificate must allow it.
    const cert = synth({ tls: { issuerName: 'ca' } }).manifests.find((m: any) => m.kind === 'Certificate');
    expect(cert.spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    expect(cnf).not.toMatch(/recovery_get_public_key/);
    expect(keeper.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/tls', readOnly: true });
    expect(keeper.command[2]).toContain('--ssl-mode=VERIFY_IDENTITY --ssl-ca=/tls/ca.crt');
  });

  test('without tls, recovery fetches the donor\'s RSA key for caching_sha2_password', () => {
    const { cnf, keeper } = synth();
    expect(cnf).toMatch(/^loose-group_replication_recovery_get_public_key=ON$/m);
    expect(cnf).not.toMatch(/ssl_mode|recovery_use_ssl/);
    expect(keeper.command[2]).not.toContain('--ssl-mode');
  });

  test.each([['8.0.20', true], ['8.0.21', true], ['8.0.22', false], ['8.0.40', false], ['8.4.3', false], ['9.1.0', false], ['5.7.44', true]])(
    'MySQL %s: replicated mode refused (%s) before the statements the keeper uses exist', (version, refused) => {
      const build = () => synth({ engine: Engine.mysql({ version: MysqlVersion.of(version) }) });
      if (refused) {
        expect(build).toThrow(`Engine 'mysql ${version}' has no replicated topology here: Group Replication here needs MySQL 8.0.22 or later (START GROUP_REPLICATION with recovery credentials, group_replication_ip_allowlist); choose MysqlVersion.V8_0 or V8_4. Use StatefulDatabase for one instance.`);
      } else {
        expect(build().sts.spec.replicas).toBe(3);
      }
    });

  test('the report and notes no longer claim a manual outage recovery', () => {
    const { db } = synth();
    expect(db.failoverNotes).toContain('After a whole-group outage the keeper bootstraps the member with the largest transaction set');
    expect(db.failoverNotes).toContain('The client Service follows the member that is ONLINE and PRIMARY with a majority of its view reachable');
    expect(db.failoverNotes).toContain('loses the label within 9 s (a keeper that stops reporting: 24 s)');
    expect(db.quorum).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The stand-in client. State: { password, members: { host: Member }, epochs }.
const STAND_IN = String.raw`#!/usr/bin/env node
const fs = require('fs');
const file = process.env.CLUSTER;
const args = process.argv.slice(2);
let host = 'localhost'; let sql = null; const flags = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '-h') host = args[++i];
  else if (a.startsWith('-h')) host = a.slice(2);
  else if (a === '-e') sql = args[++i];
  else flags.push(a);
}
if (sql === null) sql = fs.readFileSync(0, 'utf8');
const lock = file + '.lock';
for (let n = 0; ; n++) {
  try { fs.mkdirSync(lock); break; } catch (e) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); }
}
let code;
try { code = run(); } finally { fs.rmdirSync(lock); }
process.exit(code);

// GTID sets: uuid -> sorted disjoint [from, to] intervals.
function parse(s) {
  const m = new Map();
  for (const part of s.replace(/\s/g, '').split(',').filter(Boolean)) {
    const [uuid, ...ranges] = part.split(':');
    const list = m.get(uuid) || [];
    for (const r of ranges) { const [a, b] = r.split('-').map(Number); list.push([a, b === undefined ? a : b]); }
    m.set(uuid, list);
  }
  for (const [u, l] of m) m.set(u, norm(l));
  return m;
}
function norm(l) {
  const s = l.slice().sort((x, y) => x[0] - y[0]); const out = [];
  for (const [a, b] of s) { const last = out[out.length - 1]; if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b); else out.push([a, b]); }
  return out;
}
function str(m) {
  return [...m.keys()].sort().filter((u) => m.get(u).length).map((u) => u + ':' + m.get(u).map(([a, b]) => a === b ? a : a + '-' + b).join(':')).join(',');
}
function union(...sets) { const m = new Map(); for (const s of sets) for (const [u, l] of parse(s)) m.set(u, norm([...(m.get(u) || []), ...l])); return str(m); }
function subtract(a, b) {
  const m = parse(a); const mb = parse(b);
  for (const [u, l] of m) {
    let cur = l;
    for (const [c, d] of mb.get(u) || []) cur = cur.flatMap(([x, y]) => [x < c ? [x, Math.min(y, c - 1)] : null, y > d ? [Math.max(x, d + 1), y] : null].filter((r) => r && r[0] <= r[1]));
    m.set(u, cur);
  }
  return str(m);
}
function subset(a, b) { return subtract(a, b) === ''; }
function nextGtid(set, uuid) { const l = parse(set).get(uuid) || []; const n = l.length ? l[l.length - 1][1] + 1 : 1; return union(set, uuid + ':' + n); }

function split(text) {
  const out = []; let cur = ''; let q = null;
  const lines = text.split('\n').filter((l) => !/^\s*--/.test(l)).join('\n');
  for (let i = 0; i < lines.length; i++) {
    const c = lines[i];
    if (q) { cur += c; if (c === '\\' && q !== '\u0060') { cur += lines[++i]; } else if (c === q) { if (lines[i + 1] === q) { cur += lines[++i]; } else q = null; } continue; }
    if (c === "'" || c === '"' || c === '\u0060') { q = c; cur += c; continue; }
    if (c === ';') { if (cur.trim()) out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}
function unquote(lit) { return lit.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, '$1'); }

function run() {
  const state = JSON.parse(fs.readFileSync(file, 'utf8'));
  const save = () => fs.writeFileSync(file, JSON.stringify(state, null, 1));
  const selfName = Object.keys(state.members).find((h) => h.startsWith(process.env.HOSTNAME + '.'));
  const target = host === '127.0.0.1' || host === 'localhost' ? selfName : host;
  const log = (line) => fs.appendFileSync(file + '.log', (process.env.HOSTNAME || '?') + ' -> ' + target + ' ' + line + '\n');
  log('[' + flags.join(' ') + '] ' + sql.replace(/\s+/g, ' ').trim());
  const me = state.members[target];
  if (!me) { process.stderr.write("ERROR 2005 (HY000): Unknown MySQL server host '" + host + "' (-2)\n"); return 1; }
  if (!me.up) { process.stderr.write("ERROR 2003 (HY000): Can't connect to MySQL server on '" + host + ":3306' (111)\n"); return 1; }
  const socket = host === 'localhost';
  if (!socket && process.env.MYSQL_PWD !== (me.password || state.password)) {
    process.stderr.write("ERROR 1045 (28000): Access denied for user 'root'@'10.0.0.1' (using password: " + (process.env.MYSQL_PWD === undefined ? 'NO' : 'YES') + ')\n'); return 1;
  }
  let binlog = true; let line = 1;
  const fail = (code, sqlstate, msg) => { process.stderr.write('ERROR ' + code + ' (' + sqlstate + ') at line ' + line + ': ' + msg + '\n'); save(); return 1; };
  const print = (...cols) => process.stdout.write(cols.join('\t') + '\n');
  const inGroup = (m) => m.state === 'ONLINE' || m.state === 'RECOVERING';
  const groupOf = (epoch) => Object.values(state.members).filter((m) => m.epoch === epoch && inGroup(m));
  const transactions = (m) => union(m.executed, m.received || '');
  const TX = "REPLACE(GTID_SUBTRACT(CONCAT_WS(',', NULLIF(@@GLOBAL.gtid_executed, ''), (SELECT NULLIF(RECEIVED_TRANSACTION_SET, '') FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME='group_replication_applier')), ''), CHAR(10), '')";
  const SELF_STATE = 'SELECT MEMBER_STATE, MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID=@@server_uuid';
  const COUNT_ACTIVE = "SELECT (SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_STATE IN ('ONLINE','RECOVERING')), ";
  const OWN_STATE = "IFNULL((SELECT MEMBER_STATE FROM performance_schema.replication_group_members WHERE MEMBER_ID=@@server_uuid), 'OFFLINE'), ";
  const VIEW = "SELECT SUM(MEMBER_STATE<>'UNREACHABLE'), COUNT(*) FROM performance_schema.replication_group_members";
  for (const st of split(sql)) {
    let m;
    if (/^SET (SESSION sql_log_bin|@@SESSION.SQL_LOG_BIN)\s*=\s*0$/i.test(st)) binlog = false;
    else if (/^SET autocommit\s*=\s*1$/i.test(st)) {}
    else if ((m = /^SET GLOBAL group_replication_bootstrap_group\s*=\s*(ON|OFF)$/.exec(st))) me.bootstrap = m[1] === 'ON';
    else if (st === SELF_STATE) {
      if (me.state !== 'NEVER') print(me.state, me.role || '');
      // Distributed recovery ends between two looks.
      if (me.state === 'RECOVERING') {
        if (me.recoveryFails > 0) { me.recoveryFails--; me.state = 'ERROR'; me.role = ''; log('RECOVERY-FAILED'); }
        else { me.state = 'ONLINE'; const g = groupOf(me.epoch).filter((x) => x !== me); me.executed = union(me.executed, ...g.map(transactions)); me.dbs = [...new Set([...me.dbs, ...g.flatMap((x) => x.dbs)])]; }
      }
    } else if (st === COUNT_ACTIVE + OWN_STATE + TX) {
      print(inGroup(me) ? groupOf(me.epoch).length : 0, me.state === 'NEVER' ? 'OFFLINE' : me.state, transactions(me));
    } else if (st === VIEW) {
      // This member's view: the members of its group; one cut off from the others (a partition) sees them
      // UNREACHABLE, and they see it so. Before Group Replication ever ran: one OFFLINE row of its own.
      const view = inGroup(me) ? groupOf(me.epoch) : [me];
      print(view.filter((x) => x === me || (!x.cutOff && !me.cutOff)).length, view.length);
    } else if (st === 'SELECT ' + TX) print(transactions(me));
    else if ((m = /^SELECT GTID_SUBSET\('([^']*)', '([^']*)'\), GTID_SUBSET\('([^']*)', '([^']*)'\)$/.exec(st))) print(subset(m[1], m[2]) ? 1 : 0, subset(m[3], m[4]) ? 1 : 0);
    else if ((m = /^SELECT REPLACE\(GTID_SUBTRACT\(@@GLOBAL.gtid_executed, '([^']*)'\), CHAR\(10\), ''\)$/.exec(st))) print(subtract(me.executed, m[1]));
    else if ((m = /^START GROUP_REPLICATION USER='root', PASSWORD=('(?:[^'\\]|''|\\.)*')$/.exec(st))) {
      if (me.state === 'ONLINE' || me.state === 'RECOVERING' || me.state === 'ERROR') return fail(3093, 'HY000', 'The START GROUP_REPLICATION command failed since the group is already running.');
      if (me.bootstrap) {
        const others = Object.values(state.members).filter((x) => x !== me && x.state === 'ONLINE');
        state.epochs++;
        log('BOOTSTRAP' + (others.length ? ' SECOND-GROUP' : ''));
        // The certified transactions of its relay log are applied first, then the view change is logged.
        Object.assign(me, { state: 'ONLINE', role: 'PRIMARY', epoch: state.epochs, executed: nextGtid(transactions(me), state.group), received: '' });
      } else {
        const online = Object.values(state.members).filter((x) => x !== me && x.state === 'ONLINE');
        if (!online.length) { log('JOIN-REFUSED no group'); return fail(3092, 'HY000', 'The server is not configured properly to be an active member of the group. Please see more details on error log.'); }
        const epoch = Math.max(...online.map((x) => x.epoch));
        const groupSet = union(...groupOf(epoch).map(transactions));
        if (!subset(me.executed, groupSet)) {
          log('JOIN-REFUSED ER_GRP_RPL_MEMBER_TRANS_GREATER_THAN_GRP This member has more executed transactions than those present in the group. Local transactions: ' + me.executed + ' > Group transactions: ' + groupSet);
          return fail(3092, 'HY000', 'The server is not configured properly to be an active member of the group. Please see more details on error log.');
        }
        // The recovery user's password is checked by the donor when recovery connects.
        if (unquote(m[1]) !== state.password) me.recoveryFails = Math.max(me.recoveryFails || 0, 1);
        log('JOIN');
        Object.assign(me, { state: 'RECOVERING', role: 'SECONDARY', epoch });
      }
    } else if (st === 'STOP GROUP_REPLICATION') {
      log('STOP');
      const wasPrimary = me.role === 'PRIMARY'; const epoch = me.epoch;
      Object.assign(me, { state: 'OFFLINE', role: '' });
      const next = groupOf(epoch).find((x) => x.state === 'ONLINE');
      if (wasPrimary && next) next.role = 'PRIMARY';
    } else if ((m = /^SELECT COUNT\(\*\) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='(\w+)'$/.exec(st))) print(me.dbs.includes(m[1]) ? 1 : 0);
    else if ((m = /^CREATE DATABASE IF NOT EXISTS \u0060(\w+)\u0060$/.exec(st)) && inGroup(me)) {
      if (me.role !== 'PRIMARY') return fail(1290, 'HY000', 'The MySQL server is running with the --super-read-only option so it cannot execute this statement');
      log('CREATE-DATABASE ' + m[1]);
      for (const x of groupOf(me.epoch)) { x.dbs = [...new Set([...x.dbs, m[1]])]; if (binlog) x.executed = nextGtid(x.executed, state.group); }
    } else if (/^(TRUNCATE|INSERT|UPDATE|DELETE|ALTER|GRANT|FLUSH|CREATE|DROP|REPLACE)\b/i.test(st)) {
      // A write outside the group: logged writes take a GTID of this server's own UUID.
      if (binlog) me.executed = nextGtid(me.executed, me.uuid);
    } else if (st === 'SELECT 1') print(1);
    else return fail(1064, '42000', 'You have an error in your SQL syntax near ' + JSON.stringify(st.slice(0, 40)));
    line++;
  }
  save();
  return 0;
}
`;

interface Member {
  up: boolean;
  uuid: string;
  state: 'NEVER' | 'OFFLINE' | 'ONLINE' | 'RECOVERING' | 'ERROR';
  role?: string;
  epoch?: number;
  executed: string;
  received?: string;
  dbs: string[];
  recoveryFails?: number;
  /** A root password of its own (the server refuses the keeper's). */
  password?: string;
  /** Cut off from the other members by a partition: they are UNREACHABLE in its view, and it in theirs. */
  cutOff?: boolean;
}

const uuidOf = (i: number) => `${i}${i}${i}${i}${i}${i}${i}${i}-0000-0000-0000-00000000000${i}`;

/** A sandbox: the stand-in client on PATH, a shared cluster state, scripts taken from a synthesized StatefulSet. */
class Sandbox {
  public readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysql-gr-'));
  public readonly bin = path.join(this.dir, 'bin');
  public readonly stateFile = path.join(this.dir, 'cluster.json');
  public readonly keeper: string;
  public readonly wrapper: string;

  constructor(members: Array<Partial<Member>>, props: Partial<ReplicatedDatabaseProps> = {}) {
    fs.mkdirSync(this.bin);
    fs.writeFileSync(path.join(this.bin, 'mysql'), STAND_IN, { mode: 0o755 });
    // One keeper tick per `sleep`: the stand-in sleep counts ticks and stops the keeper at its limit.
    fs.writeFileSync(path.join(this.bin, 'sleep'), [
      '#!/bin/sh',
      `n=$(($(cat "${this.dir}/ticks-$HOSTNAME" 2>/dev/null || echo 0) + 1)); echo $n > "${this.dir}/ticks-$HOSTNAME"`,
      '[ "$n" -ge "$TICKS" ] && kill -TERM $PPID',
      '[ -n "${NAP:-}" ] && /bin/sleep "$NAP"',
      'exit 0',
    ].join('\n'), { mode: 0o755 });
    const state = {
      password: PASSWORD,
      group: GROUP,
      epochs: 0,
      members: Object.fromEntries(members.map((m, i) => [member(i), {
        up: true, uuid: uuidOf(i), state: 'NEVER', executed: '', received: '', dbs: [], ...m,
      }])),
    };
    fs.writeFileSync(this.stateFile, JSON.stringify(state));
    const { keeper, main } = synth({ replicas: members.length, ...props });
    this.keeper = keeper.command[2].split('/tmp/group-replication-restart').join(path.join(this.dir, 'restart'))
      .split('/var/run/cdk8s-databases/role').join(path.join(this.dir, 'role-$HOSTNAME'));
    this.wrapper = main.command[2];
  }

  public get state(): { members: Record<string, Member>; epochs: number } {
    return JSON.parse(fs.readFileSync(this.stateFile, 'utf8'));
  }

  public set(i: number, change: Partial<Member>): void {
    const s = JSON.parse(fs.readFileSync(this.stateFile, 'utf8'));
    Object.assign(s.members[member(i)], change);
    fs.writeFileSync(this.stateFile, JSON.stringify(s));
  }

  /** Every statement each member's client sent, and the stand-in's events (BOOTSTRAP, JOIN, STOP...). */
  public get log(): string[] {
    return fs.existsSync(`${this.stateFile}.log`) ? fs.readFileSync(`${this.stateFile}.log`, 'utf8').trim().split('\n') : [];
  }

  public events(kind: string): string[] {
    return this.log.filter((l) => new RegExp(`^\\S+ -> \\S+ ${kind}(\\s|$)`).test(l)).map((l) => l.split(' ')[0]);
  }

  public get restartRequested(): boolean {
    return fs.existsSync(path.join(this.dir, 'restart'));
  }

  public env(i: number, extra: Record<string, string> = {}): Record<string, string> {
    return { PATH: `${this.bin}:/usr/bin:/bin`, HOSTNAME: `db-${i}`, MYSQL_ROOT_PASSWORD: PASSWORD, CLUSTER: this.stateFile, ...extra };
  }

  /** Runs member i's keeper for `ticks` loops; returns what it printed. */
  public keep(i: number, ticks = 1, shell = 'sh'): string {
    fs.rmSync(path.join(this.dir, `ticks-db-${i}`), { force: true });
    const r = spawnSync(shell, ['-c', this.keeper], { env: this.env(i, { TICKS: String(ticks) }), encoding: 'utf8', timeout: 60_000 });
    if (r.signal !== 'SIGTERM') throw new Error(`keeper ${i} ended unexpectedly (${r.status} ${r.signal}): ${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  }

  /** Rounds of one tick per member, in ordinal order (member i only when `up`). */
  public rounds(n: number): string {
    let out = '';
    for (let r = 0; r < n; r++) {
      for (const [host, m] of Object.entries(this.state.members)) {
        if (m.up) out += this.keep(Number(host.split('.')[0].split('-')[1]));
      }
    }
    return out;
  }

  /** The role member i's keeper last reported for the role labeller, and how old the report is (seconds). */
  public reported(i: number): { role: string; age: number } {
    const [role, at] = fs.readFileSync(path.join(this.dir, `role-db-${i}`), 'utf8').trim().split(' ');
    return { role, age: Math.floor(Date.now() / 1000) - Number(at) };
  }

  public states(): string[] {
    return Object.values(this.state.members).map((m) => m.state);
  }

  public cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const sandboxes: Sandbox[] = [];
function sandbox(members: Array<Partial<Member>>, props: Partial<ReplicatedDatabaseProps> = {}): Sandbox {
  const s = new Sandbox(members, props);
  sandboxes.push(s);
  return s;
}
afterAll(() => sandboxes.forEach((s) => s.cleanup()));

const fresh = (): Partial<Member> => ({ state: 'NEVER' });
const offline = (executed: string, received = ''): Partial<Member> => ({ state: 'OFFLINE', executed, received, dbs: ['billing'] });
const online = (executed: string, role: 'PRIMARY' | 'SECONDARY'): Partial<Member> => ({ state: 'ONLINE', role, epoch: 1, executed, dbs: ['billing'] });

describe('forming a new group', () => {
  test.each(['sh', 'bash'])('member 0 bootstraps once every member answers, the others join, the database is created once (%s)', (shell) => {
    const s = sandbox([fresh(), fresh(), fresh()]);
    for (let r = 0; r < 4; r++) for (const i of [0, 1, 2]) s.keep(i, 1, shell);
    expect(s.events('BOOTSTRAP')).toEqual(['db-0']);
    expect(s.events('JOIN').sort()).toEqual(['db-1', 'db-2']);
    expect(s.states()).toEqual(['ONLINE', 'ONLINE', 'ONLINE']);
    expect(s.events('CREATE-DATABASE')).toEqual(['db-0']);
    expect(Object.values(s.state.members).map((m) => m.dbs)).toEqual([['billing'], ['billing'], ['billing']]);
    // Every member now holds the group's transactions only (the bootstrap's view change, the CREATE DATABASE).
    expect(new Set(Object.values(s.state.members).map((m) => m.executed))).toEqual(new Set([`${GROUP}:1-2`]));
    // Repeating the whole thing changes nothing.
    s.rounds(3);
    expect(s.events('BOOTSTRAP')).toEqual(['db-0']);
    expect(s.events('CREATE-DATABASE')).toEqual(['db-0']);
  });

  test('the bootstrap switches group_replication_bootstrap_group off again, and the keeper writes no GTID of its own', () => {
    const s = sandbox([fresh(), fresh(), fresh()]);
    s.rounds(3);
    const own = s.log.filter((l) => l.startsWith('db-0 -> db-0'));
    const on = own.findIndex((l) => l.includes('group_replication_bootstrap_group=ON'));
    expect(own[on]).toMatch(/SET SESSION sql_log_bin=0; SET GLOBAL group_replication_bootstrap_group=ON; START GROUP_REPLICATION USER='root', PASSWORD='/);
    expect(own[on + 2]).toContain('SET GLOBAL group_replication_bootstrap_group=OFF');
    for (const m of Object.values(s.state.members)) expect(m.executed).not.toMatch(/0000-0000-0000/);
  });

  test('no bootstrap while a member does not answer (connection refused, wrong password): first formation waits for all', () => {
    const s = sandbox([fresh(), fresh(), { ...fresh(), up: false }]);
    const out = s.rounds(3);
    expect(s.events('BOOTSTRAP')).toEqual([]);
    expect(out).toContain('no member runs the group and 2 of 3 members answer');
    // A member that refuses the password (ERROR 1045) is not an answer either.
    s.set(2, { up: true, password: 'other' });
    expect(s.keep(0)).toContain('no member runs the group and 2 of 3 members answer');
    expect(s.log.some((l) => l.startsWith(`db-0 -> ${member(2)}`))).toBe(true);
    expect(s.events('BOOTSTRAP')).toEqual([]);
    s.set(2, { password: undefined });
    s.rounds(3);
    expect(s.events('BOOTSTRAP')).toEqual(['db-0']);
    expect(s.states()).toEqual(['ONLINE', 'ONLINE', 'ONLINE']);
  });

  test('three keepers at once: exactly one bootstrap', async () => {
    const s = sandbox([fresh(), fresh(), fresh()]);
    const run = (i: number) => new Promise<void>((resolve) => {
      const child = spawn('sh', ['-c', s.keeper], { env: s.env(i, { TICKS: '8', NAP: '0.05' }) });
      child.on('exit', () => resolve());
    });
    await Promise.all([run(0), run(1), run(2)]);
    expect(s.events('BOOTSTRAP')).toEqual(['db-0']);
    expect(s.states()).toEqual(['ONLINE', 'ONLINE', 'ONLINE']);
  });

  test('a recovery password with quotes and backslashes reaches START GROUP_REPLICATION intact', () => {
    const s = sandbox([online(`${GROUP}:1-5`, 'PRIMARY'), online(`${GROUP}:1-5`, 'SECONDARY'), offline(`${GROUP}:1-3`)]);
    s.keep(2, 3);
    expect(s.log.some((l) => l.includes('RECOVERY-FAILED'))).toBe(false);
    expect(s.state.members[member(2)].state).toBe('ONLINE');
  });
});

describe('restarts and outages', () => {
  test('a restarted member 0 joins the running group and never bootstraps', () => {
    const s = sandbox([offline(`${GROUP}:1-7`), online(`${GROUP}:1-9`, 'PRIMARY'), online(`${GROUP}:1-9`, 'SECONDARY')]);
    const out = s.keep(0, 3);
    expect(out).toMatch(/joining the group running on db-[12]\.db-headless\.data\.svc/);
    expect(s.events('BOOTSTRAP')).toEqual([]);
    expect(s.state.members[member(0)]).toMatchObject({ state: 'ONLINE', role: 'SECONDARY', executed: `${GROUP}:1-9` });
  });

  test('a member whose server never ran Group Replication (no row of its own) joins too', () => {
    const s = sandbox([online(`${GROUP}:1-4`, 'PRIMARY'), online(`${GROUP}:1-4`, 'SECONDARY'), fresh()]);
    s.keep(2, 2);
    expect(s.events('JOIN')).toEqual(['db-2']);
    expect(s.state.members[member(2)].state).toBe('ONLINE');
  });

  test('a RECOVERING member is no donor: the joiner waits for an ONLINE one, and never bootstraps', () => {
    const s = sandbox([offline(`${GROUP}:1-9`), { state: 'RECOVERING', role: 'SECONDARY', epoch: 1, executed: `${GROUP}:1-3`, dbs: [] }, { ...offline(''), up: false }]);
    // db-1 sees itself RECOVERING in a group whose ONLINE member does not answer us.
    const out = s.keep(0);
    expect(out).toContain(`${member(1)} sees a running group but no ONLINE member answers: waiting`);
    expect(s.events('BOOTSTRAP')).toEqual([]);
    expect(s.events('JOIN')).toEqual([]);
  });

  test('full outage: the member with the largest set (executed + received) bootstraps, not member 0', () => {
    // db-2 applied less than db-1 but had received (certified) more: the manual counts both.
    const s = sandbox([offline(`${GROUP}:1-10`), offline(`${GROUP}:1-12`), offline(`${GROUP}:1-10`, `${GROUP}:11-13`)]);
    const out = s.rounds(3);
    expect(out).toContain('waiting for the member with the largest transaction set to bootstrap the group');
    expect(s.events('BOOTSTRAP')).toEqual(['db-2']);
    expect(s.events('JOIN').sort()).toEqual(['db-0', 'db-1']);
    expect(s.states()).toEqual(['ONLINE', 'ONLINE', 'ONLINE']);
    expect(s.log.filter((l) => /JOIN-REFUSED/.test(l))).toEqual([]);
  });

  test('full outage with a lost volume: the empty member waits, the most advanced bootstraps, the empty one joins', () => {
    const s = sandbox([fresh(), offline(`${GROUP}:1-30`), offline(`${GROUP}:1-29`)]);
    s.rounds(3);
    expect(s.events('BOOTSTRAP')).toEqual(['db-1']);
    expect(s.states()).toEqual(['ONLINE', 'ONLINE', 'ONLINE']);
  });

  test('full outage while a member stays down: nobody bootstraps (its transactions are unknown)', () => {
    const s = sandbox([offline(`${GROUP}:1-10`), offline(`${GROUP}:1-12`), { ...offline(`${GROUP}:1-14`), up: false }]);
    const out = s.rounds(3);
    expect(s.events('BOOTSTRAP')).toEqual([]);
    expect(out).toContain('2 of 3 members answer');
  });

  test('diverged sets: no member bootstraps by itself, and the log says why', () => {
    const s = sandbox([offline(`${GROUP}:1-10,${uuidOf(0)}:1`), offline(`${GROUP}:1-10,${uuidOf(1)}:1`), offline(`${GROUP}:1-10`)]);
    const out = s.rounds(2);
    expect(s.events('BOOTSTRAP')).toEqual([]);
    expect(out).toContain(`transaction sets diverge: ${member(1)} has [${uuidOf(1)}:1,${GROUP}:1-10]`);
  });

  test('equal sets after a clean shutdown: the lowest ordinal bootstraps', () => {
    const s = sandbox([offline(`${GROUP}:1-10`), offline(`${GROUP}:1-10`), offline(`${GROUP}:1-10`)]);
    s.rounds(3);
    expect(s.events('BOOTSTRAP')).toEqual(['db-0']);
  });
});

describe('members in ERROR', () => {
  test('ERROR is recovered: STOP GROUP_REPLICATION, then a join through an ONLINE member', () => {
    const s = sandbox([online(`${GROUP}:1-9`, 'PRIMARY'), { ...online(`${GROUP}:1-6`, 'SECONDARY'), state: 'ERROR', role: '' }, online(`${GROUP}:1-9`, 'SECONDARY')]);
    const out = s.keep(1, 4);
    expect(out).toContain('member in ERROR: leaving the group to join it again (attempt 1 of 5)');
    expect(s.log.filter((l) => l.startsWith('db-1 -> db-1') && /STOP GROUP_REPLICATION|START GROUP_REPLICATION/.test(l))
      .map((l) => (l.includes('STOP') ? 'STOP' : 'START'))).toEqual(['STOP', 'START']);
    expect(s.state.members[member(1)]).toMatchObject({ state: 'ONLINE', executed: `${GROUP}:1-9` });
    expect(s.restartRequested).toBe(false);
  });

  test('bounded: a member whose recovery keeps failing asks for a restart of mysqld after 5 attempts, then stops trying', () => {
    const s = sandbox([online(`${GROUP}:1-9`, 'PRIMARY'), { ...online(`${GROUP}:1-6`, 'SECONDARY'), state: 'ERROR', role: '', recoveryFails: 99 }, online(`${GROUP}:1-9`, 'SECONDARY')]);
    const out = s.keep(1, 20);
    expect(out).toContain('Group Replication did not recover after 5 attempts: asking for a restart of mysqld (liveness probe)');
    expect(s.restartRequested).toBe(true);
    // ERROR, STOP, START, RECOVERING, ERROR... the fifth ERROR asks for the restart; nothing is started after it.
    expect(s.events('RECOVERY-FAILED')).toHaveLength(4);
    expect(s.log.filter((l) => l.startsWith('db-1 -> db-1') && l.includes('START GROUP_REPLICATION'))).toHaveLength(4);
    expect(s.events('STOP')).toHaveLength(5);
    // mysqld restarts (down, then up): the request is cleared and the keeper tries again.
    s.set(1, { up: false });
    s.keep(1, 1);
    expect(s.restartRequested).toBe(false);
  });

  test('a member with transactions the group lacks is not started (it would get ER_GRP_RPL_MEMBER_TRANS_GREATER_THAN_GRP) and says so', () => {
    const s = sandbox([online(`${GROUP}:1-9`, 'PRIMARY'), online(`${GROUP}:1-9`, 'SECONDARY'), offline(`${GROUP}:1-9,${uuidOf(2)}:1-3`)]);
    const out = s.keep(2, 3);
    expect(out).toContain(`this member has transactions the group does not have (${uuidOf(2)}:1-3): it cannot join (ER_GRP_RPL_MEMBER_TRANS_GREATER_THAN_GRP)`);
    expect(s.log.filter((l) => l.startsWith('db-2 -> db-2') && l.includes('START GROUP_REPLICATION'))).toEqual([]);
    expect(s.restartRequested).toBe(false);
  });
});

describe('a new member initialises without GTIDs of its own', () => {
  // A stand-in with the shape of docker-library/mysql's entrypoint (functions; nothing runs when sourced; on an
  // empty data directory `_main` loads the time-zone tables through docker_process_sql with the binary log on,
  // then sets up root with SQL_LOG_BIN=0, then execs the server). Written for this test, not copied.
  const IMAGE_ENTRYPOINT = [
    '#!/usr/bin/env bash',
    'set -eo pipefail',
    '_is_sourced() { [ "${#FUNCNAME[@]}" -ge 2 ] && [ "${FUNCNAME[0]}" = _is_sourced ] && [ "${FUNCNAME[1]}" = source ]; }',
    'docker_process_sql() { [ "$1" = --dont-use-mysql-root-password ] && shift; mysql --protocol=socket -uroot -hlocalhost --comments "$@"; }',
    'docker_setup_db() {',
    '  if [ -z "${MYSQL_INITDB_SKIP_TZINFO:-}" ]; then',
    '    mysql_tzinfo_to_sql /usr/share/zoneinfo | docker_process_sql --dont-use-mysql-root-password --database=mysql',
    '  fi',
    "  docker_process_sql --database=mysql <<'EOSQL'",
    'SET autocommit = 1;',
    '-- What is done here is not replicated',
    'SET @@SESSION.SQL_LOG_BIN=0;',
    "ALTER USER 'root'@'localhost' IDENTIFIED BY 'x';",
    'DROP DATABASE IF EXISTS test;',
    'EOSQL',
    '}',
    '_main() {',
    '  if [ ! -d "$DATADIR/mysql" ]; then mkdir -p "$DATADIR/mysql"; docker_setup_db; fi',
    '  exec "$@"',
    '}',
    'if ! _is_sourced; then _main "$@"; fi',
  ].join('\n');

  function prepare(s: Sandbox): { entrypoint: string; mount: string } {
    const entrypoint = path.join(s.dir, 'docker-entrypoint.sh');
    fs.writeFileSync(entrypoint, IMAGE_ENTRYPOINT, { mode: 0o755 });
    fs.writeFileSync(path.join(s.bin, 'mysql_tzinfo_to_sql'), [
      '#!/bin/sh',
      "cat <<'EOF'",
      'TRUNCATE TABLE time_zone;',
      "INSERT INTO time_zone (Use_leap_seconds) VALUES ('N');",
      "INSERT INTO time_zone_name (Name, Time_zone_id) VALUES ('Europe/Paris', LAST_INSERT_ID());",
      'EOF',
    ].join('\n'), { mode: 0o755 });
    fs.writeFileSync(path.join(s.bin, 'mysqld'), '#!/bin/sh\necho "MYSQLD $*"\n', { mode: 0o755 });
    const mount = path.join(s.dir, 'volume');
    fs.mkdirSync(path.join(mount, 'data'), { recursive: true });
    return { entrypoint, mount };
  }
  const start = (s: Sandbox, i: number, script: string, mount: string) =>
    spawnSync('bash', ['-c', script], { env: s.env(i, { DATADIR: path.join(mount, 'data') }), encoding: 'utf8' });

  test('the container\'s start script loads the time-zone tables with sql_log_bin=0: the member joins', () => {
    const s = sandbox([online(`${GROUP}:1-4`, 'PRIMARY'), online(`${GROUP}:1-4`, 'SECONDARY'), fresh()]);
    const { entrypoint, mount } = prepare(s);
    const script = s.wrapper.split('/usr/local/bin/docker-entrypoint.sh').join(entrypoint)
      .split('/var/lib/mysql').join(mount).split('/tmp/group-replication-restart').join(path.join(s.dir, 'restart'));
    const r = start(s, 2, script, mount);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`MYSQLD --server-id=3 --report-host=${member(2)} --loose-group-replication-local-address=${member(2)}:33061`);
    const init = s.log.filter((l) => l.startsWith('db-2 -> db-2'));
    expect(init).toHaveLength(2);
    for (const l of init) expect(l).toMatch(/\] SET SESSION sql_log_bin=0; /);
    expect(init[0]).toContain('TRUNCATE TABLE time_zone;');
    expect(s.state.members[member(2)].executed).toBe('');
    s.keep(2, 2);
    expect(s.state.members[member(2)].state).toBe('ONLINE');
  });

  test('the image\'s entrypoint as it is would give the member GTIDs the group does not have: the keeper refuses to start it', () => {
    const s = sandbox([online(`${GROUP}:1-4`, 'PRIMARY'), online(`${GROUP}:1-4`, 'SECONDARY'), fresh()]);
    const { entrypoint, mount } = prepare(s);
    expect(start(s, 2, `exec ${entrypoint} mysqld`, mount).status).toBe(0);
    expect(s.state.members[member(2)].executed).toBe(`${uuidOf(2)}:1-3`);
    expect(s.keep(2, 2)).toContain('cannot join (ER_GRP_RPL_MEMBER_TRANS_GREATER_THAN_GRP)');
    expect(s.state.members[member(2)].state).not.toBe('ONLINE');
  });

  test('a volume restored from another member\'s snapshot gets a server_uuid of its own; a member keeps its own', () => {
    const s = sandbox([fresh(), fresh(), fresh()]);
    const { entrypoint, mount } = prepare(s);
    fs.mkdirSync(path.join(mount, 'data', 'mysql'));
    const script = s.wrapper.split('/usr/local/bin/docker-entrypoint.sh').join(entrypoint)
      .split('/var/lib/mysql').join(mount).split('/tmp/group-replication-restart').join(path.join(s.dir, 'restart'));
    const auto = path.join(mount, 'data', 'auto.cnf');
    fs.writeFileSync(auto, '[auto]\nserver-uuid=x\n');
    fs.writeFileSync(path.join(mount, '.member'), 'db-0\n');
    const r = start(s, 1, script, mount);
    expect(r.stdout).toContain('server_uuid of another member (db-0): this member generates its own');
    expect(fs.existsSync(auto)).toBe(false);
    expect(fs.readFileSync(path.join(mount, '.member'), 'utf8')).toBe('db-1\n');
    fs.writeFileSync(auto, '[auto]\nserver-uuid=y\n');
    start(s, 1, script, mount);
    expect(fs.existsSync(auto)).toBe(true);
  });
});

describe('tls', () => {
  test('the keeper reaches its peers with verified TLS, and itself over the loopback', () => {
    const s = sandbox([fresh(), fresh(), fresh()], { tls: { issuerName: 'ca' } });
    s.rounds(2);
    const peer = s.log.filter((l) => /^db-0 -> db-[12]\./.test(l));
    const local = s.log.filter((l) => l.startsWith('db-0 -> db-0'));
    expect(peer.length).toBeGreaterThan(0);
    for (const l of peer) expect(l).toContain('--ssl-mode=VERIFY_IDENTITY --ssl-ca=/tls/ca.crt');
    for (const l of local) expect(l).not.toContain('--ssl-mode');
    expect(s.states()).toEqual(['ONLINE', 'ONLINE', 'ONLINE']);
  });
});

describe('role reports for the role labeller (the client and -ro Services follow them)', () => {
  const roles = (s: Sandbox) => [0, 1, 2].map((i) => s.reported(i).role);

  test('forming: none until ONLINE, then primary on the PRIMARY and replica on the SECONDARYs; every report is fresh', () => {
    const s = sandbox([fresh(), fresh(), fresh()]);
    s.rounds(1);
    expect(roles(s)).toEqual(['none', 'none', 'none']);
    s.rounds(3);
    expect(s.states()).toEqual(['ONLINE', 'ONLINE', 'ONLINE']);
    expect(roles(s)).toEqual(['primary', 'replica', 'replica']);
    for (const i of [0, 1, 2]) expect(s.reported(i).age).toBeLessThanOrEqual(5);
    // The view is asked of the local server only.
    expect(s.log.filter((l) => l.includes('SUM(MEMBER_STATE')).every((l) => /^(db-\d) -> \1\./.test(l))).toBe(true);
  });

  test('a primary cut off from the majority (still ONLINE and PRIMARY in its own view) reports none; the others stay replicas', () => {
    const s = sandbox([online('g:1', 'PRIMARY'), online('g:1', 'SECONDARY'), online('g:1', 'SECONDARY')]);
    s.rounds(1);
    expect(roles(s)).toEqual(['primary', 'replica', 'replica']);
    s.set(0, { cutOff: true });
    s.rounds(1);
    expect(roles(s)).toEqual(['none', 'replica', 'replica']);
  });

  test('a new primary after the old one leaves: the report follows MEMBER_ROLE', () => {
    const s = sandbox([online('g:1', 'PRIMARY'), online('g:1', 'SECONDARY'), online('g:1', 'SECONDARY')]);
    s.rounds(1);
    s.set(0, { state: 'OFFLINE', role: '' });
    s.set(1, { role: 'PRIMARY' });
    s.keep(1);
    s.keep(2);
    expect([s.reported(1).role, s.reported(2).role]).toEqual(['primary', 'replica']);
  });

  test.each([
    ['mysqld down', { up: false }],
    ['RECOVERING', { state: 'RECOVERING' as const, role: 'SECONDARY', recoveryFails: 5 }],
    ['ERROR', { state: 'ERROR' as const, role: '' }],
  ])('%s: none', (_what, change) => {
    const s = sandbox([online('g:1', 'PRIMARY'), online('g:1', 'SECONDARY'), online('g:1', 'SECONDARY')]);
    s.rounds(1);
    s.set(1, change as Partial<Member>);
    s.keep(1);
    expect(s.reported(1).role).toBe('none');
  });
});
