import { ReplicationContext, ReplicationPlan } from './engine-definition';
import { ReplicationMode } from './engine-port';
import { mongoApplicationUserJob } from './mongodb-application-user';
import { secretEnv, shellProbe } from './probes';
import { shellWord } from '../private/shell';

export const KEYFILE_KEY = 'keyfile';
const KEYFILE_DIR = '/keyfile';
const PORT = 27017;
/**
 * A replica set has at most 7 voting members; the others must have votes 0 and priority 0.
 * @see https://www.mongodb.com/docs/manual/reference/limits/#mongodb-limit-Number-of-Voting-Members-of-a-Replica-Set
 */
const MAX_VOTING_MEMBERS = 7;
/** The member's own stop script, shipped in the engine ConfigMap. */
export const MEMBER_STOP_SCRIPT = 'rs-member-stop.js';
/** preStop waits at most this long for the set to shrink before a member stops (see memberStopJs). */
const QUORUM_WAIT_SECONDS = 90;
/** replSetStepDown's catch-up wait: how long the primary waits for an electable secondary to catch up. */
const CATCH_UP_SECONDS = 15;
/**
 * Quorum wait + stepDown catch-up + wait for the election + mongod's own shutdown (quiesce period of
 * shutdownTimeoutMillisForSignaledShutdown, 15 s by default) and slack for mongosh connections.
 */
const GRACE_SECONDS = 180;
/** The reconcile loop probes every 5 s; a member beyond `replicas` is removed once it failed 6 probes in a row (30 s). */
const PROBE_INTERVAL_MS = 5000;
const GONE_AFTER_PROBES = 6;

/** What the replica set needs from the single-instance profile. */
export interface ReplicaSetBase {
  readonly args: string[];
  readonly env: any[];
  /** mongosh flags for TLS on the member's own container (CA mounted), or ''. */
  readonly tlsFlags: string;
  /** Connection-string options for TLS inside the member's container, or ''. */
  readonly localUriTls: string;
  readonly dbPath: string;
}

/** One member of the desired configuration (a member configuration document). */
interface DesiredMember {
  readonly host: string;
  readonly priority: number;
  readonly votes: number;
}

/**
 * A MongoDB replica set: members by their stable DNS names, internal authentication with a keyfile
 * from the credentials Secret.
 *
 * - Formation: members start one by one (OrderedReady); a member that is in no replica set configuration yet
 *   is Ready as soon as mongod answers, so every pod exists before initiation. A Job initiates once, and
 *   only when every member answers and none has a configuration (replSetInitiate of a first configuration
 *   needs every listed member to answer its heartbeat; check_quorum_for_config_change.cpp).
 * - Membership follows `replicas`: the same Job (named after a checksum of its script, so a change of
 *   members runs a new Job) adds members that answer and removes members beyond `replicas` whose pod is
 *   gone, from the primary, one reconfiguration at a time (at most one voting member per reconfig).
 * - Stop: a member that would take the voting majority with it waits (bounded) for the set to shrink;
 *   a primary steps down before mongod shuts down.
 * @see https://www.mongodb.com/docs/manual/tutorial/deploy-replica-set-with-keyfile-access-control/
 */
