import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApplySafety, ApplyVerdict, Engine, MongoDbVersion, ReplicatedDatabase, StatefulDatabase } from '../src';
import { runWithStubs, writeStub } from './support/stubs';
import { newChart, only, synthValid } from './support/synth';

// MongoDB's featureCompatibilityVersion (FCV), declared with `featureCompatibilityVersion`: the Job that sets it, the
// refusals at synth, the StatefulSet annotation and the apply-safety rules that read it.
//
// MongoDB cannot run on the machine that runs these tests: the Job's script runs with sh against a mongosh stand-in
// (a Node script below) that runs the JavaScript against a simulated deployment kept in a JSON file, answering as
// the manual and the server's tests describe:
// - getParameter { featureCompatibilityVersion: 1 } → { featureCompatibilityVersion: { version, targetVersion? } }
//   (https://www.mongodb.com/docs/manual/reference/command/getParameter/; targetVersion while a change is unfinished,
//   SERVER-31630);
// - setFeatureCompatibilityVersion takes the binary's release or the one before it ("7.0": available on 7.0 and 8.0
//   deployments), needs `confirm: true` from 7.0 on and fails without it, and the 6.0 command refuses the unknown
//   field (https://www.mongodb.com/docs/manual/reference/command/setFeatureCompatibilityVersion/; the server's
//   jstests/multiVersion/genericSetFCVUsage/feature_compatibility_version_confirm.js); only a primary writes it;
// - buildInfo → { version } of the member's binary. Error codes are the stand-in's; the script reads only codeName
//   and errmsg. `sleep` advances a simulated clock, at which members change binaries (a rolling update).

