import { shellQuote, shellWord } from '../private/shell';

/**
 * Switching the sites of a Patroni pair through Patroni's REST API: POSIX sh scripts for the Spilo image (sh, curl,
 * psql), run by the suspended DR Jobs (src/dr/switch-jobs.ts). Patroni 3.0.2 and 3.3.3 behave alike for what they use.
 *
 * - Where the site's role lives: `standby_cluster` in the DYNAMIC configuration (the DCS), read on every HA cycle
 *   (patroni/ha.py `Ha.is_standby_cluster`; 3.3: patroni/global_config.py). `PATCH /config` writes it there
 *   (patroni/api.py `do_PATCH_config`; a null removes a key: patroni/utils.py `patch_config`) and wakes the HA loop of
 *   the member that took the request (`ha.wakeup()`); the others see it on their next cycle (at most `loop_wait`).
 * - Without `standby_cluster` the lock holder enforces the primary role and promotes (ha.py `process_healthy_cluster`
 *   -> `enforce_primary_role` -> postgresql `promote`, `pg_ctl promote`).
 * - With it, a running primary that holds the lock is demoted at once, immediate stop without a checkpoint
 *   (`enforce_follow_remote_member` -> `follow` -> `demote('immediate-nolock')`), restarted as a standby leader of
 *   `standby_cluster.host` (`_get_node_to_follow` -> `get_remote_member`), and rewound when its timeline diverged from
 *   the peer's (`_handle_rewind_or_reinitialize` takes the remote member as the leader; postgresql/rewind.py
 *   `_check_timeline_and_lsn`, `execute`: CHECKPOINT on the peer, then pg_rewind, both as the superuser or the rewind
 *   user over the network: the peer's pg_hba must admit them, with the same password on both sites).
 * - `/cluster` names the lock holder `leader` or `standby_leader` from the configuration alone (patroni/utils.py
 *   `cluster_as_json`), and `/primary` answers 200 on the lock holder whenever the configuration has no standby
 *   cluster (api.py `do_GET`): neither proves that PostgreSQL left recovery. `GET /patroni` does: its `role` is
 *   `master` only when `pg_is_in_recovery()` is false (api.py `get_postgresql_status`).
 */
export interface PatroniSwitchOptions {
  /** This site's members' Patroni REST bases, e.g. `http://orders-0.orders-headless.shop.svc.cluster.local:8008`. */
  readonly memberApis: string[];
  /** The members' Patroni REST port (the port of `memberApis`), which the switch Jobs must reach. */
  readonly apiPort: number;
  /** The peer site's PostgreSQL address and port (`standby_cluster.host` / `port`). */
  readonly peerHost: string;
  readonly peerPort: number;
  /** The permanent slot the peer keeps for this site (`standby_cluster.primary_slot_name`). */
  readonly slotName: string;
  /** Bound of each wait, seconds. */
  readonly timeoutSeconds: number;
}

/** What the fence needs besides: the read-write client address of this site (the primary Service). */
export interface PatroniFenceOptions extends PatroniSwitchOptions {
  readonly clientHost: string;
}

/** The parameter that fences a site: every new transaction is read-only (reloadable, no restart). */
const FENCE_PARAMETER = 'default_transaction_read_only';
/** Patroni's own sessions (3.0: `Patroni`; 3.3: `Patroni heartbeat`, `Patroni restapi`): never terminated. */
const PATRONI_APPLICATION = 'Patroni%';
/** How long (at most) the members of a demoted site get to follow their standby leader onto its timeline before a re-clone. */
const REPLICA_GRACE_SECONDS = 30;
/** Patroni's replication slot names (patroni/dcs/__init__.py `slot_name_re`). */
const SLOT_NAME = /^[a-z0-9_]+$/;

/**
 * Patroni's `standby_cluster` block that makes a site follow the peer by streaming, through the slot the peer keeps
 * for it. Patroni reads host, port and these keys only (patroni/dcs/__init__.py `RemoteMember`); TLS of the link comes
 * from `postgresql.authentication.replication` (sslmode, sslrootcert), which applies to every replication connection.
 * `basebackup` is Patroni's built-in pg_basebackup (postgresql/bootstrap.py `create_replica`), present in any image,
 * Spilo's included (its own standby uses its `basebackup_fast_xlog` script, the same pg_basebackup).
 */
