import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine, MongoDbVersion, ReplicatedDatabase, ReplicatedDatabaseProps } from '../src';
import { newChart, only, synthValid } from './support/synth';

// The replica set's scripts, run for real: the membership Job's shell with sh, the member's preStop with sh,
// the readiness probe with sh. `mongosh` on their PATH is a stand-in (a Node script written below) that runs
// the JavaScript it is given against a simulated replica set kept in a JSON file, answering as mongod does
// (reply documents; error replies with MongoDB's codes, which mongosh throws as MongoServerError): hello
// without a config, NotYetInitialized (94), InvalidReplicaSetConfig (93) when removed, "replSetInitiate quorum
// check failed" (NodeNotFound, 74) when a listed member does not answer, NewReplicaSetConfigurationIncompatible
// (103) for a member with a config or more than one voting change, NotWritablePrimary (10107). Between
// commands it does what heartbeats and elections do: the newest config reaches members that are up, a primary
// without a voting majority steps down, a majority elects the electable member with the highest priority.
// `sleep` advances a simulated clock; members come up or go down at given times.

const STAND_IN = String.raw`
'use strict';
const fs = require('fs');
const vm = require('vm');
const WORLD = process.env.MONGO_WORLD;
const load = () => JSON.parse(fs.readFileSync(WORLD, 'utf8'));
const save = (w) => fs.writeFileSync(WORLD, JSON.stringify(w, null, 1));
const CODES = { PRIMARY: 1, SECONDARY: 2, RECOVERING: 3, STARTUP2: 5, DOWN: 8, REMOVED: 10 };

function up(w, host) {
  const m = w.members[host];
  if (!m || m.up === false) return false;
  if (m.upAt !== undefined && w.clock < m.upAt) return false;
  if (m.downAt !== undefined && w.clock >= m.downAt) return false;
  return true;
}
const listed = (cfg, host) => !!cfg && cfg.members.some((x) => x.host === host);
const votes = (x) => (x.votes === undefined ? 1 : x.votes);
const priority = (x) => (x.priority === undefined ? 1 : x.priority);
function newest(w, setName) {
  let cfg = null;
  // Only members that are up pass their configuration on.
  for (const [host, m] of Object.entries(w.members)) {
    if (up(w, host) && m.config && m.config._id === setName && (!cfg || m.config.version > cfg.version)) cfg = m.config;
  }
  return cfg;
}
function settle(w) {
  for (const e of w.events || []) {
    if (e.done || w.clock < e.at) continue;
    e.done = true;
    const cfg = newest(w, w.setName);
    const primary = Object.keys(w.members).find((h) => w.members[h].state === 'PRIMARY' && up(w, h));
    if (e.remove && cfg && primary) {
      w.members[primary].config = Object.assign({}, cfg, { version: cfg.version + 1, members: cfg.members.filter((x) => x.host !== e.remove) });
    }
  }
  const cfg = newest(w, w.setName);
  if (!cfg) return;
  for (const [host, m] of Object.entries(w.members)) {
    if (m.kind === 'standalone' || (m.config && m.config._id !== cfg._id)) continue;
    if (!up(w, host)) { if (m.config) m.state = 'DOWN'; continue; }
    if (m.config || listed(cfg, host)) m.config = cfg;
    if (!m.config) continue;
    if (!listed(m.config, host)) m.state = 'REMOVED';
    else if (m.state !== 'PRIMARY' && m.state !== 'STARTUP2') m.state = 'SECONDARY';
  }
  const voters = cfg.members.filter((x) => votes(x) > 0);
  const upVoters = voters.filter((x) => up(w, x.host) && w.members[x.host] && w.members[x.host].config === cfg);
  const majority = Math.floor(voters.length / 2) + 1;
  const primaries = Object.keys(w.members).filter((h) => w.members[h].state === 'PRIMARY');
  for (const h of primaries) {
    if (upVoters.length < majority || !listed(cfg, h)) w.members[h].state = listed(cfg, h) ? 'SECONDARY' : 'REMOVED';
  }
  if (Object.keys(w.members).some((h) => w.members[h].state === 'PRIMARY') || upVoters.length < majority) return;
  const candidates = cfg.members
    .filter((x) => priority(x) > 0 && votes(x) > 0 && up(w, x.host) && w.members[x.host].state === 'SECONDARY'
      && !(w.members[x.host].ineligibleUntil > w.clock))
    .sort((a, b) => priority(b) - priority(a) || a._id - b._id);
  if (candidates.length > 0) w.members[candidates[0].host].state = 'PRIMARY';
}

function serverError(code, codeName, errmsg) {
  const e = new Error(errmsg);
  e.name = 'MongoServerError';
  Object.assign(e, { code, codeName, errmsg });
  return e;
}
function networkError(host) {
  const e = new Error('connect ECONNREFUSED ' + host);
  e.name = 'MongoServerSelectionError';
  return e;
}
function hello(w, host) {
  const m = w.members[host];
  if (m.kind === 'standalone') return { ismaster: true, isWritablePrimary: true, ok: 1 };
  const noConfig = { isWritablePrimary: false, secondary: false, info: 'Does not have a valid replica set config', isreplicaset: true, ok: 1 };
  if (!m.config) return noConfig;
  if (!listed(m.config, host)) return Object.assign({ setName: m.config._id }, noConfig);
  const primary = m.config.members.map((x) => x.host).find((h) => w.members[h] && w.members[h].state === 'PRIMARY' && up(w, h));
  return Object.assign({
    setName: m.config._id, setVersion: m.config.version, hosts: m.config.members.map((x) => x.host), me: host,
    isWritablePrimary: m.state === 'PRIMARY', secondary: m.state === 'SECONDARY', ok: 1,
  }, primary ? { primary } : {});
}

function execute(w, host, doc) {
  const name = Object.keys(doc)[0];
  const m = w.members[host];
  if (name !== 'hello' && name !== 'ping') w.calls.push({ host, name, at: w.clock, arg: doc[name] });
  const queued = (w.inject || {})[name];
  if (queued && queued.length > 0) {
    const e = queued.shift();
    throw serverError(e.code, e.codeName, e.errmsg);
  }
  if (name === 'ping') return { ok: 1 };
  if (name === 'hello') return hello(w, host);
  if (m.kind === 'standalone') throw serverError(76, 'NoReplicationEnabled', 'not running with --replSet');
  if (name === 'replSetGetStatus' || name === 'replSetGetConfig') {
    if (!m.config) throw serverError(94, 'NotYetInitialized', 'no replset config has been received');
    if (!listed(m.config, host)) throw serverError(93, 'InvalidReplicaSetConfig', 'Our replica set config is invalid or we are not a member of it');
    if (name === 'replSetGetConfig') return { config: JSON.parse(JSON.stringify(m.config)), ok: 1 };
    return {
      set: m.config._id, myState: CODES[m.state], ok: 1,
      members: m.config.members.map((x) => {
        const s = up(w, x.host) && w.members[x.host] ? w.members[x.host].state : 'DOWN';
        return { _id: x._id, name: x.host, health: up(w, x.host) ? 1 : 0, state: CODES[s] === undefined ? 8 : CODES[s], stateStr: s, self: x.host === host };
      }),
    };
  }
  if (name === 'replSetInitiate') {
    const cfg = doc.replSetInitiate;
    if (m.config) throw serverError(23, 'AlreadyInitialized', 'already initialized');
    if (!listed(cfg, host)) throw serverError(93, 'InvalidReplicaSetConfig', 'No host described in new configuration with {version: 1, term: 0} for replica set ' + cfg._id + ' maps to this node');
    const bad = [];
    for (const x of cfg.members) {
      if (x.host === host) continue;
      const other = w.members[x.host];
      if (!up(w, x.host) || !other) { bad.push(x.host + ' failed with Error connecting to ' + x.host + ' :: caused by :: Connection refused'); continue; }
      if (other.kind === 'standalone') { bad.push(x.host + ' failed with not running with --replSet'); continue; }
      if (other.config && other.config._id === cfg._id) {
        throw serverError(103, 'NewReplicaSetConfigurationIncompatible', 'Our config version of 1 is no larger than the version on ' + x.host + ', which is ' + other.config.version);
      }
    }
    if (bad.length > 0) {
      throw serverError(74, 'NodeNotFound', 'replSetInitiate quorum check failed because not all proposed set members responded affirmatively: ' + bad.join(', '));
    }
    const installed = Object.assign({}, cfg, { version: 1, term: 0 });
    for (const x of cfg.members) { w.members[x.host].config = installed; w.members[x.host].state = 'SECONDARY'; }
    w.initiated = (w.initiated || 0) + 1;
    return { ok: 1 };
  }
  if (name === 'replSetReconfig') {
    const cfg = doc.replSetReconfig;
    if (m.state !== 'PRIMARY') throw serverError(10107, 'NotWritablePrimary', 'New config is rejected :: caused by :: replSetReconfig should only be run on a writable PRIMARY. Current state ' + m.state + ';');
    if (cfg.version !== m.config.version + 1) throw serverError(103, 'NewReplicaSetConfigurationIncompatible', 'New replica set configuration version must be greater than old, but ' + cfg.version + ' is not greater than ' + m.config.version);
    for (const x of cfg.members) {
      if (votes(x) === 0 && priority(x) > 0) throw serverError(93, 'InvalidReplicaSetConfig', 'priority must be 0 when non-voting (votes:0)');
    }
    const before = m.config.members.filter((x) => votes(x) > 0).map((x) => x.host);
    const after = cfg.members.filter((x) => votes(x) > 0).map((x) => x.host);
    const changed = before.filter((h) => !after.includes(h)).length + after.filter((h) => !before.includes(h)).length;
    if (changed > 1) throw serverError(103, 'NewReplicaSetConfigurationIncompatible', 'Non force replica set reconfig can only add or remove at most 1 voting member.');
    const responding = after.filter((h) => up(w, h) && w.members[h] && w.members[h].kind !== 'standalone');
    const required = Math.floor(after.length / 2) + 1;
    if (responding.length < required) throw serverError(74, 'NodeNotFound', 'Quorum check failed because not enough voting nodes responded; required ' + required + ' but only the following ' + responding.length + ' voting nodes responded: ' + responding.join(', '));
    m.config = JSON.parse(JSON.stringify(cfg));
    w.reconfigs = (w.reconfigs || 0) + 1;
    return { ok: 1 };
  }
  if (name === 'replSetStepDown') {
    if (m.state !== 'PRIMARY') throw serverError(10107, 'NotWritablePrimary', 'not primary so can\'t step down');
    const electable = m.config.members.some((x) => x.host !== host && priority(x) > 0 && votes(x) > 0 && up(w, x.host) && w.members[x.host].state === 'SECONDARY');
    if (!electable) throw serverError(262, 'ExceededTimeLimit', 'No electable secondaries caught up as of now. Please use the replSetStepDown command with the argument {force: true} to force node to step down.');
    m.state = 'SECONDARY';
    m.ineligibleUntil = w.clock + doc.replSetStepDown;
    return { ok: 1 };
  }
  throw serverError(59, 'CommandNotFound', 'no such command: \'' + name + '\'');
}

function database(host, authed) {
  const target = host === '127.0.0.1:27017' ? process.env.STANDIN_SELF : host;
  const check = () => {
    const w = load();
    settle(w);
    if (!up(w, target)) { save(w); throw networkError(target); }
    return w;
  };
  const db = {
    runCommand(doc) {
      const w = check();
      try {
        const name = Object.keys(doc)[0];
        if (!authed && name !== 'hello' && name !== 'ping') throw serverError(13, 'Unauthorized', 'command ' + name + ' requires authentication');
        const reply = execute(w, target, doc);
        settle(w);
        return reply;
      } finally {
        save(w);
      }
    },
    adminCommand(doc) { return db.runCommand(doc); },
    hello() { return db.runCommand({ hello: 1 }); },
    getSiblingDB() { return db; },
  };
  return db;
}
function connect(uri) {
  const u = new URL(uri);
  const host = u.host.includes(':') ? u.host : u.host + ':27017';
  const target = host === '127.0.0.1:27017' ? process.env.STANDIN_SELF : host;
  const w = load();
  settle(w);
  save(w);
  if (!up(w, target)) throw networkError(target);
  if (w.auth && (decodeURIComponent(u.username) !== w.auth.user || decodeURIComponent(u.password) !== w.auth.password)) {
    throw serverError(18, 'AuthenticationFailed', 'Authentication failed.');
  }
  return database(host, true);
}

const args = process.argv.slice(2);
let code = null;
let host = '127.0.0.1';
let port = '27017';
let nodb = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--eval') code = args[++i];
  else if (a === '--file' || a === '-f') code = fs.readFileSync(args[++i], 'utf8');
  else if (a === '--host') host = args[++i];
  else if (a === '--port') port = args[++i];
  else if (a === '--nodb') nodb = true;
  else if (a === '--tlsCAFile') i++;
}
const context = {
  connect,
  print: (...xs) => console.log(xs.map(String).join(' ')),
  sleep: (ms) => {
    const w = load();
    w.clock += ms / 1000;
    settle(w);
    save(w);
    if (w.clock > (w.until === undefined ? 600 : w.until)) {
      console.log('stand-in: the simulated clock ran out at ' + w.clock + ' s');
      process.exit(97);
    }
  },
  quit: (c) => process.exit(c === undefined ? 0 : c),
  process: { env: process.env },
};
if (!nodb) {
  const w = load();
  const target = host + ':' + port === '127.0.0.1:27017' ? process.env.STANDIN_SELF : host + ':' + port;
  if (!up(w, target)) { console.error('MongoNetworkError: connect ECONNREFUSED ' + target); process.exit(1); }
  context.db = database(host + ':' + port, false);
}
try {
  vm.runInNewContext(code, context);
} catch (e) {
  console.error((e.name || 'Error') + ': ' + e.message);
  process.exit(1);
}
`;

