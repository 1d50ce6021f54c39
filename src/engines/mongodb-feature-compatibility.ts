import { EngineContext, ExtraEngineJob } from './engine-definition';
import { secretEnv } from './probes';

/** On each StatefulSet: the featureCompatibilityVersion declared, for the apply-safety check's upgrade rules. */
export const ANNOTATION_FEATURE_COMPATIBILITY_VERSION = 'cdk8s-databases.io/feature-compatibility-version';

/**
 * MongoDB's release series in upgrade order. setFeatureCompatibilityVersion accepts a series on its own binaries and
 * on the next series' ("7.0": available on MongoDB 7.0 and 8.0 deployments), and an upgrade goes one series at a time.
 * @see https://www.mongodb.com/docs/manual/reference/command/setFeatureCompatibilityVersion/
 * @see https://www.mongodb.com/docs/manual/release-notes/8.0-upgrade-replica-set/
 */
export const MONGODB_RELEASES = ['3.4', '3.6', '4.0', '4.2', '4.4', '5.0', '6.0', '7.0', '8.0'];

/** `major.minor` of a version or FCV (`8.0.3` → `8.0`), or undefined. */
export function releaseOf(version: string): string | undefined {
  const m = /^(\d+)\.(\d+)(?:[.-]|$)/.exec(version);
  return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

/** A comparable number of a `major.minor` release. */
export function releaseRank(release: string): number {
  const [major, minor] = release.split('.').map(Number);
  return major * 1000 + minor;
}

/**
 * The FCVs a binary of `release` accepts: its own, and the long-term release before it (a rapid release such as 8.2
 * accepts the last long-term one, 8.0: the server's "last LTS" FCV, src/mongo/db/repl/FCV_AND_FEATURE_FLAG_README.md).
 */
export function acceptedFeatureCompatibilityVersions(release: string): string[] {
  const older = MONGODB_RELEASES.filter((r) => releaseRank(r) < releaseRank(release));
  return older.length > 0 ? [older[older.length - 1], release] : [release];
}

/** Why `fcv` cannot be declared for binary `version`, for the database binding the engine to report (a factory has no scope). */
export function featureCompatibilityProblem(fcv: unknown, version: string): string | undefined {
  const release = releaseOf(version);
  if (release === undefined) return undefined; // the version itself is refused by the database (checkVersion)
  const accepted = acceptedFeatureCompatibilityVersions(release);
  const given = typeof fcv === 'string' && /^\d+\.\d+$/.test(fcv) ? releaseOf(fcv) : undefined;
  if (given !== undefined && accepted.includes(given)) return undefined;
  return `\`engine\`: \`Engine.mongodb()\` \`featureCompatibilityVersion\` ${JSON.stringify(fcv)} is not one a MongoDB ${release} server accepts: `
    + `setFeatureCompatibilityVersion takes the binary's release or the one before it (${accepted.map((r) => `"${r}"`).join(' or ')}). `
    + 'Set one of them, or leave the prop out; to reach a newer release, upgrade one major release at a time (docs/upgrades.md).';
}

/** Where the Job finds the primary, and the members whose binaries it checks first. */
export interface FeatureCompatibilityTarget {
  /** `host:port` of the Service, or of every replica set member. */
  readonly hosts: string[];
  /** The replica set's name: the driver then finds the primary among `hosts`. */
  readonly replicaSet?: string;
}

/**
 * Sets the featureCompatibilityVersion to `fcv` on the primary, once every member runs a binary that accepts it;
 * reads it first and changes nothing when it already is `fcv`. Run with `mongosh --nodb --file` as the root user
 * (credentials from the Secret through `process.env`, like the application-user Job), so it is safe to run again.
 * MongoDB cannot run on the machine that builds this library: test/mongodb-fcv.test.ts runs the script against a
 * mongosh stand-in that answers as the manual and the server's tests below describe.
 * @see https://www.mongodb.com/docs/manual/reference/command/setFeatureCompatibilityVersion/ (confirm: required from 7.0;
 *   "Idempotency": a failed run leaves the FCV in a transitional state that running the command again completes)
 * @see https://www.mongodb.com/docs/manual/reference/command/getParameter/ (featureCompatibilityVersion: { version, targetVersion })
 * @see https://github.com/mongodb/mongo/blob/master/jstests/multiVersion/feature_compatibility_version_lagging_secondary.js
 *   (a primary at the upgraded FCV no longer connects with a member of the older binary)
 */
export function featureCompatibilityJob(ctx: EngineContext, fcv: string, target: FeatureCompatibilityTarget): ExtraEngineJob {
  const script = [
    'set -eu',
    'f="${TMPDIR:-/tmp}/fcv.js"',
    'cat > "$f" <<\'FCV_JS\'',
    featureCompatibilityJs(ctx.name, fcv, target, ctx.tlsPath !== undefined),
    'FCV_JS',
    'exec mongosh --nodb --quiet --file "$f"',
  ].join('\n');
  return {
    id: 'FeatureCompatibility',
    // Named after its content (`oneOffJob`): a new FCV or a new image is a new Job.
    suffix: 'fcv',
    runAsUser: 999,
    env: [
      secretEnv('DB_USER', ctx.credentials.secretName, ctx.credentials.usernameKey),
      secretEnv('DB_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
    ],
    script,
  };
}

function featureCompatibilityJs(name: string, fcv: string, target: FeatureCompatibilityTarget, tls: boolean): string {
  // The Job mounts no CA: traffic is encrypted, the server is not verified.
  const tlsOptions = tls ? ['tls=true', 'tlsInsecure=true'] : [];
  const common = ['authSource=admin', 'serverSelectionTimeoutMS=5000', 'connectTimeoutMS=5000', ...tlsOptions];
  const primaryOptions = [...(target.replicaSet ? [`replicaSet=${target.replicaSet}`] : ['directConnection=true']), ...common].join('&');
  const memberOptions = ['directConnection=true', ...common].join('&');
  return `// featureCompatibilityVersion of ${name} (cdk8s-databases): "${fcv}", set on the primary once every member accepts it.
const TARGET = ${JSON.stringify(fcv)};
const HOSTS = ${JSON.stringify(target.hosts.join(','))};
const MEMBERS = ${JSON.stringify(target.hosts)};
const PRIMARY_OPTIONS = ${JSON.stringify(primaryOptions)};
const MEMBER_OPTIONS = ${JSON.stringify(memberOptions)};
const WAIT_MS = 5000;
const ATTEMPTS = 300;
const env = process.env;
const userinfo = encodeURIComponent(env.DB_USER) + ':' + encodeURIComponent(env.DB_PASSWORD) + '@';

function rank(version) {
  const m = /^(\\d+)\\.(\\d+)/.exec(String(version));
  return m ? Number(m[1]) * 1000 + Number(m[2]) : NaN;
}
// An error reply as an exception, whether mongosh returns { ok: 0 } or throws MongoServerError.
function command(admin, doc) {
  const reply = admin.adminCommand(doc);
  if (!reply.ok) {
    const e = new Error(reply.errmsg);
    Object.assign(e, { code: reply.code, codeName: reply.codeName });
    throw e;
  }
  return reply;
}
function describe(e) { return (e.codeName ? e.codeName + ': ' : '') + String(e.errmsg || e.message || e); }
function fail(message) { print(message); quit(1); }
// Calls step() until it returns a value; prints why it waits; fails after ATTEMPTS.
function waitFor(what, step) {
  let why = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const r = step();
      if (r.done) return r.value;
      why = r.why;
    } catch (e) {
      why = describe(e);
    }
    print('waiting for ' + what + ': ' + why);
    sleep(WAIT_MS);
  }
  fail('gave up waiting for ' + what + ' after ' + (ATTEMPTS * WAIT_MS / 60000) + ' minutes: ' + why);
}

// The primary: a replica set electing, a member restarting, the image's first-run server (localhost only).
const admin = waitFor('a writable primary at ' + HOSTS, function () {
  const conn = connect('mongodb://' + userinfo + HOSTS + '/admin?' + PRIMARY_OPTIONS);
  return conn.hello().isWritablePrimary ? { done: true, value: conn.getSiblingDB('admin') } : { why: 'connected to a member that is not the primary' };
});
// { featureCompatibilityVersion: { version, targetVersion? } }: targetVersion while an earlier change is unfinished.
function current() { return command(admin, { getParameter: 1, featureCompatibilityVersion: 1 }).featureCompatibilityVersion; }
const before = current();
if (before.version === TARGET && !before.targetVersion) {
  print('featureCompatibilityVersion is ' + TARGET + ': nothing to do');
  quit(0);
}

// Every member must run a binary that accepts TARGET: a server refuses an FCV above its release, and a primary at the
// raised FCV no longer connects with members of the older binary. While the StatefulSet rolls, wait for it.
waitFor('every member to run MongoDB ' + TARGET + ' or newer', function () {
  const behind = [];
  for (const host of MEMBERS) {
    let version = '';
    try {
      version = connect('mongodb://' + userinfo + host + '/admin?' + MEMBER_OPTIONS).getSiblingDB('admin').adminCommand({ buildInfo: 1 }).version;
    } catch (e) {
      behind.push(host + ' (' + describe(e) + ')');
      continue;
    }
    if (!(rank(version) >= rank(TARGET))) behind.push(host + ' runs ' + version);
  }
  return behind.length === 0 ? { done: true } : { why: behind.join(', ') };
});

// confirm: true is required from 7.0 on, and unknown before it (the 6.0 command refuses fields it does not know).
const binary = command(admin, { buildInfo: 1 }).version;
const set = { setFeatureCompatibilityVersion: TARGET };
if (rank(binary) >= 7000) set.confirm = true;
try {
  command(admin, set);
} catch (e) {
  fail('setFeatureCompatibilityVersion ' + TARGET + ' failed on the primary (MongoDB ' + binary + ', featureCompatibilityVersion '
    + before.version + (before.targetVersion ? ' changing to ' + before.targetVersion : '') + '): ' + describe(e));
}
const after = current();
if (after.version !== TARGET || after.targetVersion) fail('featureCompatibilityVersion is ' + JSON.stringify(after) + ' after setting ' + TARGET);
print('featureCompatibilityVersion ' + before.version + (before.targetVersion ? ' (changing to ' + before.targetVersion + ')' : '') + ' -> ' + TARGET);
`;
}