export function patroniStandbyCluster(o: Pick<PatroniSwitchOptions, 'peerHost' | 'peerPort' | 'slotName'>): Record<string, unknown> {
  assertSlotName(o.slotName);
  return { host: o.peerHost, port: o.peerPort, primary_slot_name: o.slotName, create_replica_methods: ['basebackup'] };
}

/**
 * Promotes this site: removes `standby_cluster` (and the fence, should this site have been fenced as the active
 * site before), then waits until a member holds the lock with PostgreSQL out of recovery. Patroni promotes on the
 * lock holder's next HA cycle (at most `loop_wait` after the PATCH when another member took it).
 */
export function patroniPromoteScript(o: PatroniSwitchOptions): string {
  const patch = { standby_cluster: null, postgresql: { parameters: { [FENCE_PARAMETER]: null } } };
  return [
    ...preamble(o),
    `patch_config ${shellQuote(JSON.stringify(patch))} || fail "no member of ${o.memberApis.length} accepted PATCH /config"`,
    'log "waiting for a leader running as primary"',
    'wait_for primary_leader "a leader running as primary"',
    'log "promoted: $LEADER runs as primary and holds the leader lock"',
  ].join('\n');
}

/**
 * Stops writes on this (active) site, in two steps, and leaves it a standby cluster of the peer. Needs the superuser
 * in PGUSER / PGPASSWORD.
 *
 * 1. Soft fence: `default_transaction_read_only` in the dynamic configuration (Patroni reloads every member; a pod
 *    restart keeps it, as the config sidecar's PATCH never names it); once new sessions are read-only, the client
 *    sessions the leader still has are terminated (an open transaction could go on writing) and a write is checked
 *    to be refused. A fence of settings only: a client that begins `READ WRITE` still writes.
 * 2. Catch-up: waits until the peer has flushed all of this site's WAL: for each permanent physical slot of Patroni's
 *    configuration (`slots`: in a pair, the one this site keeps for the peer) the `flush_lsn` of the walsender using
 *    it (`pg_replication_slots.active_pid` = `pg_stat_replication.pid`) reaches `pg_current_wal_lsn()`. `flush_lsn`
 *    is "last write-ahead log location flushed to disk by this standby server" (PostgreSQL docs, monitoring-stats,
 *    pg_stat_replication); a physical slot has no `confirmed_flush_lsn` (logical slots only, docs view-pg-replication-
 *    slots), and its `restart_lsn` is only the oldest WAL it still needs, so it serves as the figure of a peer that
 *    is not connected. A promotion replays all WAL the standby has (docs warm-standby-failover). When the peer does
 *    not catch up within the bound the script stops here, read-only, and exits 1 naming the bytes the peer lacks:
 *    promoting it now loses them. Running the fence again waits again.
 * 3. Hard fence: `PATCH /config` with the demote's `standby_cluster` block, sent to the leader first (the member
 *    that takes it wakes its HA loop: api.py `do_PATCH_config` -> `ha.wakeup()`). Patroni stops the primary at once,
 *    without a checkpoint (ha.py `enforce_follow_remote_member` -> `demote('immediate-nolock')`) before it reloads
 *    the parameters the same PATCH clears (__main__.py `Patroni._run_cycle`: `ha.run_cycle()`, then
 *    `reload_config()`), and restarts it as the standby leader following the peer. The script waits until no member
 *    runs as primary and checks that a `BEGIN READ WRITE` is refused on the standby leader.
 *
 * Run again on a site that is a standby cluster already, it changes nothing and says so. The demote Job stays for a
 * site that could not be fenced (unreachable during the failover) and comes back as a primary.
 */