const STAND_IN_MONGOD = String.raw`
'use strict';
const fs = require('fs');
const w = JSON.parse(fs.readFileSync(process.env.MONGO_WORLD, 'utf8'));
w.calls.push({ host: process.env.STANDIN_SELF, name: 'mongod ' + process.argv.slice(2).join(' '), at: w.clock });
fs.writeFileSync(process.env.MONGO_WORLD, JSON.stringify(w, null, 1));
`;

// ---------------------------------------------------------------------------------------------------------
// Worlds

const host = (i: number) => `db-${i}.db-headless.data.svc:27017`;
interface MemberState {
  kind?: 'replset' | 'standalone';
  up?: boolean;
  upAt?: number;
  downAt?: number;
  state?: string;
  config?: any;
}
interface World {
  setName: string;
  clock: number;
  until?: number;
  auth: { user: string; password: string };
  members: Record<string, MemberState>;
  calls: Array<{ host: string; name: string; at: number; arg?: any }>;
  inject?: Record<string, Array<{ code: number; codeName: string; errmsg: string }>>;
  events?: Array<{ at: number; remove?: string }>;
  initiated?: number;
  reconfigs?: number;
}
const USER = 'admin';
const PASSWORD = 'p@ss:w/rd%';

/** Members that run mongod with --replSet and were never initiated. */
function blank(n: number): World {
  const members: Record<string, MemberState> = {};
  for (let i = 0; i < n; i++) members[host(i)] = { kind: 'replset' };
  return { setName: 'db', clock: 0, auth: { user: USER, password: PASSWORD }, members, calls: [] };
}

