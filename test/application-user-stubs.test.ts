import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApplicationUser, CassandraVersion, Engine, MongoDbVersion, ReplicatedDatabase, StatefulDatabase } from '../src';
import { StubRun, runWithStubs, writeStub } from './support/stubs';
import { jobNamed, newChart, synthValid } from './support/synth';

// The MongoDB and Cassandra application-user Jobs, as synthesized, run with sh against stand-ins of mongosh and cqlsh
// (neither engine runs here), like backup-stubs.test.ts. The stand-ins are small Node programs that answer as the
// tools' documentation says, and keep the users/roles they were given in a state file between runs:
// - mongosh --nodb --file F runs F as JavaScript with the shell's globals: connect(uri) returns a database (throws
//   MongoServerSelectionError when no server answers, MongoServerError "Authentication failed." (18) on a bad login),
//   db.hello(), db.getSiblingDB(), db.getUser() (null when absent), db.createUser() (MongoServerError
//   "User ... already exists", Location51003, when present), db.updateUser() (UserNotFound, 11, when absent; given
//   roles replace the user's roles), print(), sleep(ms), quit(code); process.env. An error the script does not catch
//   is printed and mongosh exits 1.
//   https://www.mongodb.com/docs/mongodb-shell/write-scripts/ , .../reference/method/db.createUser/ , .../db.updateUser/
// - cqlsh HOST PORT [--ssl] [--cqlshrc F] [-u U] [-p P] [-e STMT | -f FILE]: the password from -p, else from the
//   cqlshrc's [authentication] password (read raw); a refused login prints "Connection error: ..." and exits 1;
//   with -e/-f a failed statement prints "<file>:<line>:<Error>: ..." and cqlsh exits 2 at the end. CQL: string
//   constants in single quotes ('' for '), quoted identifiers in double quotes ("" for "), no backslash escapes;
//   CREATE ROLE IF NOT EXISTS is a no-op for an existing role; ALTER ROLE of a missing role is an InvalidRequest.
//   https://cassandra.apache.org/doc/latest/cassandra/managing/tools/cqlsh.html ,
//   https://cassandra.apache.org/doc/latest/cassandra/developing/cql/definitions.html , .../cql/security.html


function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs `script` with sh in a clean env, the stand-ins in `dir/bin` first on PATH; the calls they logged, in order. */
function run(script: string, dir: string, env: Record<string, string>): StubRun {
  return runWithStubs('sh', script, dir, { TMPDIR: dir, STUB_STATE: path.join(dir, 'state.json'), ...env });
}

function state(dir: string): any {
  return JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'));
}

function setState(dir: string, s: any): void {
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(s));
}

/** The application-user Job of a synthesized chart, and its container. */
function appJob(manifests: any[]): { job: any; container: any } {
  const jobs = manifests.filter((m) => m.kind === 'Job' && /-app-[0-9a-f]{6}$/.test(m.metadata.name));
  if (jobs.length !== 1) throw new Error(`expected one application-user Job, found ${jobs.length}`);
  return { job: jobs[0], container: jobs[0].spec.template.spec.containers[0] };
}