export function patroniFenceScript(o: PatroniFenceOptions): string {
  const softPatch = { postgresql: { parameters: { [FENCE_PARAMETER]: 'on' } } };
  const terminate = 'SELECT count(pg_catalog.pg_terminate_backend(pid)) FROM pg_catalog.pg_stat_activity'
    + ` WHERE backend_type = 'client backend' AND pid <> pg_catalog.pg_backend_pid() AND coalesce(application_name, '') NOT LIKE '${PATRONI_APPLICATION}'`;
  // Patroni's permanent physical slots, read from its configuration by PostgreSQL's JSON functions (no jq in Spilo).
  const peerSlots = "SELECT coalesce(string_agg(pg_catalog.quote_literal(key), ','), '') FROM pg_catalog.json_each(\\$cfg\\$$BODY\\$cfg\\$::json -> 'slots')"
    + " WHERE value ->> 'type' = 'physical'";
  // One line per peer slot: `received` once the peer flushed everything this site wrote, else `missing`.
  const catchUp = "SELECT CASE WHEN r.flush_lsn >= w.lsn THEN 'received' ELSE 'missing' END || ' ' || p.name || ': ' ||"
    + " CASE WHEN s.slot_name IS NULL THEN 'no such slot' WHEN r.pid IS NULL THEN 'not streaming, restart_lsn ' || coalesce(s.restart_lsn::text, 'none')"
    + " ELSE 'flushed ' || coalesce(r.flush_lsn::text, 'none') END || ', ' ||"
    + " coalesce(pg_catalog.pg_wal_lsn_diff(w.lsn, coalesce(r.flush_lsn, s.restart_lsn))::bigint::text, 'all') || ' bytes behind ' || w.lsn"
    + ' FROM pg_catalog.pg_current_wal_lsn() w(lsn) CROSS JOIN unnest(ARRAY[$SLOTS]::text[]) p(name)'
    + ' LEFT JOIN pg_catalog.pg_replication_slots s ON s.slot_name = p.name LEFT JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid';
  return [
    ...preamble(o),
    `export PGHOST=${shellWord(o.clientHost)} PGDATABASE=postgres`,
    `PEER=${shellWord(`${o.peerHost}:${o.peerPort}`)}`,
    'sql() { psql -X -A -t -v ON_ERROR_STOP=1 -c "$1"; }',
    'if ! primary_leader && standby_leader_running; then',
    '  log "already fenced: no member runs as primary, $LEADER is a standby leader (standby_cluster: $PEER); nothing to do"',
    '  exit 0',
    'fi',
    `patch_config ${shellQuote(JSON.stringify(softPatch))} || fail "no member of ${o.memberApis.length} accepted PATCH /config"`,
    // Patroni writes postgresql.conf and reloads on the leader's next HA cycle; new sessions then start read-only.
    `read_only() { [ "$(sql 'SHOW ${FENCE_PARAMETER}' 2>/dev/null)" = on ]; }`,
    'wait_for read_only "new sessions on $PGHOST read-only"',
    `n=$(sql ${shellQuote(terminate)}) || fail "could not terminate the client sessions on $PGHOST"`,
    'log "new sessions on $PGHOST are read-only; terminated $n client session(s)"',
    // A rejected CREATE changes nothing: read-only transactions refuse every CREATE, temporary tables included.
    'if out=$(sql "CREATE TEMPORARY TABLE dr_fence_check (id int)" 2>&1); then fail "a write was accepted on $PGHOST"; fi',
    'case $out in *read-only*) log "soft fence: $PGHOST refuses writes by default ($out)" ;; *) fail "the write check failed otherwise: $out" ;; esac',
    'wait_for primary_leader "the leader running as primary"',
    'FORMER=$LEADER',
    'request GET "$FORMER/config"',
    '[ "$CODE" = 200 ] || fail "GET $FORMER/config: HTTP $CODE $BODY"',
    `SLOTS=$(sql "${peerSlots}") || fail "could not read the permanent slots of $FORMER/config: $SLOTS"`,
    '[ -n "$SLOTS" ] || fail "Patroni\'s configuration has no permanent physical slot (slots): nothing tells whether the peer has this site\'s WAL; not fencing further"',
    'caught_up() {',
    `  PEER_WAL=$(sql "${catchUp}" 2>&1) || return 1`,
    '  case "$NL$PEER_WAL" in *"${NL}missing "*) return 1 ;; esac',
    '}',
    'log "waiting until the peer has flushed all WAL of this site (slots $SLOTS)"',
    'started=$(date +%s)',
    'if ! wait_until "$TIMEOUT" caught_up; then',
    '  fail "the peer has not received all WAL of this site after ${TIMEOUT}s: $PEER_WAL. Promoting the peer now loses those bytes '
      + '(the last writes on this site). The site stays read-only for new sessions and is still primary: run the fence again to wait longer, '
      + 'or promote the peer accepting the loss, then run the demote Job here."',
    'fi',
    'log "the peer has all WAL of this site after $(( $(date +%s) - started ))s: $PEER_WAL"',
    `HARD=${shellQuote(JSON.stringify(standbyPatch(o)))}`,
    'request PATCH "$FORMER/config" "$HARD"',
    'if [ "$CODE" = 200 ]; then log "PATCH $FORMER/config $HARD: HTTP 200"; else',
    '  log "PATCH $FORMER/config: HTTP $CODE $BODY"',
    `  patch_config "$HARD" || fail "no member of ${o.memberApis.length} accepted PATCH /config"`,
    'fi',
    'wait_for no_primary "no member running as primary"',
    'wait_for standby_leader_running "a standby leader running"',
    'if out=$(psql -X -A -t -h "$HOST" -p "$PORT" -d postgres -c "BEGIN READ WRITE; CREATE TEMPORARY TABLE dr_fence_check (id int)" 2>&1); then',
    '  fail "a READ WRITE transaction was accepted on the standby leader $HOST:$PORT"',
    'fi',
    'log "fenced: this site is a standby cluster of $PEER; the standby leader $HOST:$PORT refuses READ WRITE ($out)"',
  ].join('\n');
}