const STAND_IN = String.raw`
'use strict';
const fs = require('fs');
const vm = require('vm');
const WORLD = process.env.MONGO_WORLD;
const load = () => JSON.parse(fs.readFileSync(WORLD, 'utf8'));
const save = (w) => fs.writeFileSync(WORLD, JSON.stringify(w, null, 1));
const LTS = ['5.0', '6.0', '7.0', '8.0'];
const rank = (v) => { const m = /^(\d+)\.(\d+)/.exec(v); return Number(m[1]) * 1000 + Number(m[2]); };
const release = (v) => /^(\d+\.\d+)/.exec(v)[1];
class Quit { constructor(code) { this.code = code; } }
function serverError(code, codeName, errmsg) {
  const e = new Error(errmsg);
  e.name = 'MongoServerError';
  Object.assign(e, { code, codeName, errmsg });
  return e;
}
function unreachable(host) {
  const e = new Error('Server selection timed out after 5000 ms (' + host + ')');
  e.name = 'MongoServerSelectionError';
  return e;
}
function settle(w) {
  for (const [host, m] of Object.entries(w.members)) {
    if (m.upgradeAt !== undefined && w.clock >= m.upgradeAt) { m.version = m.upgradeTo; delete m.upgradeAt; }
  }
}
function execute(w, host, doc) {
  const name = Object.keys(doc)[0];
  const m = w.members[host];
  w.calls.push(name + ' ' + host + (name === 'setFeatureCompatibilityVersion' ? ' ' + JSON.stringify(doc) : ''));
  if (name === 'buildInfo') return { version: m.version, ok: 1 };
  if (name === 'getParameter') return { featureCompatibilityVersion: w.fcv, ok: 1 };
  if (name !== 'setFeatureCompatibilityVersion') throw serverError(59, 'CommandNotFound', 'no such command: ' + name);
  if (host !== w.primary) throw serverError(10107, 'NotWritablePrimary', 'not primary');
  const binary = release(m.version);
  const accepted = [LTS.filter((r) => rank(r) < rank(binary)).pop(), binary];
  if (rank(binary) < 7000 && 'confirm' in doc) {
    throw serverError(40415, 'IDLUnknownField', "BSON field 'setFeatureCompatibilityVersion.confirm' is an unknown field.");
  }
  if (rank(binary) >= 7000 && doc.confirm !== true) {
    throw serverError(7369100, 'Location7369100', 'Once you have upgraded to ' + binary + ', you will not be able to downgrade FCV and binary version without support assistance. Please re-run this command with \'confirm: true\' to acknowledge this and continue with the FCV upgrade.');
  }
  if (!accepted.includes(doc.setFeatureCompatibilityVersion)) {
    throw serverError(2, 'BadValue', 'Invalid feature compatibility version value \'' + doc.setFeatureCompatibilityVersion + '\'; expected \'' + accepted.join('\' or \'') + '\'');
  }
  if (w.failSet) { const f = w.failSet; delete w.failSet; throw serverError(f.code, f.codeName, f.errmsg); }
  w.fcv = { version: doc.setFeatureCompatibilityVersion };
  return { ok: 1 };
}
// mongodb://user:password@host1,host2/db?options (a seed list: WHATWG URL does not parse it).
function parseUri(uri) {
  const m = /^mongodb:\/\/([^:@/]+):([^@/]+)@([^/]+)\/([^?]*)\?(.*)$/.exec(uri);
  if (!m) throw new Error('stand-in: unexpected connection string ' + uri);
  return { username: m[1], password: m[2], host: m[3], searchParams: new URLSearchParams(m[5]) };
}
function connect(uri) {
  const u = parseUri(uri);
  const w = load();
  settle(w);
  try {
    if (decodeURIComponent(u.username) !== w.user || decodeURIComponent(u.password) !== w.password) {
      throw serverError(18, 'AuthenticationFailed', 'Authentication failed.');
    }
    if (w.unreachable > 0) { w.unreachable--; throw unreachable(u.host); }
    const options = u.searchParams;
    w.connections.push(u.host + ' ' + (options.get('replicaSet') ? 'replicaSet=' + options.get('replicaSet') : 'direct'));
    // The driver finds the primary of a replica set among the seeds; a direct connection reaches the one host.
    const host = options.get('replicaSet') ? w.primary : u.host;
    if (!w.members[host] || w.members[host].down) throw unreachable(u.host);
    const admin = {
      hello() { return { isWritablePrimary: host === w.primary, ok: 1 }; },
      getSiblingDB() { return admin; },
      adminCommand(doc) {
        const now = load();
        settle(now);
        try { return execute(now, host, doc); } finally { save(now); }
      },
    };
    return admin;
  } finally {
    save(w);
  }
}
const args = process.argv.slice(2);
const at = args.indexOf('--file');
if (!args.includes('--nodb') || at < 0) { console.error('stand-in: expected mongosh --nodb --file FILE'); process.exit(64); }
const sandbox = {
  connect,
  print: (...xs) => console.log(xs.map(String).join(' ')),
  sleep: (ms) => { const w = load(); w.clock += ms / 1000; settle(w); save(w); },
  quit: (code) => { throw new Quit(code === undefined ? 0 : code); },
  process: { env: process.env },
};
try {
  vm.runInNewContext(fs.readFileSync(args[at + 1], 'utf8'), sandbox);
} catch (e) {
  if (e instanceof Quit) process.exit(e.code);
  console.error((e.name || 'Error') + ': ' + e.message);
  process.exit(1);
}
`;

const USER = 'root';
const PASSWORD = 'p@ss:w/rd%';

interface Member { version: string; down?: boolean; upgradeAt?: number; upgradeTo?: string }
interface World {
  user: string;
  password: string;
  clock: number;
  primary: string;
  members: Record<string, Member>;
  fcv: { version: string; targetVersion?: string };
  unreachable?: number;
  failSet?: { code: number; codeName: string; errmsg: string };
  calls: string[];
  connections: string[];
}

const mongo = (version: MongoDbVersion, featureCompatibilityVersion?: string) => Engine.mongodb({ version, featureCompatibilityVersion });

function single(engine: Engine): any[] {
  const chart = newChart('shop');
  new StatefulDatabase(chart, 'db', { name: 'orders', engine });
  return synthValid(chart);
}
function replicated(engine: Engine): any[] {
  const chart = newChart('shop');
  new ReplicatedDatabase(chart, 'db', { name: 'orders', engine, zones: ['a', 'b', 'c'] });
  return synthValid(chart);
}
const fcvJobs = (manifests: any[]) => manifests.filter((m) => m.kind === 'Job' && /^orders-fcv-[0-9a-f]{6}$/.test(m.metadata.name));
function fcvJob(manifests: any[]): any {
  const jobs = fcvJobs(manifests);
  expect(jobs).toHaveLength(1);
  return jobs[0];
}

