import { EngineContainer, EngineJob, RackPlan, ReplicationContext, ReplicationPlan } from './engine-definition';
import { ReplicationMode } from './engine-port';
import { plainEnv, secretEnv } from './probes';
import { toProperties } from '../private/config-format';
import { cqlString, shellAssign, shellWord } from '../private/shell';

export interface RingParts {
  readonly datacenter: string;
  /** Data directory of the nodes (the PersistentVolumeClaim). */
  readonly dataPath: string;
  /** CQL port. */
  readonly cqlPort: number;
  /** Creates the application role once the formation Job's superuser can log in; none with `ApplicationUser.superuser()`. */
  readonly applicationUserJob?: EngineJob;
  container(rackFile: string): EngineContainer;
  cassandraYaml(seeds: string): string;
  rolesJob(firstCql?: string): EngineJob;
}

/** Files the ring adds to the engine ConfigMap (mounted at the engine's configPath). */
export const RING_START = 'ring-start.sh';
export const RING_PRESTOP = 'ring-prestop.sh';
export const RING_OPS = 'ring-ops.py';
/**
 * Env of every ring node naming the Lease its preStop takes: also the marker the apply-safety check reads to know that
 * the node stops of this StatefulSet's racks are serialized across the datacenter (one node at a time).
 */
export const ENV_RING_LOCK = 'RING_LOCK';

/**
 * How long a stopping node waits for the ring lock and for every other node to be Up/Normal before
 * it stops anyway (a stop is never refused: the kubelet would kill the JVM at the grace period).
 */
export const RING_GATE_SECONDS = 900;
/**
 * Grace period of a ring node: the gate above, then `nodetool drain`, or, for a node scaled away,
 * `nodetool decommission`, which streams the node's data to the others (at the default
 * stream_throughput_outbound of 24 MiB/s, about 60 GiB in the 45 minutes left after a full gate).
 */
export const RING_GRACE_SECONDS = 3600;
/** How long a node with an empty data directory waits for the ring to answer before it exits (and is restarted). */
export const RING_JOIN_WAIT_SECONDS = 600;

/**
 * A Cassandra datacenter of racks: each rack one StatefulSet pinned to one zone, each node told its
 * datacenter and rack through GossipingPropertyFileSnitch, the first node of each rack a seed.
 * NetworkTopologyStrategy then places a range's replicas on distinct racks, so a zone outage costs
 * each range at most one replica when racks >= replication factor.
 *
 * Disruptions. The budget (disruption/pdb.ts) selects every node of the datacenter with
 * maxUnavailable = replication factor - QUORUM (RF 3: 3 - 2 = 1). The disruption controller takes the
 * expected count from the owning StatefulSets (3 racks x 2 = 6), so with all 6 healthy it allows
 * 6 - (6 - 1) = 1 eviction: one node of the whole datacenter at a time, never two nodes of different
 * racks. Losing one node costs every range at most one of its RF replicas (a node holds at most one
 * replica of a range), so each range keeps RF - 1 >= QUORUM. Two nodes of different racks down
 * would leave the ranges they share with 1 of 3: QUORUM lost. Every pod after the first of a rack
 * must therefore schedule, or the budget's healthy count stays below its expected count and allows
 * no eviction at all; the synth-time check (validate-replication.ts) guarantees that.
 *
 * Budgets only guard evictions. StatefulSets roll independently (one pod per rack at a time, all
 * racks at once), and deletions bypass budgets, so every node's preStop hook takes a ring-wide lock
 * (a coordination.k8s.io Lease, updated with optimistic concurrency) and waits until every node is
 * Up/Normal before it drains: one node of the datacenter stops at a time, the next only once it is
 * back. A node whose ordinal is at or beyond its StatefulSet's replicas is being scaled away: it
 * decommissions first. A node that starts with an empty data directory while the ring knows its
 * rack's nodes bootstraps as a new node, or replaces its own previous identity
 * (replace_address_first_boot), never as its own seed.
 * @see https://cassandra.apache.org/doc/latest/cassandra/architecture/dynamo.html#replication-strategy
 * @see https://cassandra.apache.org/doc/latest/cassandra/managing/operating/topo_changes.html
 */