export function replicaSetPlan(ctx: ReplicationContext, base: ReplicaSetBase): ReplicationPlan {
  const members = desiredMembers(ctx);
  const voting = Math.min(ctx.replicas, MAX_VOTING_MEMBERS);
  const majority = Math.floor(voting / 2) + 1;
  // Members that must be up, counting every lost member as a voter (the budgets do not know which are).
  const quorum = ctx.replicas - (voting - majority);
  const jobScript = reconcileJobScript(ctx, members);
  // Ready as PRIMARY or SECONDARY; also while the member is in no configuration at all (mongod started with
  // --replSet, never initiated: hello says isreplicaset and no setName), so that OrderedReady creates every
  // pod before initiation. Not Ready: the entrypoint's first-run server (standalone, no isreplicaset),
  // STARTUP2/RECOVERING (initial sync), REMOVED (setName, neither primary nor secondary).
  // https://www.mongodb.com/docs/manual/reference/command/hello/ (HelloResponse::addToBSON without a config)
  const readiness = `mongosh --quiet --host 127.0.0.1 --port ${PORT}${base.tlsFlags} --eval "const h = db.hello(); `
    + 'print((h.setName ? (h.isWritablePrimary || h.secondary) : h.isreplicaset === true) ? \'ready\' : \'not-ready\')" | grep -qx ready';
  const ping = `mongosh --quiet --host 127.0.0.1 --port ${PORT}${base.tlsFlags} --eval "db.adminCommand('ping').ok" | grep -q 1`;
  // A restarted member finds itself in its stored config by resolving the members' host names; before its
  // own name resolves it would start as REMOVED (not Ready), and with OrderedReady pod 0 would then hold
  // back every other pod after a full restart. The headless Service publishes not-ready addresses, so the
  // name resolves as soon as the pod has an IP: wait for it (at most 60 s), then run the image's entrypoint.
  const domain = ctx.members[0].slice(ctx.members[0].indexOf('.') + 1);
  const start = `n=0; until getent hosts "$HOSTNAME.${domain}" >/dev/null 2>&1 || [ $n -ge 60 ]; do n=$((n + 1)); sleep 1; done; `
    + 'exec docker-entrypoint.sh "$@"';
  return {
    mode: ReplicationMode.CONSENSUS,
    quorum,
    // Scale-down one member at a time, each after the one above it has stopped: the stop script's quorum
    // wait relies on it. Formation does not need Parallel: blank members are Ready (see readiness).
    podManagementPolicy: 'OrderedReady',
    terminationGracePeriodSeconds: GRACE_SECONDS,
    container: {
      // The arguments follow the script as "$@" ($0 is the word after it).
      command: ['sh', '-c', start, 'mongod-start'],
      // --replSet and --keyFile on the command line: the image's entrypoint strips --replSet for its
      // first-run server that creates the root user, then starts mongod with both.
      args: [...base.args, '--replSet', ctx.name, '--keyFile', `${KEYFILE_DIR}/keyfile`],
      env: base.env,
      startupProbe: shellProbe(ping, { period: 10, timeout: 10, failureThreshold: 90 }),
      readinessProbe: shellProbe(readiness, { period: 10, timeout: 10, failureThreshold: 3 }),
      livenessProbe: shellProbe(ping, { period: 20, timeout: 10, failureThreshold: 6 }),
      // `mongod --shutdown` signals the mongod that owns the dbpath (SIGTERM) and waits for it to exit.
      // https://www.mongodb.com/docs/manual/tutorial/manage-mongodb-processes/#use---shutdown
      preStop: ['sh', '-c', `mongosh --nodb --quiet --file ${shellWord(`${ctx.configPath}/${MEMBER_STOP_SCRIPT}`)} || true; exec mongod --shutdown --dbpath ${shellWord(base.dbPath)}`],
    },
    extraPorts: [],
    // mongod refuses a keyfile readable by group or others, and Secret volumes are group-readable
    // under fsGroup: an init container copies it to a private emptyDir with mode 0400.
    initContainers: [{
      name: 'keyfile',
      command: ['sh', '-c', `cp /keyfile-secret/${KEYFILE_KEY} ${KEYFILE_DIR}/keyfile && chmod 0400 ${KEYFILE_DIR}/keyfile`],
      env: [],
      ports: [],
      volumeMounts: [{ name: 'keyfile-secret', mountPath: '/keyfile-secret', readOnly: true }, { name: 'keyfile', mountPath: KEYFILE_DIR }],
      cpuMillis: 100,
      memoryMebibytes: 64,
    }],
    extraVolumes: [
      { name: 'keyfile-secret', secret: { secretName: ctx.credentials.secretName, items: [{ key: KEYFILE_KEY, path: KEYFILE_KEY }] } },
      { name: 'keyfile', emptyDir: { medium: 'Memory' } },
    ],
    extraMounts: [{ name: 'keyfile', mountPath: KEYFILE_DIR, readOnly: true }],
    configFiles: { [MEMBER_STOP_SCRIPT]: memberStopJs(base.localUriTls) },
    // 756 base64 characters, within the 6-1024 mongod accepts.
    extraSecretKeys: { [KEYFILE_KEY]: 567 },
    // Every member and the set's name, as drivers connect: the driver finds the primary and follows it.
    applicationUserJob: mongoApplicationUserJob(ctx, { hosts: ctx.members.map((h) => `${h}:${PORT}`), replicaSet: ctx.name }),
    formationJob: {
      // Named after its content (`oneOffJob`): a new member list is a new Job.
      suffix: 'rs',
      runAsUser: 999,
      env: [
        secretEnv('DB_USER', ctx.credentials.secretName, ctx.credentials.usernameKey),
        secretEnv('DB_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
      ],
      script: jobScript,
    },
    failoverNotes: 'The members elect a new primary when the primary fails or steps down (electionTimeoutMillis 10 s by default); '
      + `writes need ${majority} of ${voting} voting members${ctx.replicas > voting ? ` (members beyond the ${MAX_VOTING_MEMBERS}th do not vote)` : ''}. `
      + 'A stopping primary steps down first. Drivers follow the primary through the replica set '
      + `(connection string \`replicaSet=${ctx.name}\`); there is no role Service. Scaling runs a new membership Job `
      + '(rs.add for new members, rs.remove for members whose pod is gone).',
    rollout: {
      // memberStopJs(), below.
      beforeStop: `The preStop runs ${MEMBER_STOP_SCRIPT}: while stopping this voting member would leave fewer than a majority of the `
        + `voting members up, it waits (at most ${QUORUM_WAIT_SECONDS} s); a primary then runs \`replSetStepDown\` (60 s, `
        + `secondaryCatchUpPeriodSecs ${CATCH_UP_SECONDS}: it steps down once an electable secondary has caught up) and waits up to `
        + '15 s until it is no longer primary; then `mongod --shutdown`. Secondaries stop without a handover. With equal priorities the '
        + 'new primary may be a member not updated yet, so one rollout can move the primary more than once.',
      readyWhen: '`hello` reports PRIMARY or SECONDARY (initial sync and recovery are not Ready)',
    },
  };
}

/** Members by ordinal: the configured priority, one vote for the first seven, non-voting priority-0 members after them. */
function desiredMembers(ctx: ReplicationContext): DesiredMember[] {
  return ctx.members.map((host, i) => {
    const voter = i < MAX_VOTING_MEMBERS;
    const given = ctx.memberPriorities?.[i];
    if (!voter && given !== undefined && given > 0) {
      throw new Error(`${ctx.name}: \`memberPriorities\` gives member ${i} priority ${given}, but a replica set has at most ${MAX_VOTING_MEMBERS} voting members and the others must have priority 0: set priority 0 for members ${MAX_VOTING_MEMBERS} and above, or lower \`replicas\` to ${MAX_VOTING_MEMBERS}.`);
    }
    return { host: `${host}:${PORT}`, priority: voter ? (given ?? 1) : 0, votes: voter ? 1 : 0 };
  });
}

/**
 * `runOn(host, command)` for mongosh scripts: the reply, `{ ok: 0, code, codeName, errmsg }` for an error reply
 * (mongosh throws MongoServerError with a numeric code), or `{ ok: 0, unreachable: true }` when the member
 * cannot be reached (network and server-selection errors carry no numeric code). Functions that call the
 * server are only called from plain loops: mongosh awaits them implicitly, but not inside every callback of
 * an array method (https://www.mongodb.com/docs/mongodb-shell/write-scripts/considerations/).
 */
const RUN_JS = `
const CONNS = {};
function failed(e) { return { ok: 0, code: e.code, codeName: e.codeName, errmsg: String(e.errmsg || e.message) }; }
function runOn(host, command) {
  let admin = CONNS[host];
  try {
    if (!admin) {
      admin = connect(uriOf(host)).getSiblingDB('admin');
      CONNS[host] = admin;
    }
  } catch (e) {
    return { ok: 0, unreachable: true, code: e.code, errmsg: String(e.message || e) };
  }
  try {
    const reply = admin.runCommand(command);
    return reply.ok ? reply : failed(reply);
  } catch (e) {
    if (typeof e.code === 'number') return failed(e);
    delete CONNS[host];
    return { ok: 0, unreachable: true, errmsg: String(e.message || e) };
  }
}`;

/**
 * The Job: forms the set once, then makes the membership match `replicas`. Written to a file and run with
 * `mongosh --nodb --file` (https://www.mongodb.com/docs/mongodb-shell/write-scripts/).
 */
function reconcileJobScript(ctx: ReplicationContext, members: DesiredMember[]): string {
  return [
    'set -eu',
    'f="${TMPDIR:-/tmp}/rs-members.js"',
    'cat > "$f" <<\'RS_MEMBERS_JS\'',
    reconcileJs(ctx.name, members, ctx.tlsPath !== undefined),
    'RS_MEMBERS_JS',
    'exec mongosh --nodb --quiet --file "$f"',
  ].join('\n');
}

function reconcileJs(setName: string, members: DesiredMember[], tls: boolean): string {
  return `// Replica set ${setName}: initiate once, then membership = the StatefulSet's members.
const SET = ${JSON.stringify(setName)};
const MEMBERS = ${JSON.stringify(members)};
const WAIT_MS = ${PROBE_INTERVAL_MS};
const GONE_AFTER = ${GONE_AFTER_PROBES};
// The Job mounts no CA: traffic is encrypted, the server is not verified.
const TLS = ${JSON.stringify(tls ? '&tls=true&tlsInsecure=true' : '')};
function uriOf(host) {
  return 'mongodb://' + encodeURIComponent(process.env.DB_USER) + ':' + encodeURIComponent(process.env.DB_PASSWORD) + '@' + host
    + '/admin?directConnection=true&authSource=admin&serverSelectionTimeoutMS=5000&connectTimeoutMS=5000' + TLS;
}
${RUN_JS}

// What a member is, from hello (no config: isreplicaset and no setName) and replSetGetStatus
// (NotYetInitialized, code 94, until a config is received; InvalidReplicaSetConfig, 93, when removed).
// https://www.mongodb.com/docs/manual/reference/command/hello/ , .../command/replSetGetStatus/
function probe(host) {
  const h = runOn(host, { hello: 1 });
  if (!h.ok) return { host: host, kind: 'down', why: h.errmsg };
  if (h.setName && h.setName !== SET) return { host: host, kind: 'foreign', why: 'belongs to replica set ' + h.setName, hello: h };
  const s = runOn(host, { replSetGetStatus: 1 });
  if (h.setName || s.ok || s.code === 93) return { host: host, kind: 'member', hello: h };
  // The image's entrypoint runs a first-run server without --replSet (it creates the root user).
  if (h.isreplicaset !== true) return { host: host, kind: 'unknown', why: 'standalone (first-run server)', hello: h };
  if (s.code === 94) return { host: host, kind: 'blank', hello: h };
  return { host: host, kind: 'unknown', why: (s.codeName || 'unreachable') + ': ' + s.errmsg, hello: h };
}
function probeAll() {
  const probes = [];
  for (const m of MEMBERS) probes.push(probe(m.host));
  return probes;
}
function summary(probes) {
  return probes.filter(function (p) { return p.kind !== 'blank' && p.kind !== 'member'; })
    .map(function (p) { return p.host + ' (' + p.kind + (p.why ? ': ' + p.why : '') + ')'; }).join(', ');
}
function refuseForeign(probes) {
  const foreign = probes.filter(function (p) { return p.kind === 'foreign'; });
  if (foreign.length > 0) {
    print('refusing: ' + summary(foreign) + '; this Job manages replica set ' + SET + ' only');
    quit(3);
  }
}

// Initiate only when every member answers and none has a configuration. A member with a configuration (or
// a setName) means the set exists: never initiate a second one. replSetInitiate itself also refuses when a
// member does not answer ("replSetInitiate quorum check failed", NodeNotFound 74) or already has a config
// (NewReplicaSetConfigurationIncompatible 103); AlreadyInitialized (23) means this member has one.
// https://www.mongodb.com/docs/manual/reference/command/replSetInitiate/
function form() {
  for (;;) {
    const probes = probeAll();
    refuseForeign(probes);
    if (probes.some(function (p) { return p.kind === 'member'; })) { print('replica set ' + SET + ' exists'); return; }
    if (probes.every(function (p) { return p.kind === 'blank'; })) {
      const config = { _id: SET, version: 1, members: MEMBERS.map(function (m, i) { return { _id: i, host: m.host, priority: m.priority, votes: m.votes }; }) };
      const r = runOn(MEMBERS[0].host, { replSetInitiate: config });
      if (r.ok) { print('replica set ' + SET + ' initiated with ' + MEMBERS.length + ' members'); return; }
      if (r.code === 23 || r.code === 103) { print('replica set ' + SET + ' exists (' + r.codeName + ')'); return; }
      print('replSetInitiate failed, retrying: ' + (r.codeName || 'unreachable') + ': ' + r.errmsg);
    } else {
      print('waiting for every member to answer before initiating: ' + summary(probes));
    }
    sleep(WAIT_MS);
  }
}

function primaryOf(probes) {
  for (const p of probes) {
    const named = p.hello && p.hello.primary;
    if (!named) continue;
    const h = runOn(named, { hello: 1 });
    if (h.ok && h.isWritablePrimary) return named;
  }
  return null;
}
function priorityOf(c) { return c.priority === undefined ? 1 : c.priority; }
function votesOf(c) { return c.votes === undefined ? 1 : c.votes; }

// Membership follows the StatefulSet: from the primary only, one reconfiguration at a time (a
// non-force reconfig adds or removes at most one voting member; a new voting member counts as
// non-voting until its initial sync ends, "newlyAdded"). A member beyond \`replicas\` is removed only
// once it stopped answering (its pod is gone), never while it answers.
// https://www.mongodb.com/docs/manual/reference/command/replSetReconfig/ ,
// https://www.mongodb.com/docs/manual/tutorial/remove-replica-set-member/
function reconcile() {
  const silent = {};
  const wanted = MEMBERS.map(function (m) { return m.host; });
  for (;;) {
    const probes = probeAll();
    refuseForeign(probes);
    const primary = primaryOf(probes);
    if (!primary) {
      print('waiting for a primary (a majority of voting members must be up): ' + (summary(probes) || 'election in progress'));
      sleep(WAIT_MS);
      continue;
    }
    const got = runOn(primary, { replSetGetConfig: 1 });
    if (!got.ok) { print('replSetGetConfig on ' + primary + ' failed: ' + got.errmsg); sleep(WAIT_MS); continue; }
    const cfg = got.config;
    const surplus = cfg.members.filter(function (c) { return wanted.indexOf(c.host) < 0; });
    for (const c of surplus) silent[c.host] = runOn(c.host, { hello: 1 }).ok ? 0 : (silent[c.host] || 0) + 1;
    let change = null;
    const gone = surplus.find(function (c) { return silent[c.host] >= GONE_AFTER; });
    if (gone) {
      change = { what: 'removed ' + gone.host, members: cfg.members.filter(function (c) { return c.host !== gone.host; }) };
    }
    const absent = MEMBERS.filter(function (m) { return !cfg.members.some(function (c) { return c.host === m.host; }); });
    const joinable = absent.find(function (m) {
      const kind = probes[wanted.indexOf(m.host)].kind;
      return kind === 'blank' || kind === 'member';
    });
    if (!change && joinable) {
      const nextId = cfg.members.reduce(function (n, c) { return Math.max(n, c._id + 1); }, 0);
      change = {
        what: 'added ' + joinable.host,
        members: cfg.members.concat([{ _id: nextId, host: joinable.host, priority: joinable.priority, votes: joinable.votes }]),
      };
    }
    const drifted = MEMBERS.find(function (m) {
      const c = cfg.members.find(function (x) { return x.host === m.host; });
      return c && (priorityOf(c) !== m.priority || votesOf(c) !== m.votes);
    });
    if (!change && drifted) {
      change = {
        what: 'set priority ' + drifted.priority + ', votes ' + drifted.votes + ' on ' + drifted.host,
        members: cfg.members.map(function (c) { return c.host === drifted.host ? Object.assign({}, c, { priority: drifted.priority, votes: drifted.votes }) : c; }),
      };
    }
    if (!change) {
      if (surplus.length === 0 && absent.length === 0) {
        print('replica set ' + SET + ' has its ' + MEMBERS.length + ' members (config version ' + cfg.version + ', primary ' + primary + ')');
        return;
      }
      const waits = surplus.map(function (c) { return c.host + ' beyond replicas still answers or was silent ' + silent[c.host] + ' of ' + GONE_AFTER + ' probes'; })
        .concat(absent.map(function (m) { return m.host + ' to add does not answer yet'; }));
      print('waiting: ' + waits.join('; '));
      sleep(WAIT_MS);
      continue;
    }
    const next = Object.assign({}, cfg, { version: cfg.version + 1, members: change.members });
    const r = runOn(primary, { replSetReconfig: next });
    if (r.ok) { print(change.what + ' (config version ' + next.version + ')'); continue; }
    // NotWritablePrimary (10107), CurrentConfigNotCommittedYet (308), ConfigurationInProgress (109),
    // NodeNotFound (74, quorum check): the next round looks again.
    print('replSetReconfig (' + change.what + ') failed, retrying: ' + (r.codeName || 'unreachable') + ': ' + r.errmsg);
    sleep(WAIT_MS);
  }
}

form();
reconcile();
`;
}

/**
 * The member's preStop, before `mongod --shutdown`:
 * 1. If stopping this voting member would leave fewer than a majority of the voting members up (a scale-down
 *    that outruns the membership Job), wait (QUORUM_WAIT_SECONDS at most) for the set to shrink. Members vote
 *    in PRIMARY, SECONDARY, RECOVERING, ARBITER or ROLLBACK; STARTUP2 is left out, as a newly added member does
 *    not vote during its initial sync and replSetGetConfig does not show which one is (so this errs on waiting).
 *    https://www.mongodb.com/docs/manual/reference/replica-states/
 * 2. A primary steps down (waiting CATCH_UP_SECONDS at most for an electable secondary to catch up) and waits
 *    for the election, so writes move before mongod stops.
 *    https://www.mongodb.com/docs/manual/reference/command/replSetStepDown/
 */
function memberStopJs(localUriTls: string): string {
  return `// preStop of a replica set member: keep the voting majority, hand over the primary.
const URI = 'mongodb://' + encodeURIComponent(process.env.MONGO_INITDB_ROOT_USERNAME) + ':'
  + encodeURIComponent(process.env.MONGO_INITDB_ROOT_PASSWORD)
  + '@127.0.0.1:${PORT}/admin?directConnection=true&authSource=admin&serverSelectionTimeoutMS=5000' + ${JSON.stringify(localUriTls)};
function uriOf() { return URI; }
${RUN_JS}
const SELF = '127.0.0.1:${PORT}';
const VOTING_STATES = [1, 2, 3, 7, 9];

function quorumAfterStop() {
  const st = runOn(SELF, { replSetGetStatus: 1 });
  const got = runOn(SELF, { replSetGetConfig: 1 });
  if (!st.ok || !got.ok) return null;
  const voters = got.config.members.filter(function (m) { return (m.votes === undefined ? 1 : m.votes) > 0; })
    .map(function (m) { return m.host; });
  const me = st.members.find(function (m) { return m.self; });
  if (!me || voters.indexOf(me.name) < 0) return null;
  const up = st.members.filter(function (m) {
    return !m.self && voters.indexOf(m.name) >= 0 && m.health === 1 && VOTING_STATES.indexOf(m.state) >= 0;
  }).length;
  return { up: up, voters: voters.length, majority: Math.floor(voters.length / 2) + 1 };
}

const first = runOn(SELF, { replSetGetStatus: 1 });
if (!first.ok) {
  print('not in a replica set configuration (' + (first.codeName || first.errmsg) + '): stopping');
  quit(0);
}
for (let waited = 0; waited < ${QUORUM_WAIT_SECONDS}; waited += 5) {
  const q = quorumAfterStop();
  if (!q || q.up >= q.majority) break;
  print('stopping now would leave ' + q.up + ' of ' + q.voters + ' voting members up (majority ' + q.majority
    + '): waiting for the membership Job to remove members that are gone');
  sleep(5000);
}
const selfHello = runOn(SELF, { hello: 1 });
if (selfHello.ok && selfHello.isWritablePrimary) {
  const r = runOn(SELF, { replSetStepDown: 60, secondaryCatchUpPeriodSecs: ${CATCH_UP_SECONDS} });
  print(r.ok ? 'stepped down' : 'stepDown failed (' + (r.codeName || 'unreachable') + '): ' + r.errmsg);
  for (let i = 0; i < 15; i++) {
    const h = runOn(SELF, { hello: 1 });
    if (!h.ok || !h.isWritablePrimary) break;
    sleep(1000);
  }
}
`;
}