const SERVICE = 'orders:27017';
const member = (i: number) => `orders-${i}.orders-headless.shop.svc:27017`;

/** Runs the Job's container script against `world`; returns the exit code, the output and the world afterwards. */
function runJob(job: any, world: World): { code: number; out: string; world: World } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-fcv-'));
  try {
    writeStub(dir, 'mongosh', `#!${process.execPath}\n${STAND_IN}`);
    const worldFile = path.join(dir, 'world.json');
    fs.writeFileSync(worldFile, JSON.stringify(world));
    const container = job.spec.template.spec.containers[0];
    expect(container.command.slice(0, 2)).toEqual(['sh', '-c']);
    const run = runWithStubs('sh', container.command[2], dir, {
      DB_USER: USER, DB_PASSWORD: PASSWORD, TMPDIR: dir, MONGO_WORLD: worldFile,
    });
    return { code: run.code, out: run.out, world: JSON.parse(fs.readFileSync(worldFile, 'utf8')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function deployment(members: Record<string, Member>, primary: string, fcv: World['fcv']): World {
  return { user: USER, password: PASSWORD, clock: 0, primary, members, fcv, calls: [], connections: [] };
}
const sets = (w: World) => w.calls.filter((c) => c.startsWith('setFeatureCompatibilityVersion'));

describe('featureCompatibilityVersion Job (mongosh stand-in)', () => {
  test('single instance on 7.0 at FCV 6.0: sets 7.0 with confirm: true on the Service, then a second run does nothing', () => {
    const job = fcvJob(single(mongo(MongoDbVersion.V7_0, '7.0')));
    const first = runJob(job, deployment({ [SERVICE]: { version: '7.0.14' } }, SERVICE, { version: '6.0' }));
    expect(first.out).toContain('featureCompatibilityVersion 6.0 -> 7.0');
    expect(first.code).toBe(0);
    expect(sets(first.world)).toEqual([`setFeatureCompatibilityVersion ${SERVICE} {"setFeatureCompatibilityVersion":"7.0","confirm":true}`]);
    expect(first.world.fcv).toEqual({ version: '7.0' });
    expect(first.world.connections.every((c) => c === `${SERVICE} direct`)).toBe(true);

    const again = runJob(job, first.world);
    expect(again.code).toBe(0);
    expect(again.out).toContain('featureCompatibilityVersion is 7.0: nothing to do');
    expect(sets(again.world)).toEqual(sets(first.world));
  });

  test('6.0 binaries: no confirm field (the 6.0 command refuses fields it does not know)', () => {
    const job = fcvJob(single(mongo(MongoDbVersion.V6_0, '6.0')));
    const r = runJob(job, deployment({ [SERVICE]: { version: '6.0.18' } }, SERVICE, { version: '5.0' }));
    expect(r.code).toBe(0);
    expect(sets(r.world)).toEqual([`setFeatureCompatibilityVersion ${SERVICE} {"setFeatureCompatibilityVersion":"6.0"}`]);
  });

  test('lowering to the previous release on 8.0 binaries (before a rollback) runs the same way', () => {
    const job = fcvJob(single(mongo(MongoDbVersion.V8_0, '7.0')));
    const r = runJob(job, deployment({ [SERVICE]: { version: '8.0.3' } }, SERVICE, { version: '8.0' }));
    expect(r.code).toBe(0);
    expect(r.world.fcv).toEqual({ version: '7.0' });
  });

  test('replica set: finds the primary through the set, waits until every member runs 8.0, then sets it on the primary', () => {
    const job = fcvJob(replicated(mongo(MongoDbVersion.V8_0, '8.0')));
    const w = deployment({
      [member(0)]: { version: '8.0.3' },
      [member(1)]: { version: '8.0.3' },
      // Still on 7.0 until the StatefulSet rolls it, 60 s in.
      [member(2)]: { version: '7.0.14', upgradeAt: 60, upgradeTo: '8.0.3' },
    }, member(1), { version: '7.0' });
    const r = runJob(job, w);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`waiting for every member to run MongoDB 8.0 or newer: ${member(2)} runs 7.0.14`);
    expect(sets(r.world)).toEqual([`setFeatureCompatibilityVersion ${member(1)} {"setFeatureCompatibilityVersion":"8.0","confirm":true}`]);
    expect(r.world.clock).toBeGreaterThanOrEqual(60);
    expect(r.world.connections).toContain(`${[0, 1, 2].map(member).join(',')} replicaSet=orders`);
  });

  test('a member that never runs the new binary: the Job gives up visibly and never sets the FCV', () => {
    const job = fcvJob(replicated(mongo(MongoDbVersion.V8_0, '8.0')));
    const w = deployment({ [member(0)]: { version: '8.0.3' }, [member(1)]: { version: '8.0.3' }, [member(2)]: { version: '7.0.14' } }, member(0), { version: '7.0' });
    const r = runJob(job, w);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`gave up waiting for every member to run MongoDB 8.0 or newer after 25 minutes: ${member(2)} runs 7.0.14`);
    expect(sets(r.world)).toEqual([]);
  });

  test('a failing setFeatureCompatibilityVersion fails the Job with the server\'s reason', () => {
    const job = fcvJob(single(mongo(MongoDbVersion.V8_0, '8.0')));
    const w = deployment({ [SERVICE]: { version: '8.0.3' } }, SERVICE, { version: '7.0' });
    w.failSet = { code: 117, codeName: 'ConflictingOperationInProgress', errmsg: 'Cannot upgrade the cluster when the replica set config contains \'newlyAdded\' members' };
    const r = runJob(job, w);
    expect(r.code).toBe(1);
    expect(r.out).toContain('setFeatureCompatibilityVersion 8.0 failed on the primary (MongoDB 8.0.3, featureCompatibilityVersion 7.0): '
      + 'ConflictingOperationInProgress: Cannot upgrade the cluster');
    expect(r.world.fcv).toEqual({ version: '7.0' });
  });

  test('an unfinished earlier change (targetVersion) is completed by running the command again', () => {
    const job = fcvJob(single(mongo(MongoDbVersion.V8_0, '8.0')));
    const r = runJob(job, deployment({ [SERVICE]: { version: '8.0.3' } }, SERVICE, { version: '7.0', targetVersion: '8.0' }));
    expect(r.code).toBe(0);
    expect(r.out).toContain('featureCompatibilityVersion 7.0 (changing to 8.0) -> 8.0');
    expect(r.world.fcv).toEqual({ version: '8.0' });
  });

  test('waits for the server to answer (a member restarting), and the password reaches mongosh only through the environment', () => {
    const job = fcvJob(single(mongo(MongoDbVersion.V7_0, '7.0')));
    const w = deployment({ [SERVICE]: { version: '7.0.14' } }, SERVICE, { version: '6.0' });
    w.unreachable = 3;
    const r = runJob(job, w);
    expect(r.code).toBe(0);
    expect(r.out).toContain('waiting for a writable primary at orders:27017: Server selection timed out');
    expect(JSON.stringify(job)).not.toContain(PASSWORD);
    expect(job.spec.template.spec.containers[0].env).toEqual([
      { name: 'HOME', value: '/tmp' },
      { name: 'DB_USER', valueFrom: { secretKeyRef: { name: 'orders-credentials', key: 'username' } } },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'orders-credentials', key: 'password' } } },
    ]);
  });
});