/** The container's plain env values (the Secret-backed ones are given by each test, as the kubelet would). */
function plainValues(container: any): Record<string, string> {
  return Object.fromEntries(container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
}

const ROOT = { DB_USER: 'root', DB_PASSWORD: 'r00t-s3cret' };

// ---------------------------------------------------------------------------------------------------------------
// mongosh stand-in

const MONGOSH = `#!${process.execPath}
const fs = require('fs');
const vm = require('vm');
const file = process.env.STUB_STATE;
const st = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
st.users = st.users || {};
const save = () => fs.writeFileSync(file, JSON.stringify(st));
const log = (l) => fs.appendFileSync(process.env.STUB_CALLS, l + '\\n');
const args = process.argv.slice(2);
log('argv mongosh ' + JSON.stringify(args));
const at = args.indexOf('--file');
if (!args.includes('--nodb') || at < 0) { console.error('stand-in: expected mongosh --nodb --file FILE'); process.exit(64); }
class Quit { constructor(code) { this.code = code; } }
class MongoServerError extends Error {
  constructor(message, code, codeName) { super(message); this.name = 'MongoServerError'; this.code = code; this.codeName = codeName; }
}
const ROLE_KEYS = ['db', 'role'];
function checkRoles(roles) {
  if (!Array.isArray(roles) || roles.some((r) => typeof r !== 'object' || Object.keys(r).sort().join() !== ROLE_KEYS.join())) {
    throw new MongoServerError('roles must be an array of { role, db } documents', 2, 'BadValue');
  }
}
function database(name) {
  return {
    getName() { return name; },
    hello() {
      if (st.secondaries > 0) { st.secondaries--; save(); return { isWritablePrimary: false, secondary: true, ok: 1 }; }
      return { isWritablePrimary: true, secondary: false, ok: 1 };
    },
    getSiblingDB(other) { return database(other); },
    getUser(user) {
      log('getUser ' + name + ' ' + JSON.stringify(user));
      if (st.hideOnce) { st.hideOnce = false; save(); return null; }
      const u = st.users[name + '/' + user];
      return u ? { _id: name + '.' + user, user: user, db: name, roles: u.roles } : null;
    },
    createUser(doc) {
      if (Object.keys(doc).sort().join() !== 'pwd,roles,user' || typeof doc.user !== 'string' || typeof doc.pwd !== 'string') {
        throw new MongoServerError('createUser: unexpected document ' + Object.keys(doc).join(','), 2, 'BadValue');
      }
      checkRoles(doc.roles);
      const key = name + '/' + doc.user;
      if (st.users[key]) throw new MongoServerError('User "' + doc.user + '@' + name + '" already exists', 51003, 'Location51003');
      st.users[key] = { pwd: doc.pwd, roles: doc.roles };
      save();
      log('createUser ' + name + ' ' + JSON.stringify(doc.user) + ' ' + JSON.stringify(doc.roles));
    },
    updateUser(user, update) {
      const key = name + '/' + user;
      if (!st.users[key]) throw new MongoServerError('Could not find user "' + user + '" for db "' + name + '"', 11, 'UserNotFound');
      if (update.roles !== undefined) { checkRoles(update.roles); st.users[key].roles = update.roles; }
      if (update.pwd !== undefined) st.users[key].pwd = update.pwd;
      save();
      log('updateUser ' + name + ' ' + JSON.stringify(user) + ' ' + Object.keys(update).sort().join(',') + ' ' + JSON.stringify(update.roles));
    },
  };
}
function connect(uri) {
  const m = /^mongodb:\\/\\/([^:@/]+):([^@/]+)@([^/]+)\\/([^?]*)\\?(.*)$/.exec(uri);
  if (!m) throw new Error('stand-in: unexpected connection string');
  log('connect ' + m[3] + ' /' + m[4] + '?' + m[5]);
  if (st.unreachable > 0) {
    st.unreachable--; save();
    const e = new Error('Server selection timed out after 5000 ms'); e.name = 'MongoServerSelectionError'; throw e;
  }
  if (decodeURIComponent(m[1]) !== process.env.GOOD_USER || decodeURIComponent(m[2]) !== process.env.GOOD_PASSWORD) {
    throw new MongoServerError('Authentication failed.', 18, 'AuthenticationFailed');
  }
  return database(m[4]);
}
const sandbox = {
  print: (...a) => console.log(...a),
  sleep: (ms) => { st.sleptMs = (st.sleptMs || 0) + ms; save(); },
  quit: (code) => { throw new Quit(code === undefined ? 0 : code); },
  connect: connect,
  process: { env: process.env },
};
try {
  vm.runInNewContext(fs.readFileSync(args[at + 1], 'utf8'), sandbox, { filename: args[at + 1] });
} catch (e) {
  if (e instanceof Quit) process.exit(e.code);
  console.error((e.name || 'Error') + ': ' + e.message);
  process.exit(1);
}
`;

const MONGO = () => Engine.mongodb({ version: MongoDbVersion.V7_0 });

/** The application-user Job of a database `name` on `engine`, single or replicated over three zones. */
function synthJob(engine: Engine, name: string, replicated: boolean, props: Record<string, any>) {
  const chart = newChart('shop');
  if (replicated) new ReplicatedDatabase(chart, 'db', { name, engine, zones: ['a', 'b', 'c'], ...props });
  else new StatefulDatabase(chart, 'db', { name, engine, ...props });
  return appJob(synthValid(chart));
}

const mongoJob = (replicated: boolean, props: Record<string, any> = {}) => synthJob(MONGO(), 'orders', replicated, props);

/** One run of the synthesized Job in `dir` (its state kept there between runs). */
function mongoRun(dir: string, container: any, env: Record<string, string>): StubRun {
  writeStub(dir, 'mongosh', MONGOSH);
  return run(container.command[2], dir, {
    ...plainValues(container),
    ...ROOT,
    GOOD_USER: ROOT.DB_USER,
    GOOD_PASSWORD: ROOT.DB_PASSWORD,
    APP_USERNAME: 'app',
    APP_PASSWORD: 'first',
    ...env,
  });
}

const READ_WRITE_DB_ADMIN = (db: string) => JSON.stringify([{ role: 'readWrite', db }, { role: 'dbAdmin', db }]);

describe('MongoDB application user (mongosh stand-in)', () => {
  let dir: string;
  beforeEach(() => { dir = tmp('mongo-app-'); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('first run creates the user with readWrite and dbAdmin on its database, through the Service, as root', () => {
    const { container } = mongoJob(false);
    const r = mongoRun(dir, container, {});
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([
      expect.stringMatching(/^argv mongosh \["--nodb","--quiet","--file",".*\/app-user\.js"\]$/),
      'connect orders:27017 /admin?authSource=admin&directConnection=true&serverSelectionTimeoutMS=5000&connectTimeoutMS=5000',
      'getUser app "app"',
      `createUser app "app" ${READ_WRITE_DB_ADMIN('app')}`,
    ]);
    expect(state(dir).users).toEqual({ 'app/app': { pwd: 'first', roles: JSON.parse(READ_WRITE_DB_ADMIN('app')) } });
    expect(r.out.trim()).toBe('application user app created: readWrite and dbAdmin on database app, password from its Secret');
  });

  test('second run updates the password and roles, never creates again', () => {
    const { container } = mongoJob(false, { databaseName: 'shop' });
    expect(mongoRun(dir, container, {}).code).toBe(0);
    // Someone widened the user's roles by hand; the Secret's password changed.
    const s = state(dir);
    s.users['shop/app'].roles.push({ role: 'root', db: 'admin' });
    setState(dir, s);
    const r = mongoRun(dir, container, { APP_PASSWORD: 'rotated' });
    expect(r.code).toBe(0);
    expect(r.calls.filter((l) => /^(create|update)User/.test(l))).toEqual([`updateUser shop "app" pwd,roles ${READ_WRITE_DB_ADMIN('shop')}`]);
    expect(state(dir).users['shop/app']).toEqual({ pwd: 'rotated', roles: JSON.parse(READ_WRITE_DB_ADMIN('shop')) });
    expect(r.out).toContain('application user app updated');
  });

  test('names and password reach createUser as data, never as script text or argv', () => {
    const { container } = mongoJob(false);
    const user = "o'neil\"); quit(0); //";
    const pw = 'p\'w"\\n`${process.exit(3)}` \\\\ $(id)';
    const r = mongoRun(dir, container, { APP_USERNAME: user, APP_PASSWORD: pw, DB_PASSWORD: 'r:o@o/t%', GOOD_PASSWORD: 'r:o@o/t%' });
    expect(r.code).toBe(0);
    expect(state(dir).users[`app/${user}`].pwd).toBe(pw);
    const argv = r.calls.filter((l) => l.startsWith('argv'));
    expect(argv.join()).not.toContain('r:o@o');
    expect(argv.join()).not.toContain('p\'w');
    // The script written for mongosh holds no Secret value either.
    expect(fs.readFileSync(path.join(dir, 'app-user.js'), 'utf8')).not.toMatch(/r:o@o|o'neil|p'w/);
  });

  test('refuses when the application user is the root user', () => {
    const { container } = mongoJob(false);
    const r = mongoRun(dir, container, { APP_USERNAME: 'root' });
    expect(r.code).toBe(1);
    expect(r.out.trim()).toBe('the application user is the root user (root): give it a name of its own');
    expect(r.calls.some((l) => l.startsWith('connect'))).toBe(false);
  });

  test('a racing run that created the user first: the "already exists" error turns into an update', () => {
    const { container } = mongoJob(false);
    expect(mongoRun(dir, container, {}).code).toBe(0);
    setState(dir, { ...state(dir), hideOnce: true });
    const r = mongoRun(dir, container, { APP_PASSWORD: 'second' });
    expect(r.code).toBe(0);
    expect(r.calls.filter((l) => /^(create|update)User/.test(l))).toEqual([`updateUser app "app" pwd,roles ${READ_WRITE_DB_ADMIN('app')}`]);
    expect(state(dir).users['app/app'].pwd).toBe('second');
  });

  test('replica set: connects with every member and the set name, waits until a writable primary answers', () => {
    const { container } = mongoJob(true);
    setState(dir, { unreachable: 2, secondaries: 1 });
    const r = mongoRun(dir, container, {});
    expect(r.code).toBe(0);
    const members = [0, 1, 2].map((i) => `orders-${i}.orders-headless.shop.svc:27017`).join(',');
    const connects = r.calls.filter((l) => l.startsWith('connect'));
    expect(connects).toEqual(Array(4).fill(`connect ${members} /admin?authSource=admin&replicaSet=orders&serverSelectionTimeoutMS=5000&connectTimeoutMS=5000`));
    expect(r.out.match(/^waiting for a writable primary at /gm)?.length).toBe(3);
    expect(r.out).toContain('Server selection timed out after 5000 ms');
    expect(r.out).toContain('connected to a member that is not the primary');
    expect(state(dir).sleptMs).toBe(15000);
    expect(r.calls[r.calls.length - 1]).toBe(`createUser app "app" ${READ_WRITE_DB_ADMIN('app')}`);
  });

  test('gives up with the last reason when no primary ever accepts the root login', () => {
    const { container } = mongoJob(false);
    const r = mongoRun(dir, container, { GOOD_PASSWORD: 'rotated' });
    expect(r.code).toBe(1);
    expect(r.out.trim().split('\n').pop()).toBe('no writable primary at orders:27017 after 25 minutes: Authentication failed.');
    expect(r.calls.some((l) => /^(create|update)User/.test(l))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// cqlsh stand-in

const CQLSH = `#!${process.execPath}
const fs = require('fs');
const file = process.env.STUB_STATE;
const st = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
st.roles = st.roles || {};
st.created = st.created || 0;
const save = () => fs.writeFileSync(file, JSON.stringify(st));
const log = (l) => fs.appendFileSync(process.env.STUB_CALLS, l + '\\n');
const args = process.argv.slice(2);
log('argv cqlsh ' + JSON.stringify(args));
const opt = {};
const positional = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (['--cqlshrc', '-u', '-p', '-e', '-f'].includes(a)) opt[a] = args[++i];
  else if (a === '--ssl') opt.ssl = true;
  else if (a.startsWith('--connect-timeout=')) opt.timeout = a.split('=')[1];
  else if (a.startsWith('-')) { console.error('cqlsh: error: no such option: ' + a); process.exit(2); }
  else positional.push(a);
}
// configparser (raw): "key = value", surrounding blanks stripped.
let password = opt['-p'];
if (password === undefined && opt['--cqlshrc']) {
  const mode = fs.statSync(opt['--cqlshrc']).mode & 0o777;
  if (mode & 0o077) { console.error('Warning: Password is found in an insecure cqlshrc file.'); st.insecureRc = true; save(); }
  let section = '';
  for (const line of fs.readFileSync(opt['--cqlshrc'], 'utf8').split('\\n')) {
    const s = /^\\[(.*)\\]$/.exec(line);
    if (s) { section = s[1]; continue; }
    const kv = /^([^=:]+?)\\s*[=:]\\s*(.*?)\\s*$/.exec(line);
    if (kv && section === 'authentication' && kv[1] === 'password') password = kv[2];
  }
}
if (st.authFailures > 0 || opt['-u'] !== process.env.GOOD_USER || password !== process.env.GOOD_PASSWORD) {
  if (st.authFailures > 0) { st.authFailures--; save(); }
  console.error("Connection error: ('Unable to connect to any servers', {'10.0.0.1:9042': AuthenticationFailed('Failed to authenticate to 10.0.0.1:9042: Error from server: code=0100 [Bad credentials] message=\\"Provided username " + opt['-u'] + " and/or password are incorrect\\"')})");
  process.exit(1);
}
const source = opt['-e'] !== undefined ? opt['-e'] : fs.readFileSync(opt['-f'], 'utf8');
const where = opt['-f'] ? opt['-f'] : '<stdin>';

// Tokens: words (case-insensitive), 'string constants' ('' for '), "quoted identifiers" ("" for "), symbols.
function tokenize(text) {
  const out = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\\s/.test(c)) { i++; continue; }
    if (c === "'" || c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('SyntaxException: unterminated ' + (c === "'" ? 'string' : 'identifier'));
        if (text[i] === c) { if (text[i + 1] === c) { v += c; i += 2; continue; } i++; break; }
        v += text[i++];
      }
      out.push({ t: c === "'" ? 'str' : 'qid', v: v });
      continue;
    }
    const w = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (w) { out.push({ t: 'word', v: w[0].toLowerCase() }); i += w[0].length; continue; }
    if (c === ';') { out.push({ t: 'end' }); i++; continue; }
    out.push({ t: 'sym', v: c }); i++;
  }
  return out;
}
function statements(tokens) {
  const list = [[]];
  for (const t of tokens) { if (t.t === 'end') list.push([]); else list[list.length - 1].push(t); }
  return list.filter((s) => s.length > 0);
}
// Matches a statement against a pattern: words, '$id' (role name: identifier or quoted identifier), '$str', symbols.
function match(s, pattern) {
  const got = [];
  const parts = pattern.split(' ');
  if (parts.length !== s.length) return null;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i], t = s[i];
    if (p === '$id') { if (t.t === 'qid') got.push(t.v); else if (t.t === 'word') got.push(t.v); else return null; }
    else if (p === '$str') { if (t.t !== 'str') return null; got.push(t.v); }
    else if (t.v !== p.toLowerCase()) return null;
  }
  return got;
}
let failed = false;
let text = '';
try {
  for (const s of statements(tokenize(source))) {
    let m;
    if ((m = match(s, 'SELECT now ( ) FROM system . local'))) {
      text += '\\n system.now()\\n--------------------------------------\\n 3ab1a2b0-0000-11ef-8000-000000000000\\n\\n(1 rows)\\n';
    } else if ((m = match(s, 'SELECT count ( * ) FROM system_auth . roles WHERE role = $str'))) {
      log('cql count ' + JSON.stringify(m[0]));
      text += '\\n count\\n-------\\n     ' + (st.roles[m[0]] ? 1 : 0) + '\\n\\n(1 rows)\\n';
    } else if ((m = match(s, 'CREATE ROLE IF NOT EXISTS $id WITH LOGIN = true AND SUPERUSER = false'))) {
      log('cql create-if-not-exists ' + JSON.stringify(m[0]));
      if (!st.roles[m[0]]) { st.roles[m[0]] = { login: true, superuser: false, grants: [] }; st.created++; }
    } else if ((m = match(s, 'ALTER ROLE $id WITH PASSWORD = $str AND LOGIN = true AND SUPERUSER = false'))) {
      log('cql alter ' + JSON.stringify(m[0]));
      if (!st.roles[m[0]]) throw new Error("InvalidRequest: Error from server: code=2200 [Invalid query] message=\\"" + m[0] + " doesn't exist\\"");
      Object.assign(st.roles[m[0]], { password: m[1], login: true, superuser: false });
    } else if ((m = match(s, 'GRANT CREATE ON ALL KEYSPACES TO $id'))) {
      log('cql grant ' + JSON.stringify(m[0]));
      if (!st.roles[m[0]]) throw new Error("InvalidRequest: Error from server: code=2200 [Invalid query] message=\\"" + m[0] + " doesn't exist\\"");
      if (!st.roles[m[0]].grants.includes('CREATE ON ALL KEYSPACES')) st.roles[m[0]].grants.push('CREATE ON ALL KEYSPACES');
    } else {
      throw new Error('SyntaxException: line 1:0 no viable alternative at input ' + JSON.stringify(s.map((t) => t.v).join(' ')));
    }
  }
} catch (e) {
  console.error(where + ':1:' + e.message);
  failed = true;
}
save();
if (opt['-f']) log('cql-file ' + fs.readFileSync(opt['-f'], 'utf8'));
process.stdout.write(text);
process.exit(failed ? 2 : 0);
`;

const CASSANDRA = () => Engine.cassandra({ version: CassandraVersion.V4_1 });

const cassandraJob = (replicated: boolean, props: Record<string, any> = {}) => synthJob(CASSANDRA(), 'events', replicated, props);

function cassandraRun(dir: string, container: any, env: Record<string, string>): StubRun {
  writeStub(dir, 'cqlsh', CQLSH);
  writeStub(dir, 'sleep', '#!/bin/sh\necho "sleep $*" >> "$STUB_CALLS"\n');
  return run(container.command[2], dir, {
    ...plainValues(container),
    ...ROOT,
    GOOD_USER: ROOT.DB_USER,
    GOOD_PASSWORD: ROOT.DB_PASSWORD,
    APP_USERNAME: 'app',
    APP_PASSWORD: 'first',
    ...env,
  });
}

describe('Cassandra application role (cqlsh stand-in)', () => {
  let dir: string;
  beforeEach(() => { dir = tmp('cassandra-app-'); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('first run creates the role: LOGIN, not SUPERUSER, CREATE on all keyspaces, its password from the Secret', () => {
    const { container } = cassandraJob(false);
    const r = cassandraRun(dir, container, {});
    expect(r.code).toBe(0);
    expect(r.calls.filter((l) => l.startsWith('cql '))).toEqual([
      'cql count "app"', 'cql create-if-not-exists "app"', 'cql alter "app"', 'cql grant "app"',
    ]);
    expect(state(dir).roles).toEqual({ app: { login: true, superuser: false, password: 'first', grants: ['CREATE ON ALL KEYSPACES'] } });
    expect(r.out.trim()).toBe('application role app created: LOGIN, not SUPERUSER, may create keyspaces; password from its Secret');
    // cqlsh against the Service, as the superuser, with no password on its command line.
    const argv = r.calls.filter((l) => l.startsWith('argv')).map((l) => JSON.parse(l.slice('argv cqlsh '.length)));
    for (const a of argv) {
      expect(a.slice(0, 6)).toEqual(['events', '9042', '--cqlshrc', expect.stringMatching(/\/app-role\.\w+\/cqlshrc$/), '-u', 'root']);
      expect(a).not.toContain('-p');
    }
    expect(state(dir).insecureRc).toBeUndefined();
    // The private folder with the cqlshrc and the CQL files is gone.
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('app-role.'))).toEqual([]);
  });

  test('a password with quotes and backslashes is one CQL string literal, a name with quotes one quoted identifier; neither on argv', () => {
    const { container } = cassandraJob(false);
    const user = 'o"neil\'s';
    const pw = 'it\'s "q" \\ back\\\\slash\\\' $HOME `id` \'\'';
    const superPw = 'su\'per "\\ $(id)';
    const r = cassandraRun(dir, container, { APP_USERNAME: user, APP_PASSWORD: pw, DB_PASSWORD: superPw, GOOD_PASSWORD: superPw });
    expect(r.code).toBe(0);
    expect(state(dir).roles[user].password).toBe(pw);
    const cql = r.calls.join('\n');
    expect(cql).toContain('ALTER ROLE "o""neil\'s" WITH PASSWORD = \'it\'\'s "q" \\ back\\\\slash\\\'\' $HOME `id` \'\'\'\'\' AND LOGIN = true AND SUPERUSER = false;');
    expect(cql).toContain('SELECT count(*) FROM system_auth.roles WHERE role = \'o"neil\'\'s\';');
    const argv = r.calls.filter((l) => l.startsWith('argv')).join('\n');
    expect(argv).not.toContain('back');
    expect(argv).not.toContain('su\'per');
  });

  test('second run sets the new password and keeps the role ordinary, without creating it again', () => {
    const { container } = cassandraJob(false);
    expect(cassandraRun(dir, container, {}).code).toBe(0);
    // Someone made the role a superuser by hand; the Secret's password changed.
    const s = state(dir);
    s.roles.app.superuser = true;
    setState(dir, s);
    const r = cassandraRun(dir, container, { APP_PASSWORD: 'rotated' });
    expect(r.code).toBe(0);
    expect(state(dir).created).toBe(1);
    expect(state(dir).roles.app).toEqual({ login: true, superuser: false, password: 'rotated', grants: ['CREATE ON ALL KEYSPACES'] });
    expect(r.out.trim()).toBe('application role app updated: LOGIN, not SUPERUSER, may create keyspaces; password from its Secret');
  });

  test.each(['root', 'cassandra'])('refuses when the application role is the superuser %s', (user) => {
    const { container } = cassandraJob(false);
    const r = cassandraRun(dir, container, { APP_USERNAME: user });
    expect(r.code).toBe(1);
    expect(r.out.trim()).toBe(`the application role is a superuser (${user}): give it a name of its own`);
    expect(r.calls).toEqual([]);
  });

  test('refuses a superuser password cqlshrc cannot carry, before any connection', () => {
    const { container } = cassandraJob(false);
    const r = cassandraRun(dir, container, { DB_PASSWORD: 'two\nlines', GOOD_PASSWORD: 'two\nlines' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('line break or surrounding blanks');
    expect(r.calls).toEqual([]);
  });

  test('ring: waits until the roles Job\'s superuser can log in, then creates the role through the Service', () => {
    const { container } = cassandraJob(true);
    setState(dir, { authFailures: 2 });
    const r = cassandraRun(dir, container, {});
    expect(r.code).toBe(0);
    expect(r.out.match(/^waiting for authentication at events: the roles Job creates root$/gm)?.length).toBe(2);
    expect(r.calls.filter((l) => l.startsWith('sleep'))).toEqual(['sleep 10', 'sleep 10']);
    expect(r.calls.filter((l) => l.startsWith('cql '))).toEqual([
      'cql count "app"', 'cql create-if-not-exists "app"', 'cql alter "app"', 'cql grant "app"',
    ]);
    expect(state(dir).roles.app.password).toBe('first');
  });

  test('a failing statement fails the Job with cqlsh\'s message', () => {
    const { container } = cassandraJob(false);
    // A cqlsh that refuses the GRANT, as a cluster whose authorizer is AllowAllAuthorizer would.
    const script = container.command[2].replace("printf 'GRANT CREATE ON ALL KEYSPACES TO %s;\\n'", "printf 'GRANT EVERYTHING TO %s;\\n'");
    expect(script).not.toBe(container.command[2]);
    const r = cassandraRun(dir, { ...container, command: ['sh', '-c', script] }, {});
    expect(r.code).toBe(1);
    expect(r.out).toContain('SyntaxException');
    expect(r.out).not.toContain('application role app');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The synthesized Jobs

describe('application-user Jobs as synthesized', () => {
  test.each([
    ['mongodb', false, MONGO], ['mongodb', true, MONGO], ['cassandra', false, CASSANDRA], ['cassandra', true, CASSANDRA],
  ])('%s (replicated %s): a Job in the database image, root from the credentials Secret, the app user from its own', (_family, replicated, engine) => {
    const chart = newChart('shop');
    const db = replicated
      ? new ReplicatedDatabase(chart, 'db', { name: 'db', engine: engine(), zones: ['a', 'b', 'c'] })
      : new StatefulDatabase(chart, 'db', { name: 'db', engine: engine() });
    const manifests = synthValid(chart);
    const { job, container } = appJob(manifests);
    expect(job.metadata.name).toMatch(/^db-app-[0-9a-f]{6}$/);
    const sts = manifests.find((m) => m.kind === 'StatefulSet');
    expect(container.image).toBe(sts.spec.template.spec.containers[0].image);
    expect(job.spec.template.spec.securityContext.runAsUser).toBe(999);
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`]));
    expect(env).toMatchObject({
      DB_USER: 'db-credentials/username',
      DB_PASSWORD: 'db-credentials/password',
      APP_USERNAME: 'db-app/username',
      APP_PASSWORD: 'db-app/password',
    });
    expect(env.APP_DATABASE).toBe(_family === 'mongodb' ? 'app' : undefined);
    expect(db.applicationSecretName).toBe('db-app');
    // No Secret value is in the manifest: only references.
    expect(JSON.stringify(job)).not.toMatch(/PASSWORD","value"/);
  });

  test('MongoDB replica set: the Job connects with the replica set connection string', () => {
    const { container } = mongoJob(true);
    expect(container.command[2]).toContain('const HOSTS = "orders-0.orders-headless.shop.svc:27017,orders-1.orders-headless.shop.svc:27017,orders-2.orders-headless.shop.svc:27017";');
    expect(container.command[2]).toContain('replicaSet=orders');
  });

  test('with tls the Job encrypts without verifying (it mounts no CA)', () => {
    const issuer = { issuerName: 'ca' };
    expect(mongoJob(false, { tls: issuer }).container.command[2]).toContain('&tls=true&tlsInsecure=true');
    const c = cassandraJob(false, { tls: issuer }).container;
    expect(c.command[2]).toContain('cqlsh "$CQL_HOST" 9042 --ssl --cqlshrc');
    expect(plainValues(c).SSL_VALIDATE).toBe('false');
  });

  test('a changed database renames the Job (its pod template is immutable)', () => {
    expect(mongoJob(false, { databaseName: 'a' }).job.metadata.name).not.toBe(mongoJob(false, { databaseName: 'b' }).job.metadata.name);
  });

  test.each([[MONGO], [CASSANDRA]])('ApplicationUser.superuser(): no Job', (engine) => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'db', { name: 'db', engine: engine(), applicationUser: ApplicationUser.superuser() });
    expect(synthValid(chart).filter((m) => m.kind === 'Job' && /-app-/.test(m.metadata.name))).toEqual([]);
  });

  test('MongoDB refuses its own databases as the application\'s', () => {
    const chart = newChart('shop');
    expect(() => new StatefulDatabase(chart, 'db', { name: 'db', engine: MONGO(), databaseName: 'admin' }))
      .toThrow('db: the application user would get readWrite and dbAdmin on MongoDB\'s own database "admin": set `databaseName` to the application\'s database, or use `ApplicationUser.superuser()`.');
  });

  test('the roles Job still runs first for a single Cassandra node', () => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'db', { name: 'db', engine: CASSANDRA() });
    expect(jobNamed(synthValid(chart), 'db-roles')).toBeDefined();
  });
});