/**
 * Demotes this site into a standby cluster of the peer: sets `standby_cluster` (and clears the fence: a standby
 * refuses writes anyway), then waits until the lock holder runs as standby leader streaming from the peer, and until
 * the site's other members replay its timeline (re-cloning a member the old primary's last WAL left behind). Patroni
 * stops the old primary at once, restarts it following the peer, and runs pg_rewind when its timeline diverged
 * (`use_pg_rewind`). Needs the superuser in PGUSER / PGPASSWORD (pg_stat_wal_receiver shows the sender to
 * pg_read_all_stats only).
 */
export function patroniDemoteScript(o: PatroniSwitchOptions): string {
  const patch = standbyPatch(o);
  return [
    ...preamble(o),
    `PEER=${shellWord(`${o.peerHost}:${o.peerPort}`)}`,
    `patch_config ${shellQuote(JSON.stringify(patch))} || fail "no member of ${o.memberApis.length} accepted PATCH /config"`,
    'log "waiting for a standby leader streaming from $PEER"',
    'wait_for streaming_standby_leader "a standby leader streaming from $PEER"',
    'log "demoted: $LEADER is the standby leader, streaming from $PEER (timeline $TIMELINE)"',
    // The site's other members follow the standby leader onto its timeline. One that replayed WAL past the fork point
    // (the old primary's last writes) cannot, and Patroni checks a replica for divergence only when it starts or
    // changes whom it follows (ha.py `trigger_check_diverged_lsn` callers), which the demotion does not do for them:
    // it is cloned again from the standby leader (`POST /reinitialize`: api.py `do_POST_reinitialize`, ha.py
    // `reinitialize`). A member that does not answer is left to its own start, which checks.
    // The standby leader's timeline is read again each round: read once, it can be the one it left a moment later
    // (it reports streaming on the old timeline until the peer's new history arrives), and every member would then
    // seem to lag forever.
    'replicas_follow() {',
    '  LAGGING=""; SILENT=""',
    '  request GET "$LEADER/patroni"',
    '  [ "$CODE" = 200 ] && [ -n "$(timeline)" ] && TIMELINE=$(timeline)',
    '  for api in $MEMBERS; do',
    '    [ "$api" != "$LEADER" ] || continue',
    '    request GET "$api/patroni"',
    '    if [ "$CODE" = 000 ]; then SILENT="$SILENT $api"; continue; fi',
    '    [ "$CODE" = 200 ] && field state running && [ "$(timeline)" = "$TIMELINE" ] || LAGGING="$LAGGING $api"',
    '  done',
    '  [ -z "$LAGGING" ]',
    '}',
    `GRACE=${Math.min(REPLICA_GRACE_SECONDS, o.timeoutSeconds)}`,
    'if ! wait_until "$GRACE" replicas_follow; then',
    '  for api in $LAGGING; do',
    '    request POST "$api/reinitialize" "{}"',
    '    log "$api is not on timeline $TIMELINE after ${GRACE}s: POST /reinitialize: HTTP $CODE $BODY"',
    '  done',
    'fi',
    'wait_for replicas_follow "the other members on timeline $TIMELINE"',
    'log "the other members follow the standby leader on timeline $TIMELINE${SILENT:+; not answering, left to their own start:$SILENT}"',
  ].join('\n');
}