describe('featureCompatibilityVersion Job: objects', () => {
  test('no Job and no annotation unless the prop is set (default: left as the server has it)', () => {
    const manifests = single(mongo(MongoDbVersion.V7_0));
    expect(fcvJobs(manifests)).toEqual([]);
    expect(only(manifests, 'StatefulSet').metadata.annotations).not.toHaveProperty(['cdk8s-databases.io/feature-compatibility-version']);
  });

  test('a content-named one-off Job: same definition same name, a new FCV or a new image a new Job', () => {
    const name = (engine: Engine) => fcvJob(single(engine)).metadata.name;
    const base = name(mongo(MongoDbVersion.V7_0, '7.0'));
    expect(name(mongo(MongoDbVersion.V7_0, '7.0'))).toBe(base);
    expect(name(mongo(MongoDbVersion.V7_0, '6.0'))).not.toBe(base);
    expect(name(mongo(MongoDbVersion.of('7.0.15'), '7.0'))).not.toBe(base);
  });

  test.each([
    ['StatefulDatabase', single],
    ['ReplicatedDatabase', replicated],
  ])('%s: TTL, its own ServiceAccount without a token, the engine image, admitted by the NetworkPolicy', (_kind, synth) => {
    const manifests = synth(mongo(MongoDbVersion.V8_0, '7.0'));
    const job = fcvJob(manifests);
    expect(job.metadata.labels['app.kubernetes.io/component']).toBe('feature-compatibility');
    expect(job.spec.ttlSecondsAfterFinished).toBe(7 * 24 * 3600);
    const pod = job.spec.template.spec;
    expect(pod.containers[0].image).toBe('docker.io/library/mongo:8.0.3');
    expect(pod.serviceAccountName).toBe('orders-fcv');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(only(manifests, 'ServiceAccount', 'orders-fcv').automountServiceAccountToken).toBe(false);
    const ingress = only(manifests, 'NetworkPolicy', 'orders').spec.ingress;
    expect(ingress.some((rule: any) => rule.from.some((peer: any) => peer.podSelector?.matchLabels?.['job-name'] === job.metadata.name)
      && rule.ports.some((p: any) => p.port === 27017))).toBe(true);
  });

  test.each([
    ['StatefulDatabase', single],
    ['ReplicatedDatabase', replicated],
  ])('%s: the declared FCV is an annotation on the StatefulSet, not on its pod template (it restarts nothing)', (_kind, synth) => {
    const statefulSet = only(synth(mongo(MongoDbVersion.V8_0, '7.0')), 'StatefulSet');
    expect(statefulSet.metadata.annotations['cdk8s-databases.io/feature-compatibility-version']).toBe('7.0');
    expect(statefulSet.spec.template.metadata.annotations).not.toHaveProperty(['cdk8s-databases.io/feature-compatibility-version']);
  });
});