/** A formed set: `inConfig` members in the config (priority 1, one vote each), member `primary` primary. */
function formed(inConfig: number, primary = 0, extraBlank = 0): World {
  const w = blank(inConfig + extraBlank);
  const config = {
    _id: 'db',
    version: 3,
    term: 2,
    members: Array.from({ length: inConfig }, (_, i) => ({ _id: i, host: host(i), priority: 1, votes: 1 })),
  };
  for (let i = 0; i < inConfig; i++) w.members[host(i)] = { kind: 'replset', config, state: i === primary ? 'PRIMARY' : 'SECONDARY' };
  return w;
}

interface Run { code: number; out: string; world: World }

/** Runs `script` with sh, the stand-ins on PATH, against `world`. */
function runScript(script: string, world: World, env: Record<string, string> = {}): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-rs-'));
  try {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'mongosh'), `#!${process.execPath}\n${STAND_IN}`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'mongod'), `#!${process.execPath}\n${STAND_IN_MONGOD}`, { mode: 0o755 });
    const worldFile = path.join(dir, 'world.json');
    fs.writeFileSync(worldFile, JSON.stringify(world));
    const r = spawnSync('sh', ['-c', script.split('/etc/mongo/').join(`${dir}/`)], {
      env: { PATH: `${bin}:/usr/bin:/bin`, MONGO_WORLD: worldFile, TMPDIR: dir, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`, world: JSON.parse(fs.readFileSync(worldFile, 'utf8')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Synthesized objects

const engine = Engine.mongodb({ version: MongoDbVersion.V7_0 });
const ZONES = ['a', 'b', 'c'];

function synth(props: Partial<ReplicatedDatabaseProps> = {}) {
  const chart = newChart('data');
  const db = new ReplicatedDatabase(chart, 'db', { name: 'db', engine, zones: ZONES, ...props });
  const manifests = synthValid(chart);
  const sts = only(manifests, 'StatefulSet');
  const jobs = manifests.filter((m) => m.kind === 'Job' && m.metadata.name.startsWith(`${sts.metadata.name}-rs-`));
  if (jobs.length !== 1) throw new Error(`expected one membership Job, found ${jobs.length}`);
  const job = jobs[0];
  const main = sts.spec.template.spec.containers[0];
  return {
    db,
    manifests,
    sts,
    job,
    main,
    jobScript: job.spec.template.spec.containers[0].command[2] as string,
    preStop: main.lifecycle.preStop.exec.command[2] as string,
    stopJs: only(manifests, 'ConfigMap', `${sts.metadata.name}-config`).data['rs-member-stop.js'] as string,
    readiness: main.readinessProbe.exec.command[2] as string,
  };
}

function runJob(script: string, world: World): Run {
  return runScript(script, world, { DB_USER: USER, DB_PASSWORD: PASSWORD });
}

/** Runs the member's preStop as `self` (its stop script in place of the ConfigMap mount). */
function runPreStop(s: ReturnType<typeof synth>, world: World, self: number): Run {
  const withScript = `cat > /etc/mongo/rs-member-stop.js <<'STOP_JS'\n${s.stopJs}\nSTOP_JS\n${s.preStop}`;
  return runScript(withScript, world, { STANDIN_SELF: host(self), MONGO_INITDB_ROOT_USERNAME: USER, MONGO_INITDB_ROOT_PASSWORD: PASSWORD });
}

const callsOf = (r: Run, name: string) => r.world.calls.filter((c) => c.name === name);
const hostsIn = (config: any) => config.members.map((m: any) => m.host);

// ---------------------------------------------------------------------------------------------------------

describe('synthesized replica set', () => {
  test('ordered start, blank members Ready, a bounded stop, the stop script in the ConfigMap', () => {
    const s = synth();
    expect(s.sts.spec.podManagementPolicy).toBe('OrderedReady');
    expect(s.sts.spec.template.spec.terminationGracePeriodSeconds).toBe(180);
    expect(s.main.args).toEqual(['--config', '/etc/mongo/mongod.conf', '--replSet', 'db', '--keyFile', '/keyfile/keyfile']);
    expect(s.main.command).toEqual(['sh', '-c', 'n=0; until getent hosts "$HOSTNAME.db-headless.data.svc" >/dev/null 2>&1 || [ $n -ge 60 ]; do n=$((n + 1)); sleep 1; done; exec docker-entrypoint.sh "$@"', 'mongod-start']);
    expect(s.preStop).toBe('mongosh --nodb --quiet --file /etc/mongo/rs-member-stop.js || true; exec mongod --shutdown --dbpath /data/db');
    expect(s.readiness).toBe('mongosh --quiet --host 127.0.0.1 --port 27017 --eval "const h = db.hello(); '
      + 'print((h.setName ? (h.isWritablePrimary || h.secondary) : h.isreplicaset === true) ? \'ready\' : \'not-ready\')" | grep -qx ready');
    expect(s.stopJs).toContain('replSetStepDown: 60, secondaryCatchUpPeriodSecs: 15');
    expect(s.db.quorum).toBe(2);
  });

  test('the membership Job is named after its script, runs with the root credentials and is admitted by the NetworkPolicy', () => {
    const s = synth();
    expect(s.job.metadata.name).toMatch(/^db-rs-[0-9a-f]{6}$/);
    expect(s.job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.valueFrom?.secretKeyRef])).toEqual([
      ['HOME', undefined],
      ['DB_USER', { name: 'db-credentials', key: 'username' }],
      ['DB_PASSWORD', { name: 'db-credentials', key: 'password' }],
    ]);
    expect(only(s.manifests, 'NetworkPolicy').spec.ingress[0].from).toContainEqual({ podSelector: { matchLabels: { 'job-name': s.job.metadata.name } } });
    expect(s.jobScript).toContain('const MEMBERS = [{"host":"db-0.db-headless.data.svc:27017","priority":1,"votes":1},');
    // Same props, same Job (re-applying changes nothing); another member list, another Job (a Job's template is immutable).
    expect(synth().job.metadata.name).toBe(s.job.metadata.name);
    expect(synth({ replicas: 5 }).job.metadata.name).not.toBe(s.job.metadata.name);
    expect(synth({ memberPriorities: [2, 1, 1] }).job.metadata.name).not.toBe(s.job.metadata.name);
  });

  test('the Job name stays a label value for the longest database name', () => {
    const s = synth({ name: 'n'.repeat(52) });
    expect(s.job.metadata.name).toMatch(/^n{52}-rs-[0-9a-f]{6}$/);
  });

  test('TLS: the probes use the mounted CA, the stop script too, the Job encrypts without a CA', () => {
    const s = synth({ tls: { issuerName: 'ca' } });
    expect(s.readiness).toContain('--tls --tlsCAFile /tls/ca.crt --tlsAllowInvalidHostnames');
    expect(s.stopJs).toContain('"&tls=true&tlsCAFile=/tls/ca.crt&tlsAllowInvalidHostnames=true"');
    expect(s.jobScript).toContain('const TLS = "&tls=true&tlsInsecure=true";');
  });

  test('members beyond the seventh do not vote: priority 0, and the quorum counts every lost member as a voter', () => {
    const s = synth({ replicas: 9 });
    const members = JSON.parse(/const MEMBERS = (.*);/.exec(s.jobScript)![1]);
    expect(members.map((m: any) => [m.priority, m.votes])).toEqual([[1, 1], [1, 1], [1, 1], [1, 1], [1, 1], [1, 1], [1, 1], [0, 0], [0, 0]]);
    // 7 voters, majority 4: 3 may be lost, so 6 of 9 must stay up.
    expect(s.db.quorum).toBe(6);
    expect(s.db.tolerance().notes[0]).toContain('writes need 4 of 7 voting members (members beyond the 7th do not vote)');
  });

  test('a priority above 0 for a non-voting member is refused', () => {
    expect(() => synth({ replicas: 8, memberPriorities: [1, 1, 1, 1, 1, 1, 1, 1] })).toThrow(
      'db: `memberPriorities` gives member 7 priority 1, but a replica set has at most 7 voting members and the others must have priority 0: set priority 0 for members 7 and above, or lower `replicas` to 7.');
  });
});

describe('membership Job against the stand-in', () => {
  const three = synth().jobScript;

  test('an empty namespace: initiates exactly once, on member 0, with every member and its priority', () => {
    const r = runJob(synth({ memberPriorities: [2, 1, 1] }).jobScript, blank(3));
    expect(r.code).toBe(0);
    expect(callsOf(r, 'replSetInitiate')).toHaveLength(1);
    expect(callsOf(r, 'replSetInitiate')[0]).toMatchObject({
      host: host(0),
      arg: {
        _id: 'db',
        version: 1,
        members: [
          { _id: 0, host: host(0), priority: 2, votes: 1 },
          { _id: 1, host: host(1), priority: 1, votes: 1 },
          { _id: 2, host: host(2), priority: 1, votes: 1 },
        ],
      },
    });
    expect(callsOf(r, 'replSetReconfig')).toHaveLength(0);
    expect(r.out).toContain('replica set db initiated with 3 members');
    expect(r.out).toContain(`replica set db has its 3 members (config version 1, primary ${host(0)})`);
  });

  test('running it again (re-apply, Job retry) never initiates again and changes nothing', () => {
    const first = runJob(three, blank(3));
    const again = runJob(three, { ...first.world, calls: [] });
    expect(again.code).toBe(0);
    expect(again.world.initiated).toBe(1);
    expect(again.world.calls.map((c) => c.name)).not.toContain('replSetInitiate');
    expect(again.world.calls.map((c) => c.name)).not.toContain('replSetReconfig');
    expect(again.out).toContain('replica set db exists');
  });

  test('a member that does not answer yet: waits, then initiates once when every member answers', () => {
    const world = blank(3);
    world.members[host(2)].upAt = 60;
    const r = runJob(three, world);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`waiting for every member to answer before initiating: ${host(2)} (down: connect ECONNREFUSED ${host(2)})`);
    expect(callsOf(r, 'replSetInitiate')).toHaveLength(1);
    expect(callsOf(r, 'replSetInitiate')[0].at).toBeGreaterThanOrEqual(60);
  });

  test('the entrypoint\'s first-run server (standalone) is not a member to initiate with', () => {
    const world = blank(3);
    world.members[host(1)] = { kind: 'standalone', up: true };
    world.until = 30;
    const r = runJob(three, world);
    expect(r.code).toBe(97);
    expect(r.out).toContain(`${host(1)} (unknown: standalone (first-run server))`);
    expect(callsOf(r, 'replSetInitiate')).toHaveLength(0);
  });

  test('"replSetInitiate quorum check failed" (a member unreachable from member 0): retried until it succeeds, one set', () => {
    const world = blank(3);
    world.inject = { replSetInitiate: [{ code: 74, codeName: 'NodeNotFound', errmsg: `replSetInitiate quorum check failed because not all proposed set members responded affirmatively: ${host(2)} failed with Error connecting to ${host(2)} :: caused by :: Could not find address for ${host(2)}: SocketException: Host not found (authoritative)` }] };
    const r = runJob(three, world);
    expect(r.code).toBe(0);
    expect(r.out).toContain('replSetInitiate failed, retrying: NodeNotFound: replSetInitiate quorum check failed because not all proposed set members responded affirmatively');
    expect(callsOf(r, 'replSetInitiate')).toHaveLength(2);
    expect(r.world.initiated).toBe(1);
  });

  test('a member with a configuration means the set exists: never initiates (member 0 came back with an empty volume)', () => {
    const world = formed(3, 1);
    world.members[host(0)] = { kind: 'replset' };
    const r = runJob(three, world);
    expect(r.code).toBe(0);
    expect(callsOf(r, 'replSetInitiate')).toHaveLength(0);
    expect(r.out).toContain('replica set db exists');
  });

  test('blank members while the one with a configuration is down: waits, never initiates', () => {
    const world = formed(3, 2);
    world.members[host(0)] = { kind: 'replset' };
    world.members[host(1)] = { kind: 'replset' };
    world.members[host(2)].up = false;
    world.until = 120;
    const r = runJob(three, world);
    expect(r.code).toBe(97);
    expect(callsOf(r, 'replSetInitiate')).toHaveLength(0);
    expect(r.out).toContain(`waiting for every member to answer before initiating: ${host(2)} (down`);
  });

  test('replSetInitiate vetoed because a member has a config (NewReplicaSetConfigurationIncompatible): taken as an existing set', () => {
    const world = blank(3);
    world.inject = { replSetInitiate: [{ code: 103, codeName: 'NewReplicaSetConfigurationIncompatible', errmsg: `Our config version of 1 is no larger than the version on ${host(1)}, which is 4` }] };
    world.until = 30;
    const r = runJob(three, world);
    expect(r.out).toContain('replica set db exists (NewReplicaSetConfigurationIncompatible)');
    expect(r.world.initiated ?? 0).toBe(0);
  });

  test('a member of another replica set is refused', () => {
    const world = blank(3);
    world.members[host(1)] = { kind: 'replset', config: { _id: 'other', version: 1, members: [{ _id: 0, host: host(1) }] }, state: 'PRIMARY' };
    const r = runJob(three, world);
    expect(r.code).toBe(3);
    expect(r.out).toContain(`refusing: ${host(1)} (foreign: belongs to replica set other); this Job manages replica set db only`);
  });

  test('scale-up: adds each new member from the primary, one reconfiguration each, with its priority', () => {
    const world = formed(3, 2, 2);
    const r = runJob(synth({ replicas: 5, memberPriorities: [1, 1, 1, 1, 0] }).jobScript, world);
    expect(r.code).toBe(0);
    const reconfigs = callsOf(r, 'replSetReconfig');
    expect(reconfigs.map((c) => c.host)).toEqual([host(2), host(2)]);
    expect(reconfigs.map((c) => hostsIn(c.arg))).toEqual([
      [host(0), host(1), host(2), host(3)],
      [host(0), host(1), host(2), host(3), host(4)],
    ]);
    expect(reconfigs[1].arg.members[4]).toEqual({ _id: 4, host: host(4), priority: 0, votes: 1 });
    expect(reconfigs.map((c) => c.arg.version)).toEqual([4, 5]);
    expect(callsOf(r, 'replSetInitiate')).toHaveLength(0);
    expect(r.out).toContain(`added ${host(3)} (config version 4)`);
  });

  test('scale-up waits for a new member that does not answer yet', () => {
    const world = formed(3, 0, 1);
    world.members[host(3)].upAt = 40;
    const r = runJob(synth({ replicas: 4, zones: undefined }).jobScript, world);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`waiting: ${host(3)} to add does not answer yet`);
    expect(callsOf(r, 'replSetReconfig')[0].at).toBeGreaterThanOrEqual(40);
  });

  test('scale-down: removes each member whose pod is gone, from the primary, one at a time', () => {
    const world = formed(5, 1);
    world.members[host(3)].up = false;
    world.members[host(4)].up = false;
    const r = runJob(three, world);
    expect(r.code).toBe(0);
    const reconfigs = callsOf(r, 'replSetReconfig');
    expect(reconfigs.map((c) => c.host)).toEqual([host(1), host(1)]);
    expect(reconfigs.map((c) => hostsIn(c.arg))).toEqual([
      [host(0), host(1), host(2), host(4)],
      [host(0), host(1), host(2)],
    ]);
    // Only after 6 silent probes, 5 s apart.
    expect(reconfigs[0].at).toBeGreaterThanOrEqual(25);
    expect(r.out).toContain(`removed ${host(3)} (config version 4)`);
  });

  test('a member beyond replicas that still answers is never removed (its pod still exists)', () => {
    const world = formed(5, 0);
    world.until = 120;
    const r = runJob(three, world);
    expect(r.code).toBe(97);
    expect(callsOf(r, 'replSetReconfig')).toHaveLength(0);
    expect(r.out).toContain(`${host(3)} beyond replicas still answers or was silent 0 of 6 probes`);
  });

  test('no voting majority left (3 of 5 voters down): no reconfiguration, it waits for a primary', () => {
    const world = formed(5, 0);
    for (const i of [2, 3, 4]) world.members[host(i)].up = false;
    world.until = 60;
    const r = runJob(three, world);
    expect(r.code).toBe(97);
    expect(callsOf(r, 'replSetReconfig')).toHaveLength(0);
    expect(r.out).toContain('waiting for a primary (a majority of voting members must be up)');
  });

  test('NotWritablePrimary (the primary stepped down meanwhile): retried on the next round', () => {
    const world = formed(3, 0, 1);
    world.inject = { replSetReconfig: [{ code: 10107, codeName: 'NotWritablePrimary', errmsg: 'New config is rejected :: caused by :: replSetReconfig should only be run on a writable PRIMARY. Current state SECONDARY;' }] };
    const r = runJob(synth({ replicas: 4, zones: undefined }).jobScript, world);
    expect(r.code).toBe(0);
    expect(r.out).toContain('replSetReconfig (added db-3.db-headless.data.svc:27017) failed, retrying: NotWritablePrimary');
    expect(callsOf(r, 'replSetReconfig')).toHaveLength(2);
    expect(r.world.reconfigs).toBe(1);
  });

  test('member priorities follow memberPriorities, one member per reconfiguration', () => {
    const r = runJob(synth({ memberPriorities: [3, 2, 1] }).jobScript, formed(3, 0));
    expect(r.code).toBe(0);
    const reconfigs = callsOf(r, 'replSetReconfig');
    expect(reconfigs.map((c) => c.arg.members.map((m: any) => m.priority))).toEqual([[3, 1, 1], [3, 2, 1]]);
  });

  test('nine members: initiated with seven voters, the other two non-voting with priority 0', () => {
    const r = runJob(synth({ replicas: 9 }).jobScript, blank(9));
    expect(r.code).toBe(0);
    expect(callsOf(r, 'replSetInitiate')[0].arg.members.map((m: any) => m.votes)).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0]);
  });
});

describe('member stop (preStop) against the stand-in', () => {
  const s = synth();

  test('a secondary of a healthy set stops at once', () => {
    const r = runPreStop(s, formed(3, 0), 2);
    expect(r.code).toBe(0);
    expect(r.world.calls.filter((c) => c.name !== 'replSetGetStatus' && c.name !== 'replSetGetConfig')).toEqual([
      { host: host(2), name: 'mongod --shutdown --dbpath /data/db', at: 0 },
    ]);
  });

  test('the primary steps down, and mongod stops once another member is primary', () => {
    const r = runPreStop(s, formed(3, 1), 1);
    expect(r.code).toBe(0);
    expect(r.out).toContain('stepped down');
    const names = r.world.calls.map((c) => c.name);
    expect(names.indexOf('replSetStepDown')).toBeLessThan(names.indexOf('mongod --shutdown --dbpath /data/db'));
    expect(callsOf(r, 'replSetStepDown')[0]).toMatchObject({ host: host(1), arg: 60 });
    expect(r.world.members[host(0)].state).toBe('PRIMARY');
    expect(r.world.members[host(1)].state).toBe('SECONDARY');
  });

  test('a primary with no electable secondary still stops (stepDown refused with ExceededTimeLimit)', () => {
    const world = formed(3, 0);
    // The same config object for every member: the others have priority 0.
    world.members[host(0)].config.members[1].priority = 0;
    world.members[host(0)].config.members[2].priority = 0;
    const r = runPreStop(s, world, 0);
    expect(r.out).toContain('stepDown failed (ExceededTimeLimit)');
    expect(callsOf(r, 'mongod --shutdown --dbpath /data/db')).toHaveLength(1);
  });

  test('scale-down faster than the Job: a member whose stop would lose the voting majority waits until the set shrinks', () => {
    // 4 voters, member 3 gone; stopping member 2 would leave 2 of 4 up. The Job removes member 3 at 20 s.
    const world = formed(4, 0);
    world.members[host(3)].up = false;
    world.events = [{ at: 20, remove: host(3) }];
    const r = runPreStop(s, world, 2);
    expect(r.code).toBe(0);
    expect(r.out).toContain('stopping now would leave 2 of 4 voting members up (majority 3)');
    const stop = callsOf(r, 'mongod --shutdown --dbpath /data/db')[0];
    expect(stop.at).toBeGreaterThanOrEqual(20);
    expect(stop.at).toBeLessThan(30);
  });

  test('the wait is bounded: nobody shrinks the set, the member stops after 90 s', () => {
    const world = formed(4, 0);
    world.members[host(3)].up = false;
    world.until = 300;
    const r = runPreStop(s, world, 2);
    expect(callsOf(r, 'mongod --shutdown --dbpath /data/db')[0].at).toBe(90);
  });

  test('a member in no configuration stops at once', () => {
    const r = runPreStop(s, blank(3), 1);
    expect(r.out).toContain('not in a replica set configuration (NotYetInitialized): stopping');
    expect(callsOf(r, 'mongod --shutdown --dbpath /data/db')).toEqual([{ host: host(1), name: 'mongod --shutdown --dbpath /data/db', at: 0 }]);
  });
});

describe('member start', () => {
  const { main } = synth();
  /** Runs the container's command and args as the kubelet would: command then args, one argv. */
  function start(resolvesAfter: number): { code: number; out: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-start-'));
    try {
      fs.writeFileSync(path.join(dir, 'getent'), `#!/bin/sh\nn=$(cat ${dir}/tries 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/tries\n[ "$n" -ge ${resolvesAfter} ] && [ "$2" = "db-1.db-headless.data.svc" ] && echo "10.0.0.7 $2"\n`, { mode: 0o755 });
      fs.writeFileSync(path.join(dir, 'sleep'), '#!/bin/sh\n', { mode: 0o755 });
      fs.writeFileSync(path.join(dir, 'docker-entrypoint.sh'), `#!/bin/sh\necho "entrypoint after $(cat ${dir}/tries) lookups: $*"\n`, { mode: 0o755 });
      const [cmd, ...rest] = [...main.command, ...main.args];
      const r = spawnSync(cmd, rest, { env: { PATH: `${dir}:/usr/bin:/bin`, HOSTNAME: 'db-1' }, encoding: 'utf8' });
      return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('waits until its own name resolves, then runs the image entrypoint with the mongod arguments', () => {
    expect(start(3)).toEqual({ code: 0, out: 'entrypoint after 4 lookups: --config /etc/mongo/mongod.conf --replSet db --keyFile /keyfile/keyfile\n' });
  });

  test('the wait is bounded: after 60 s mongod starts anyway', () => {
    expect(start(1000).out).toBe('entrypoint after 61 lookups: --config /etc/mongo/mongod.conf --replSet db --keyFile /keyfile/keyfile\n');
  });
});

describe('readiness against the stand-in', () => {
  const { readiness } = synth();
  const ready = (world: World, self: number) => runScript(readiness, world, { STANDIN_SELF: host(self) }).code === 0;

  test('Ready: primary, secondary, and a member in no configuration yet (so OrderedReady creates every pod)', () => {
    expect(ready(formed(3, 0), 0)).toBe(true);
    expect(ready(formed(3, 0), 1)).toBe(true);
    expect(ready(blank(3), 0)).toBe(true);
  });

  test('not Ready: the first-run standalone server, initial sync, removed, down', () => {
    const world = formed(3, 0, 1);
    world.members[host(3)] = { kind: 'standalone' };
    expect(ready(world, 3)).toBe(false);
    const syncing = formed(3, 0);
    syncing.members[host(2)].state = 'STARTUP2';
    expect(ready(syncing, 2)).toBe(false);
    const removed = formed(4, 0);
    const config = { ...removed.members[host(0)].config, version: 4, members: removed.members[host(0)].config.members.slice(0, 3) };
    for (let i = 0; i < 4; i++) removed.members[host(i)].config = config;
    expect(ready(removed, 3)).toBe(false);
    const down = formed(3, 0);
    down.members[host(1)].up = false;
    expect(ready(down, 1)).toBe(false);
  });
});