/** The PATCH that makes this site a standby cluster of the peer (a standby refuses writes: the fence goes). */
function standbyPatch(o: PatroniSwitchOptions): Record<string, unknown> {
  return { standby_cluster: patroniStandbyCluster(o), postgresql: { parameters: { [FENCE_PARAMETER]: null } } };
}

/** Shared lines: members, bounds, the REST helpers and the checks each script waits on. */
function preamble(o: PatroniSwitchOptions): string[] {
  if (o.memberApis.length === 0 || o.memberApis.some((api) => !/^https?:\/\/[^\s'"]+$/.test(api))) {
    throw new Error(`patroni-switch: memberApis must be http(s) URLs without spaces, got ${JSON.stringify(o.memberApis)}`);
  }
  if (!Number.isInteger(o.timeoutSeconds) || o.timeoutSeconds < 1) {
    throw new Error(`patroni-switch: timeoutSeconds must be a positive integer, got ${o.timeoutSeconds}`);
  }
  return [
    'set -u',
    `MEMBERS=${shellQuote(o.memberApis.join(' '))}`,
    `TIMEOUT=${o.timeoutSeconds}`,
    "NL='",
    "'",
    'LEADER=""; HOST=""; PORT=""; TIMELINE=""',
    'log() { echo "$(date -u +%H:%M:%S) $*"; }',
    'fail() { log "FAILED: $*"; exit 1; }',
    // request METHOD URL [BODY]: sets CODE (000 when unreachable) and BODY.
    'request() {',
    '  if [ $# -gt 2 ]; then',
    '    out=$(curl -s -m 10 -w "$NL%{http_code}" -X "$1" -H "Content-Type: application/json" --data-binary "$3" "$2")',
    '  else',
    '    out=$(curl -s -m 10 -w "$NL%{http_code}" "$2")',
    '  fi',
    '  case $out in *"$NL"*) ;; *) out="$out${NL}000" ;; esac',
    '  CODE=${out##*"$NL"}; BODY=${out%"$NL"*}',
    '}',
    // PATCH /config merges into the DCS copy and writes only on a change: a second run is a no-op (200).
    'patch_config() {',
    '  for api in $MEMBERS; do',
    '    request PATCH "$api/config" "$1"',
    '    if [ "$CODE" = 200 ]; then log "PATCH $api/config $1: HTTP 200"; return 0; fi',
    '    log "PATCH $api/config: HTTP $CODE $BODY"',
    '  done',
    '  return 1',
    '}',
    'field() { echo "$BODY" | grep -Eq "\\"$1\\": ?\\"$2\\""; }',
    // The timeline PostgreSQL replays (/patroni: IDENTIFY_SYSTEM on a standby, postgresql `replica_cached_timeline`).
    'timeline() { echo "$BODY" | sed -n \'s/.*"timeline": *\\([0-9]*\\).*/\\1/p\'; }',
    // The lock holder (/primary 200) whose PostgreSQL left recovery (/patroni role master: 3.0.2 and 3.3.3).
    'primary_leader() {',
    '  for api in $MEMBERS; do',
    '    request GET "$api/patroni"',
    '    [ "$CODE" = 200 ] && field role master && field state running || continue',
    '    request GET "$api/primary"',
    '    if [ "$CODE" = 200 ]; then LEADER=$api; return 0; fi',
    '  done',
    '  return 1',
    '}',
    // The lock holder of a standby cluster (/standby-leader 200, /patroni role standby_leader) running: sets LEADER,
    // TIMELINE, and HOST and PORT, its PostgreSQL address as /cluster gives it.
    'standby_leader_running() {',
    '  for api in $MEMBERS; do',
    '    request GET "$api/patroni"',
    '    [ "$CODE" = 200 ] && field role standby_leader && field state running || continue',
    '    TIMELINE=$(timeline)',
    '    request GET "$api/standby-leader"',
    '    [ "$CODE" = 200 ] || continue',
    '    request GET "$api/cluster"',
    '    line=$(echo "$BODY" | tr "{" "\\n" | grep -E \'"role": ?"standby_leader"\')',
    '    HOST=$(echo "$line" | sed -n \'s/.*"host": *"\\([^"]*\\)".*/\\1/p\')',
    '    PORT=$(echo "$line" | sed -n \'s/.*"port": *\\([0-9]*\\).*/\\1/p\')',
    '    PORT=${PORT:-5432}',
    '    [ -n "$HOST" ] || continue',
    '    LEADER=$api',
    '    return 0',
    '  done',
    '  return 1',
    '}',
    // No member answers as a running primary (one that does not answer holds no lock: Patroni demotes a primary
    // that cannot renew it).
    'no_primary() {',
    '  for api in $MEMBERS; do',
    '    request GET "$api/patroni"',
    '    [ "$CODE" = 200 ] && field role master && return 1',
    '  done',
    '  return 0',
    '}',
    // The standby leader, whose WAL receiver streams from the peer (psql on its address).
    'streaming_standby_leader() {',
    '  standby_leader_running || return 1',
    '  rx=$(psql -X -A -t -h "$HOST" -p "$PORT" -d postgres -c "SELECT status || \' \' || sender_host || \':\' || sender_port FROM pg_catalog.pg_stat_wal_receiver" 2>&1)',
    '  SEEN="$HOST:$PORT WAL receiver: ${rx:-none}"',
    '  [ "$rx" = "streaming $PEER" ]',
    '}',
    // wait_until SECONDS CHECK: polls CHECK every 2 s; wait_for CHECK WHAT: for TIMEOUT seconds, else prints what
    // the members answered and exits 1.
    'SEEN=""',
    'wait_until() {',
    '  deadline=$(( $(date +%s) + $1 ))',
    '  until "$2"; do',
    '    [ "$(date +%s)" -lt "$deadline" ] || return 1',
    '    sleep 2',
    '  done',
    '}',
    'wait_for() {',
    '  wait_until "$TIMEOUT" "$1" && return 0',
    '  log "timed out after ${TIMEOUT}s waiting for $2; the members answer:"',
    '  for api in $MEMBERS; do request GET "$api/patroni"; log "  $api/patroni: HTTP $CODE $BODY"; done',
    '  for api in $MEMBERS; do request GET "$api/cluster"; if [ "$CODE" = 200 ]; then log "  $api/cluster: $BODY"; break; fi; done',
    '  [ -z "$SEEN" ] || log "  $SEEN"',
    '  exit 1',
    '}',
  ];
}

function assertSlotName(name: string): void {
  // Patroni skips a permanent slot with another name, logging only (dcs/__init__.py `_merge_permanent_slots`).
  if (!SLOT_NAME.test(name)) throw new Error(`patroni-switch: slotName must match ${SLOT_NAME} (Patroni's slot names), got ${JSON.stringify(name)}`);
}