describe('featureCompatibilityVersion refusals at synth', () => {
  const refused = (version: MongoDbVersion, fcv: unknown) => () => single(Engine.mongodb({ version, featureCompatibilityVersion: fcv as string }));

  test.each([
    ['8.0.3', '6.0', '8.0', '"7.0" or "8.0"'],
    ['7.0.14', '8.0', '7.0', '"6.0" or "7.0"'],
    ['8.0.3', '8', '8.0', '"7.0" or "8.0"'],
    ['8.0.3', '8.0.3', '8.0', '"7.0" or "8.0"'],
  ])('MongoDB %s with featureCompatibilityVersion %s', (version, fcv, release, accepted) => {
    expect(refused(MongoDbVersion.of(version), fcv)).toThrow(`test/db: \`engine\`: \`Engine.mongodb()\` \`featureCompatibilityVersion\` "${fcv}" is not one a MongoDB ${release} server accepts: `
      + `setFeatureCompatibilityVersion takes the binary's release or the one before it (${accepted}). `
      + 'Set one of them, or leave the prop out; to reach a newer release, upgrade one major release at a time (docs/upgrades.md).');
  });

  test('a JavaScript caller\'s number is refused too', () => {
    expect(refused(MongoDbVersion.V8_0, 8)).toThrow('`featureCompatibilityVersion` 8 is not one a MongoDB 8.0 server accepts');
  });

  test('accepted: the release and the one before it; a rapid release takes the last long-term one', () => {
    expect(fcvJobs(single(mongo(MongoDbVersion.V8_0, '8.0')))).toHaveLength(1);
    expect(fcvJobs(single(mongo(MongoDbVersion.V8_0, '7.0')))).toHaveLength(1);
    expect(fcvJobs(single(mongo(MongoDbVersion.of('8.2.1'), '8.0')))).toHaveLength(1);
    expect(refused(MongoDbVersion.of('8.2.1'), '7.0')).toThrow('(\"8.0\" or \"8.2\")');
  });
});