export function ringPlan(ctx: ReplicationContext, parts: RingParts): ReplicationPlan {
  const racks: RackPlan[] = ctx.racks ?? [];
  const rf = ctx.replicationFactor ?? 3;
  const quorum = Math.floor(rf / 2) + 1;
  const domain = ctx.members[0].slice(ctx.members[0].indexOf('.') + 1);
  const seeds = racks.slice(0, 3).map((r) => `${r.statefulSetName}-0.${domain}`).join(',');
  const rackFile = (r: RackPlan) => `cassandra-rackdc-${r.name}.properties`;
  const base = parts.container('RACK_FILE');
  const env = base.env.filter((e) => e.name !== 'JVM_EXTRA_OPTS');
  const jvmOpts = base.env.find((e) => e.name === 'JVM_EXTRA_OPTS')!.value!;
  const lock = `${ctx.name}-ring`;
  const scripts = { conf: ctx.configPath, data: parts.dataPath, cqlPort: parts.cqlPort };
  return {
    mode: ReplicationMode.RING,
    quorum,
    container: {
      ...base,
      command: ['sh', `${ctx.configPath}/${RING_START}`],
      env: [
        ...env,
        plainEnv('MEMBER_DOMAIN', domain),
        plainEnv('CASSANDRA_SEEDS', seeds),
        plainEnv(ENV_RING_LOCK, lock),
        // The start script reads the ring from a live member over CQL, as the superuser (before the
        // roles Job ran, as the image's default cassandra/cassandra).
        secretEnv('DB_USER', ctx.credentials.secretName, ctx.credentials.usernameKey),
        secretEnv('DB_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
        // In-cluster only, like the roles Job: cqlsh encrypts without verifying.
        ...(ctx.tlsPath ? [plainEnv('CQL_SSL', '--ssl'), plainEnv('SSL_VALIDATE', 'false')] : [plainEnv('CQL_SSL', '')]),
      ],
      preStop: ['sh', `${ctx.configPath}/${RING_PRESTOP}`],
    },
    rackEnv: (r) => [
      plainEnv('JVM_EXTRA_OPTS', jvmOpts.replace('RACK_FILE', rackFile(r))),
      plainEnv('CASSANDRA_RACK', r.name),
    ],
    extraPorts: [],
    configFiles: {
      'cassandra.yaml': parts.cassandraYaml(seeds),
      ...Object.fromEntries(racks.map((r) => [rackFile(r), toProperties({ dc: parts.datacenter, rack: r.name })])),
      [RING_START]: ringStartScript(scripts),
      [RING_PRESTOP]: ringPreStopScript(scripts),
      [RING_OPS]: RING_OPS_PY,
    },
    replacesConfig: true,
    terminationGracePeriodSeconds: RING_GRACE_SECONDS,
    // Least privilege: read the rack StatefulSets (is this pod being scaled away?) and hold the ring
    // lock. `create` cannot be narrowed to a name, so it is granted for leases of the namespace.
    apiRules: [
      { apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: racks.map((r) => r.statefulSetName), verbs: ['get'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [lock], verbs: ['get', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ],
    formationJob: parts.rolesJob(
      `ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', ${cqlString(parts.datacenter)}: ${rf}}`),
    applicationUserJob: parts.applicationUserJob,
    failoverNotes: `No primary: with replication factor ${rf}, reads and writes at QUORUM need ${quorum} replicas of each range. `
      + 'Keyspaces must use NetworkTopologyStrategy with this datacenter; after system_auth changes replication, run `nodetool repair system_auth` on each node. '
      + `Drains evict at most ${rf - quorum} node(s) of the datacenter at a time (the budget), and every stopping node first takes the ring lock (Lease ${lock}) and waits until all nodes are Up/Normal, so rolling updates restart one node of the datacenter at a time. `
      + 'Lowering `replicas` decommissions the nodes scaled away from their preStop hook (bounded by the grace period); a node that comes back with an empty volume replaces its previous identity. '
      + 'A replaced node keeps its identity through its PersistentVolumeClaim.',
    rollout: {
      // ringPreStopScript(), below.
      beforeStop: `Every stopping node's preStop (${RING_PRESTOP}) takes the ring lock (Lease ${lock}) and waits until every node is `
        + `Up/Normal in \`nodetool status\` (both bounded at ${RING_GATE_SECONDS} s, then it stops anyway), runs \`nodetool drain\` `
        + '(`nodetool decommission` when its ordinal is at or beyond its rack\'s replicas) and releases the lock; the next node waits '
        + 'until this one is Up/Normal again. So the racks, which Kubernetes rolls at the same time, stop one node of the datacenter at '
        + 'a time, in whichever order their nodes take the lock (the others show Terminating while they wait). A node not serving '
        + 'yet, and a full stop (StatefulSet deleted or scaled to 0), drain without waiting.',
      readyWhen: `the node accepts CQL connections on port ${parts.cqlPort}`,
    },
  };
}

interface ScriptPaths {
  readonly conf: string;
  readonly data: string;
  readonly cqlPort: number;
}

/**
 * The container command of a ring node. With data, Cassandra starts as configured. With an empty
 * data directory it asks a live member (seeds first, then this rack's lower ordinals) over CQL which
 * nodes the ring knows in this rack (system.local and system.peers), resolves the addresses of this
 * rack's pods, and then:
 * - no member answers: a seed starts as a seed (the ring forms); any other node waits;
 * - every node the ring knows in this rack is a pod that answers for it: a new node (scale-up)
 *   bootstraps;
 * - exactly one is not: it is this pod's previous identity (same pod name, new volume): Cassandra
 *   starts with `-Dcassandra.replace_address_first_boot=<its address>` and streams its ranges;
 * - more than one, or a lower ordinal of the rack not back yet: it waits, then exits to be restarted.
 * Either way it starts without itself among the seeds: a seed never bootstraps
 * (StorageService.shouldBootstrap: auto_bootstrap && !bootstrapComplete && !isSeed), and a replace
 * without bootstrap is refused. The decision is kept on the volume (`.cdk8s-join`) so a restart
 * during the bootstrap resumes it the same way.
 */
export function ringStartScript(p: ScriptPaths): string {
  return `# Start of a Cassandra ring node (cdk8s-databases): see ringStartScript in cassandra-ring.ts.
set -u
${shellAssign('CONF', p.conf)}
${shellAssign('DATA', p.data)}
WORK=/tmp
JOIN_WAIT_SECONDS=${RING_JOIN_WAIT_SECONDS}
SELF="$HOSTNAME.$MEMBER_DOMAIN"
STS=\${HOSTNAME%-*}
ORDINAL=\${HOSTNAME##*-}
JOIN_FILE="$DATA/.cdk8s-join"
log() { echo "cdk8s-databases: $*" >&2; }

# Cassandra refuses to start on the data of a decommissioned node unless "all existing data is
# removed and the node is bootstrapped again": the preStop hook marks the volume once the
# decommission succeeded, so its data already lives on the other nodes.
if [ -f "$DATA/.cdk8s-decommissioned" ]; then
  log "this volume belonged to a decommissioned node: removing its data to bootstrap again"
  rm -rf "$DATA/data" "$DATA/commitlog" "$DATA/saved_caches" "$DATA/hints" "$JOIN_FILE" "$DATA/.cdk8s-decommissioned"
fi

# Starts Cassandra; after an empty-volume decision, not as its own seed, and replacing its old identity.
run() {
  if [ -f "$JOIN_FILE" ]; then
    seeds=$(printf '%s\\n' "$CASSANDRA_SEEDS" | tr ',' '\\n' | grep -vx "$SELF" | paste -sd, -)
    [ -n "$seeds" ] || seeds=$(sed -n 's/^seed=//p' "$JOIN_FILE")
    sed "s|^\\([[:space:]]*- seeds:\\).*|\\1 \\"$seeds\\"|" "$CONF/cassandra.yaml" > "$WORK/cassandra.yaml"
    JVM_EXTRA_OPTS=$(printf '%s' "$JVM_EXTRA_OPTS" | sed "s|-Dcassandra.config=[^ ]*|-Dcassandra.config=file://$WORK/cassandra.yaml|")
    replace=$(sed -n 's/^replace=//p' "$JOIN_FILE")
    [ -z "$replace" ] || JVM_EXTRA_OPTS="$JVM_EXTRA_OPTS -Dcassandra.replace_address_first_boot=$replace"
    export JVM_EXTRA_OPTS
  fi
  exec cassandra -f
}

if [ -f "$JOIN_FILE" ] || [ -n "$(ls -A "$DATA/data/system" 2>/dev/null)" ]; then run; fi

# "address rack" of every node the ring knows, as the member at $1 sees it.
ring_from() {
  for who in secret default; do
    if [ "$who" = secret ]; then user=$DB_USER; pass=$DB_PASSWORD; else user=cassandra; pass=cassandra; fi
    out=$(cqlsh "$1" ${shellWord(p.cqlPort)} $CQL_SSL --connect-timeout=5 -u "$user" -p "$pass" \\
      -e "SELECT broadcast_address, rack FROM system.local; SELECT peer, rack FROM system.peers;" 2>/dev/null) || continue
    printf '%s\\n' "$out" | awk -F'|' 'NF == 2 { gsub(/ /, "", $1); gsub(/ /, "", $2); if ($1 != "broadcast_address" && $1 != "peer" && $1 != "") print $1, $2 }'
    return 0
  done
  return 1
}

resolve() { getent hosts "$1" | awk '{ print $1; exit }'; }

deadline=$(( $(date +%s) + JOIN_WAIT_SECONDS ))
while :; do
  asked=""
  candidates=$(printf '%s' "$CASSANDRA_SEEDS" | tr ',' ' ')
  j=0
  while [ "$j" -lt "$ORDINAL" ]; do candidates="$candidates $STS-$j.$MEMBER_DOMAIN"; j=$((j + 1)); done
  for host in $candidates; do
    [ "$host" = "$SELF" ] && continue
    if ring=$(ring_from "$host"); then asked=$host; break; fi
  done
  if [ -z "$asked" ]; then
    case ",$CASSANDRA_SEEDS," in
      *",$SELF,"*) log "empty data directory and no member answers: starting as a seed (a new ring forms)"; run ;;
    esac
    log "empty data directory and no member answers yet: a node that is not a seed waits for the ring"
  else
    known=$(printf '%s\\n' "$ring" | awk -v rack="$CASSANDRA_RACK" '$2 == rack { print $1 }' | sort -u)
    count=$(printf '%s\\n' "$known" | grep -c .)
    mates=""; waiting=""
    j=0
    while [ "$j" -le $((ORDINAL + count)) ]; do
      if [ "$j" -ne "$ORDINAL" ]; then
        ip=$(resolve "$STS-$j.$MEMBER_DOMAIN")
        if [ -n "$ip" ] && printf '%s\\n' "$known" | grep -qx "$ip"; then mates="$mates $ip"
        elif [ "$j" -lt "$ORDINAL" ]; then waiting="$waiting $STS-$j"
        fi
      fi
      j=$((j + 1))
    done
    stale=""
    for ip in $known; do case " $mates " in *" $ip "*) ;; *) stale="$stale $ip" ;; esac; done
    set -- $stale
    if [ -z "$waiting" ] && [ $# -le 1 ]; then
      { echo "seed=$asked"; [ $# -eq 0 ] || echo "replace=$1"; } > "$JOIN_FILE"
      if [ $# -eq 0 ]; then log "empty data directory; $asked knows no node of rack $CASSANDRA_RACK without a pod: bootstrapping as a new node"
      else log "empty data directory; $asked knows $1 in rack $CASSANDRA_RACK and no pod answers for it: replacing it (replace_address_first_boot)"; fi
      run
    fi
    log "empty data directory; waiting before joining: rack $CASSANDRA_RACK has pods not back in the ring (\${waiting:- none}) or more than one node without a pod (\${stale:- none})"
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    log "gave up after \${JOIN_WAIT_SECONDS}s; exiting to be restarted. Nodes of this rack gone for good: remove them with nodetool removenode <host id>"
    exit 1
  fi
  sleep 10
done
`;
}

/**
 * The preStop hook of a ring node:
 * 1. a node that is not serving (starting, joining, unreachable JMX) or already decommissioned just stops;
 * 2. its StatefulSet deleted or scaled to 0 (a full stop): drain at once, no waiting;
 * 3. otherwise take the ring lock, wait until every node is Up/Normal (both bounded by
 *    RING_GATE_SECONDS), then drain, or, if its ordinal is at or beyond the StatefulSet's replicas
 *    (scaled away), decommission and mark the volume; release the lock.
 * The lock is released when this node is down, and the next holder waits until it is back Up/Normal.
 */
export function ringPreStopScript(p: ScriptPaths): string {
  return `# preStop of a Cassandra ring node (cdk8s-databases): see ringPreStopScript in cassandra-ring.ts.
set -u
${shellAssign('CONF', p.conf)}
${shellAssign('DATA', p.data)}
LOG=/proc/1/fd/1
GATE_SECONDS=${RING_GATE_SECONDS}
ORDINAL=\${HOSTNAME##*-}
STS=\${HOSTNAME%-*}
ops() { python3 "$CONF/${RING_OPS}" "$@"; }
log() { echo "cdk8s-databases preStop: $*" >> "$LOG" 2>/dev/null || true; }

mode=$(nodetool netstats 2>/dev/null | sed -n 's/^Mode: *//p' | head -n 1)
case "$mode" in
  DECOMMISSIONED) touch "$DATA/.cdk8s-decommissioned"; log "this node was decommissioned: stopping"; exit 0 ;;
  NORMAL) ;;
  *) log "node not serving (mode \${mode:-unknown}): draining without waiting for the ring"; nodetool drain >> "$LOG" 2>&1; exit 0 ;;
esac

replicas=$(ops statefulset-replicas 2>> "$LOG") || replicas=unknown
case "$replicas" in
  deleting|0) log "$STS is being deleted or scaled to 0: draining without waiting for the ring"; nodetool drain >> "$LOG" 2>&1; exit 0 ;;
esac
leaving=false
case "$replicas" in ''|*[!0-9]*) ;; *) [ "$ORDINAL" -lt "$replicas" ] || leaving=true ;; esac

all_up() { nodetool status 2>/dev/null | awk '/^[UD][NLJM] / { n++; if ($1 != "UN") down++ } END { exit !(n > 0 && down == 0) }'; }

deadline=$(( $(date +%s) + GATE_SECONDS ))
locked=false
while :; do
  ops lock-acquire 2>> "$LOG"
  rc=$?
  if [ "$rc" -eq 0 ]; then locked=true; break; fi
  if [ "$rc" -ne 1 ]; then log "the ring lock cannot be used: waiting for the ring only"; break; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then log "no ring lock after \${GATE_SECONDS}s: stopping anyway"; break; fi
  sleep 5
done
renewer=""
if $locked; then
  ( while sleep 30; do ops lock-renew >/dev/null 2>&1; done ) &
  renewer=$!
fi
until all_up; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    log "a node is still not Up/Normal after \${GATE_SECONDS}s: stopping anyway (ranges it shares with this node run below QUORUM until both are back)"
    break
  fi
  sleep 10
done

if $leaving; then
  log "ordinal $ORDINAL is at or beyond the $replicas replicas of $STS: decommissioning (streaming its ranges to the other nodes)"
  if nodetool decommission >> "$LOG" 2>&1; then
    touch "$DATA/.cdk8s-decommissioned"
    log "decommissioned"
  else
    log "decommission failed or was refused: draining instead; the node stays in the ring as down until nodetool removenode removes it"
    nodetool drain >> "$LOG" 2>&1
  fi
else
  nodetool drain >> "$LOG" 2>&1
fi
[ -z "$renewer" ] || kill "$renewer" 2>/dev/null
if $locked; then ops lock-release 2>> "$LOG"; fi
exit 0
`;
}

/**
 * Kubernetes API calls of a ring node, with the pod's service account (python3 is in the official
 * image for cqlsh; curl is not). Exit status: 0 done, 1 not now (the lock is held by another node,
 * or an update lost a race), 2 the API cannot be used.
 * The lock is a coordination.k8s.io/v1 Lease: taken when free, expired or already ours, by an update
 * that carries the resourceVersion read, so of two nodes racing for it the API server accepts one
 * and answers 409 Conflict to the other.
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions
 * @see https://kubernetes.io/docs/concepts/architecture/leases/
 */
export const RING_OPS_PY = `"""Kubernetes API calls of a Cassandra ring node (cdk8s-databases).

ring-ops.py statefulset-replicas | lock-acquire | lock-renew | lock-release
"""
import datetime
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

SA = os.environ.get('SERVICE_ACCOUNT_DIR', '/var/run/secrets/kubernetes.io/serviceaccount')
LEASE_SECONDS = 120
API = {}


def connect():
    def read(name):
        with open(os.path.join(SA, name)) as f:
            return f.read().strip()
    host, port = os.environ.get('KUBERNETES_SERVICE_HOST', ''), os.environ.get('KUBERNETES_SERVICE_PORT', '')
    url = os.environ.get('KUBE_API') or 'https://%s:%s' % ('[%s]' % host if ':' in host else host, port)
    namespace = read('namespace')
    API.update(url=url, token=read('token'), namespace=namespace, me=os.environ['HOSTNAME'],
               tls=ssl.create_default_context(cafile=os.path.join(SA, 'ca.crt')) if url.startswith('https') else None,
               leases='/apis/coordination.k8s.io/v1/namespaces/%s/leases' % namespace)
    API['lock'] = API['leases'] + '/' + os.environ['RING_LOCK']


def call(method, path, body=None):
    request = urllib.request.Request(API['url'] + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={'Authorization': 'Bearer ' + API['token'], 'Content-Type': 'application/json', 'Accept': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=10, context=API['tls']) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, None


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def micro_time(t):
    return t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def parse_time(text):
    for layout in ('%Y-%m-%dT%H:%M:%S.%fZ', '%Y-%m-%dT%H:%M:%SZ'):
        try:
            return datetime.datetime.strptime(text or '', layout).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            pass
    return None


def statefulset_replicas():
    status, sts = call('GET', '/apis/apps/v1/namespaces/%s/statefulsets/%s' % (API['namespace'], API['me'].rsplit('-', 1)[0]))
    if status == 404 or (status == 200 and sts['metadata'].get('deletionTimestamp')):
        print('deleting')
        return 0
    if status != 200:
        return 2
    print(sts['spec'].get('replicas', 1))
    return 0


def held_by_me(spec):
    return spec.get('holderIdentity') == API['me']


def lock_acquire():
    status, lease = call('GET', API['lock'])
    stamp = micro_time(now())
    if status == 404:
        status, _ = call('POST', API['leases'], {'apiVersion': 'coordination.k8s.io/v1', 'kind': 'Lease', 'metadata': {'name': API['lock'].rsplit('/', 1)[1]},
                                                 'spec': {'holderIdentity': API['me'], 'leaseDurationSeconds': LEASE_SECONDS, 'acquireTime': stamp, 'renewTime': stamp}})
        return 0 if status == 201 else 1 if status == 409 else 2
    if status != 200:
        return 2
    spec = lease.get('spec') or {}
    renewed = parse_time(spec.get('renewTime'))
    expired = renewed is None or (now() - renewed).total_seconds() > spec.get('leaseDurationSeconds', LEASE_SECONDS)
    if spec.get('holderIdentity') and not held_by_me(spec) and not expired:
        return 1
    lease['spec'] = {'holderIdentity': API['me'], 'leaseDurationSeconds': LEASE_SECONDS,
                     'acquireTime': spec.get('acquireTime') if held_by_me(spec) else stamp, 'renewTime': stamp}
    status, _ = call('PUT', API['lock'], lease)
    return 0 if status == 200 else 1 if status == 409 else 2


def lock_renew():
    status, lease = call('GET', API['lock'])
    if status != 200 or not held_by_me(lease.get('spec') or {}):
        return 1
    lease['spec']['renewTime'] = micro_time(now())
    status, _ = call('PUT', API['lock'], lease)
    return 0 if status == 200 else 1


def lock_release():
    status, lease = call('GET', API['lock'])
    if status != 200 or not held_by_me(lease.get('spec') or {}):
        return 0
    lease['spec'] = {'leaseDurationSeconds': LEASE_SECONDS}
    status, _ = call('PUT', API['lock'], lease)
    return 0 if status == 200 else 1


COMMANDS = {'statefulset-replicas': statefulset_replicas, 'lock-acquire': lock_acquire, 'lock-renew': lock_renew, 'lock-release': lock_release}

if __name__ == '__main__':
    try:
        connect()
        sys.exit(COMMANDS[sys.argv[1]]())
    except (OSError, KeyError, IndexError, ValueError) as e:
        print('ring-ops: %s' % e, file=sys.stderr)
        sys.exit(2)
`;