describe('apply safety: MongoDB upgrades and the declared FCV', () => {
  const FIELD = 'metadata.annotations[cdk8s-databases.io/feature-compatibility-version]';
  const refusals = (from: Engine, to: Engine, synth = replicated) =>
    ApplySafety.check(synth(from), synth(to)).filter((f) => f.verdict === ApplyVerdict.ENGINE_REFUSES);

  test.each([
    ['6.0 → 7.0 with FCV 6.0', mongo(MongoDbVersion.V6_0, '6.0'), mongo(MongoDbVersion.V7_0, '6.0')],
    ['6.0 → 7.0 with FCV 6.0, the prop left out afterwards (the FCV stays)', mongo(MongoDbVersion.V6_0, '6.0'), mongo(MongoDbVersion.V7_0)],
    ['raising the FCV after the roll: 7.0 at FCV 6.0 → 7.0', mongo(MongoDbVersion.V7_0, '6.0'), mongo(MongoDbVersion.V7_0, '7.0')],
    ['7.0 → 8.0 with FCV 7.0', mongo(MongoDbVersion.V7_0, '7.0'), mongo(MongoDbVersion.V8_0, '7.0')],
    ['a minor release with no FCV declared', mongo(MongoDbVersion.V7_0), mongo(MongoDbVersion.of('7.0.15'))],
  ])('%s: applies', (_name, from, to) => {
    expect(refusals(from, to)).toEqual([]);
  });

  test('7.0 → 8.0 while the previous output declares FCV 6.0: refused, with the way through', () => {
    const [refusal, ...rest] = refusals(mongo(MongoDbVersion.V7_0, '6.0'), mongo(MongoDbVersion.V8_0, '7.0'));
    expect(rest).toEqual([]);
    expect(refusal).toEqual({
      kind: 'StatefulSet',
      name: 'orders',
      namespaceName: 'shop',
      field: FIELD,
      verdict: ApplyVerdict.ENGINE_REFUSES,
      finding: 'MongoDB 7.0 → 8.0 while the previous output declares featureCompatibilityVersion "6.0": a MongoDB 8.0 binary starts only on data at '
        + 'featureCompatibilityVersion 7.0 (a deployment upgraded to 7.0 keeps the older one until it is raised), so the new members may not start',
      fix: 'set featureCompatibilityVersion: \'7.0\' first, apply (its Job sets it on the primary), then upgrade '
        + '(docs/upgrades.md; https://www.mongodb.com/docs/manual/reference/command/setFeatureCompatibilityVersion/)',
    });
  });

  test('7.0 → 8.0 with no FCV declared before: refused (the FCV of an upgraded deployment is unknown)', () => {
    const [refusal] = refusals(mongo(MongoDbVersion.V7_0), mongo(MongoDbVersion.V8_0), single);
    expect(refusal.finding).toContain('while the previous output declares no featureCompatibilityVersion');
    expect(refusal.fix).toContain('set featureCompatibilityVersion: \'7.0\' first');
  });

  test('the FCV raised in the same apply as the binaries: refused', () => {
    const [refusal, ...rest] = refusals(mongo(MongoDbVersion.V7_0, '7.0'), mongo(MongoDbVersion.V8_0, '8.0'));
    expect(rest).toEqual([]);
    expect(refusal.field).toBe(FIELD);
    expect(refusal.finding).toBe('featureCompatibilityVersion "8.0" is raised in the same apply as the binaries 7.0 → 8.0: a MongoDB 7.0 server refuses it and a primary at "8.0" '
      + 'no longer connects with 7.0 members, so its Job can only wait for the roll (and fails when the roll does not finish); once raised, the binaries cannot go back to 7.0');
    expect(refusal.fix).toContain('keep featureCompatibilityVersion: \'7.0\' for the upgrade; once every member runs 8.0, set \'8.0\' and apply again');
  });

  test('a skipped major release is still the engine-version finding alone', () => {
    const found = refusals(mongo(MongoDbVersion.V6_0, '6.0'), mongo(MongoDbVersion.V8_0, '7.0'));
    expect(found.map((f) => f.field)).toEqual(['metadata.annotations[cdk8s-databases.io/engine]']);
  });
});
