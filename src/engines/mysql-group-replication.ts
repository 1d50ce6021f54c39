import { createHash } from 'crypto';
import { ReplicationContext, ReplicationPlan } from './engine-definition';
import { PortRole, ReplicationMode } from './engine-port';
import { mysqlApplicationUserJob } from './mysql-application-user';
import { secretEnv, shellProbe } from './probes';
import { REPORT_ROLE_FUNCTION, roleLabelling } from './role-labeller';
import { inDoubleQuotes as dq, shellQuote, shellWord } from '../private/shell';

const GR_PORT = 33061;
const AS_ROOT = 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD"';
/** The data volume; the data directory itself is `data/` below it (see mysql.ts). */
const MOUNT = '/var/lib/mysql';
/** The image's entrypoint (docker-library/mysql 8.4/Dockerfile.oracle: COPY docker-entrypoint.sh /usr/local/bin/). */
const ENTRYPOINT = '/usr/local/bin/docker-entrypoint.sh';
/** Written by the keeper when its bounded recovery gave up: the liveness probe then restarts mysqld. */
const RESTART_FLAG = '/tmp/group-replication-restart';
/** Rejoin attempts (ERROR state, refused START) before the keeper asks for a restart of mysqld. */
const MAX_ATTEMPTS = 5;
const TICK_SECONDS = 5;
/** A role report older than this (the keeper hung on a query) removes the member's role label. */
const ROLE_STALE_SECONDS = 20;

/**
 * A member's transaction set as the MySQL manual's "Restarting a Group" procedure collects it: the executed set
 * (`gtid_executed`) and the set certified but not yet applied (`received_transaction_set` of the
 * group_replication_applier channel), merged with GTID_SUBTRACT(CONCAT(a, ',', b), '') as in the manual's
 * GTID_UNION stored-function example, on one line (gtid_executed separates UUIDs with ",\n").
 * @see https://dev.mysql.com/doc/refman/8.4/en/group-replication-restarting-group.html
 */
const TRANSACTIONS_SQL = "REPLACE(GTID_SUBTRACT(CONCAT_WS(',', NULLIF(@@GLOBAL.gtid_executed, ''), "
  + "(SELECT NULLIF(RECEIVED_TRANSACTION_SET, '') FROM performance_schema.replication_connection_status "
  + "WHERE CHANNEL_NAME='group_replication_applier')), ''), CHAR(10), '')";
/**
 * A member's own state and role. Before Group Replication ever started, the table holds one row with the state
 * OFFLINE and no MEMBER_ID (plugin/group_replication/src/ps_information.cc), so nothing matches: read as OFFLINE.
 */
const SELF_STATE_SQL = 'SELECT MEMBER_STATE, MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID=@@server_uuid';
/**
 * Asked of every other member: does it see a running group (ONLINE or RECOVERING members), its own state, and what
 * it has got.
 */
const SURVEY_SQL = "SELECT (SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_STATE IN ('ONLINE','RECOVERING')), "
  + "IFNULL((SELECT MEMBER_STATE FROM performance_schema.replication_group_members WHERE MEMBER_ID=@@server_uuid), 'OFFLINE'), "
  + TRANSACTIONS_SQL;

/**
 * This member's view of the group: members it reaches (every state but UNREACHABLE) and members in the view. Group
 * Replication needs a majority of the view reachable to make progress; a member without it (a partition's minority)
 * blocks writes and must not be labelled primary, though it still shows itself ONLINE and PRIMARY.
 * @see https://dev.mysql.com/doc/refman/8.4/en/group-replication-network-partitioning.html
 * @see https://dev.mysql.com/doc/refman/8.4/en/performance-schema-replication-group-members-table.html
 */
const VIEW_SQL = "SELECT SUM(MEMBER_STATE<>'UNREACHABLE'), COUNT(*) FROM performance_schema.replication_group_members";

/** A stable group UUID from the database name: every member must agree on it. */
function groupName(name: string): string {
  const h = createHash('sha256').update(`cdk8s-databases/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Why a MySQL version cannot run this plan, or undefined when it can: the keeper passes the recovery credentials on
 * START GROUP_REPLICATION (8.0.21) and the configuration names group_replication_ip_allowlist (8.0.22).
 * Tags that are not major.minor.patch (`8.4`, `9.1`) are taken as recent enough.
 */
export function groupReplicationUnsupported(version: string): string | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), m[3] === undefined ? Infinity : Number(m[3])];
  const old = major < 8 || (major === 8 && minor === 0 && patch < 22);
  return old ? 'Group Replication here needs MySQL 8.0.22 or later (START GROUP_REPLICATION with recovery credentials, group_replication_ip_allowlist); choose MysqlVersion.V8_0 or V8_4' : undefined;
}

/** What the MySQL profile hands the Group Replication plan. */
export interface GroupReplicationBase {
  readonly configFile: string;
  /** The single-instance configuration (`[mysqld]` section), extended here. */
  readonly config: string;
  readonly databaseName?: string;
}

/**
 * MySQL Group Replication in single-primary mode, without an operator: the group elects a new primary by
 * majority when the primary fails. A keeper sidecar on every member starts Group Replication:
 * - it joins whenever another member is ONLINE (and waits while a group is seen but no ONLINE member answers);
 * - it bootstraps only when no member runs a group, every member answers, and this member holds the largest
 *   transaction set (ties: lowest ordinal), which is the MySQL manual's procedure for restarting a group and,
 *   on a new group (every set empty), picks member 0. So the group is bootstrapped once, and after a full
 *   outage by the most advanced member, never by whichever pod happens to be 0;
 * - it recovers a member in ERROR (STOP, then join again), a bounded number of times before asking the
 *   kubelet to restart mysqld through the liveness probe; a member with transactions the group lacks is
 *   not retried (it cannot join: ER_GRP_RPL_MEMBER_TRANS_GREATER_THAN_GRP) and says so.
 * Members initialise with the binary log off for everything the image's entrypoint writes, so a new member
 * holds no GTID of its own. Pods start in parallel: after a full outage every member must answer.
 * @see https://dev.mysql.com/doc/refman/8.4/en/group-replication-configuring-instances.html
 */
export function groupReplicationPlan(ctx: ReplicationContext, base: GroupReplicationBase): ReplicationPlan {
  const majority = Math.floor(ctx.replicas / 2) + 1;
  const domain = ctx.members[0].slice(ctx.members[0].indexOf('.') + 1);
  const tls = ctx.tlsPath;
  const config = base.config + [
    'gtid_mode=ON',
    'enforce_gtid_consistency=ON',
    // Group Replication needs InnoDB tables with primary keys; refuse the engines it cannot replicate.
    // https://dev.mysql.com/doc/refman/8.4/en/group-replication-configuring-instances.html
    'disabled_storage_engines=MyISAM,BLACKHOLE,FEDERATED,ARCHIVE,MEMORY',
    'plugin_load_add=group_replication.so',
    // Distributed recovery falls back to a remote clone when no donor's binary log still holds what a joiner
    // misses (e.g. a member added after binlog_expire_logs_seconds). Donor and joiner need the plugin.
    // https://dev.mysql.com/doc/refman/8.4/en/group-replication-cloning.html
    'plugin_load_add=mysql_clone.so',
    `loose-group_replication_group_name=${groupName(ctx.name)}`,
    'loose-group_replication_single_primary_mode=ON',
    // The server's default stack (XCom) on its own port. Its automatic allowlist holds only the private subnets
    // of this pod's own interfaces (a /32 or a node's pod range on most CNIs), which would refuse members on
    // other nodes: allow the members by name (resolved on each incoming connection; an unresolvable name, a
    // pod not yet created, is skipped). plugin/group_replication/libmysqlgcs/.../gcs_xcom_networking.cc
    'loose-group_replication_communication_stack=XCOM',
    `loose-group_replication_ip_allowlist=${ctx.members.join(',')}`,
    `loose-group_replication_group_seeds=${ctx.members.map((m) => `${m}:${GR_PORT}`).join(',')}`,
    // Never on boot: only the keeper starts Group Replication, after it has decided between joining and
    // bootstrapping (a restarted member must never bootstrap a second group).
    'loose-group_replication_start_on_boot=OFF',
    'loose-group_replication_autorejoin_tries=3',
    ...(tls ? [
      // Member-to-member (XCom) traffic over TLS with the server's own certificate (group_replication_tls_source
      // MYSQL_MAIN), each peer's certificate checked against the CA. With VERIFY_CA each XCom server also verifies
      // its peer's certificate as a client certificate (SSL_VERIFY_PEER in xcom_network_provider_ssl_native_lib.cc):
      // the database certificate carries the "client auth" usage for it. Not VERIFY_IDENTITY: XCom checks the peer's
      // address as given in the seeds, and the certificate names the members by wildcard under the headless Service.
      // https://dev.mysql.com/doc/refman/8.4/en/group-replication-secure-socket-layer-support-ssl.html
      'loose-group_replication_ssl_mode=VERIFY_CA',
      // Distributed recovery is a client connection to the donor's MySQL port: encrypted, and the donor's
      // certificate checked against the CA and its member name (the certificate holds *.<headless Service>).
      // https://dev.mysql.com/doc/refman/8.4/en/group-replication-configuring-ssl-for-recovery.html
      'loose-group_replication_recovery_use_ssl=ON',
      `loose-group_replication_recovery_ssl_ca=${tls}/ca.crt`,
      'loose-group_replication_recovery_ssl_verify_server_cert=ON',
    ] : [
      // Without TLS, caching_sha2_password needs the donor's RSA key to send the recovery password.
      'loose-group_replication_recovery_get_public_key=ON',
    ]),
    '',
  ].join('\n');

  const rootPassword = secretEnv('MYSQL_ROOT_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey);
  const online = `${AS_ROOT} mysql -uroot -h127.0.0.1 -N -B -e "${SELF_STATE_SQL}" | grep -q ONLINE`;
  const ping = 'mysqladmin ping -h 127.0.0.1';
  const labelling = roleLabelling(ctx, { reportPeriodSeconds: TICK_SECONDS, staleAfterSeconds: ROLE_STALE_SECONDS });
  const labelBound = TICK_SECONDS + labelling.labelDelaySeconds;
  return {
    mode: ReplicationMode.CONSENSUS,
    quorum: majority,
    // A bootstrap after a full outage waits until every member answers, and a new group forms once all
    // members run: members must not wait for each other to be Ready.
    podManagementPolicy: 'Parallel',
    container: {
      command: ['bash', '-c', entrypointWrapper(domain)],
      // No MYSQL_DATABASE: each member would create it on its own and diverge; the primary creates it once.
      env: [rootPassword],
      startupProbe: shellProbe(ping, { period: 10, timeout: 5, failureThreshold: 90 }),
      // Ready only as an ONLINE member of the group: RECOVERING members must not serve.
      readinessProbe: shellProbe(online, { period: 10, timeout: 5, failureThreshold: 3 }),
      livenessProbe: shellProbe(`${ping} && [ ! -e ${RESTART_FLAG} ]`, { period: 10, timeout: 5, failureThreshold: 6 }),
      // A clean shutdown makes the member leave the group (a view change) instead of being expelled.
      preStop: ['sh', '-c', `${AS_ROOT} mysqladmin -uroot --socket=/var/run/mysqld/mysqld.sock shutdown`],
    },
    extraPorts: [{ name: 'group-repl', port: GR_PORT, role: PortRole.PEER }],
    sidecars: [{
      name: 'group-keeper',
      command: ['sh', '-c', keeperScript(ctx, domain, base.databaseName)],
      env: [rootPassword],
      ports: [],
      volumeMounts: [
        // Shared with the database container: the restart request the liveness probe reads.
        { name: 'tmp', mountPath: '/tmp' },
        ...(tls ? [{ name: 'tls', mountPath: tls, readOnly: true }] : []),
        // The keeper reports this member's role for the role labeller.
        labelling.reporterMount,
      ],
      cpuMillis: 50,
      memoryMebibytes: 64,
    }, labelling.sidecar],
    roleLabel: labelling.roleLabel,
    apiRules: labelling.apiRules,
    extraVolumes: [labelling.volume],
    configFiles: { [base.configFile]: config },
    replacesConfig: true,
    // Against the client Service, which selects the primary: it waits until that member's super_read_only is OFF.
    applicationUserJob: mysqlApplicationUserJob(ctx),
    failoverNotes: `Group Replication elects a new primary by majority (${majority} of ${ctx.replicas}) when the primary fails or leaves; `
      + 'the keeper rejoins restarted and ERROR members. After a whole-group outage the keeper bootstraps the member with the '
      + 'largest transaction set once every member answers (a member that stays away blocks it: see the docs). The client Service '
      + 'follows the member that is ONLINE and PRIMARY with a majority of its view reachable (a role-labelling sidecar), the -ro '
      + `Service the ONLINE secondaries; a member that stops being the primary loses the label within ${labelBound} s `
      + `(a keeper that stops reporting: ${ROLE_STALE_SECONDS + labelling.labelDelaySeconds} s).`,
    rollout: {
      beforeStop: 'The preStop shuts mysqld down cleanly (`mysqladmin shutdown`), so the member leaves the group (a view change) '
        + 'instead of being expelled. There is no planned handover: when the primary\'s turn comes, the group elects another primary '
        + 'as it leaves, the client Service follows the new primary by its role label, and connections open on the old primary fail '
        + 'and must reconnect. On start, the group-keeper sidecar joins the member to the group again.',
      readyWhen: 'the member is ONLINE in the group (`performance_schema.replication_group_members`; RECOVERING is not Ready)',
    },
  };
}

/**
 * The database container's command: the image's own entrypoint, sourced so that its SQL runs with the binary log off.
 *
 * docker-library/mysql 8.4/docker-entrypoint.sh only defines functions when sourced (`_is_sourced`), and on an
 * empty data directory `_main` runs every SQL statement of the initialisation through `docker_process_sql`:
 * `docker_setup_db` pipes `mysql_tzinfo_to_sql /usr/share/zoneinfo` into it WITHOUT `SQL_LOG_BIN=0` (only the
 * root-account block sets it), then the `/docker-entrypoint-initdb.d` files (none here: `initScripts` and dump
 * restores are refused for Group Replication). With gtid_mode=ON those time-zone rows become GTIDs of this
 * member's own server_uuid, which no other member has, so it could never join
 * (ER_GRP_RPL_MEMBER_TRANS_GREATER_THAN_GRP). Every initialisation statement therefore runs after
 * `SET SESSION sql_log_bin=0`: every member loads the same time-zone tables locally, and a new member starts with
 * an empty gtid_executed. (MYSQL_INITDB_SKIP_TZINFO would also avoid the GTIDs, but leave named time zones
 * unusable.) The pod runs as uid 999, so `_main` does not re-execute itself through gosu and lose this.
 */
function entrypointWrapper(domain: string): string {
  const host = `$HOSTNAME.${shellWord(domain)}`;
  return [
    'set -eo pipefail',
    `rm -f ${RESTART_FLAG}`,
    // A volume restored from a snapshot carries the source's server_uuid (auto.cnf), and a group refuses two
    // members with one UUID: a member keeps only a UUID generated under its own name (mysqld writes a new
    // auto.cnf when there is none).
    `if [ -f ${MOUNT}/data/auto.cnf ] && [ "$(cat ${MOUNT}/.member 2>/dev/null)" != "$HOSTNAME" ]; then`,
    `  echo "server_uuid of another member ($(cat ${MOUNT}/.member 2>/dev/null || echo unknown)): this member generates its own"`,
    `  rm -f ${MOUNT}/data/auto.cnf`,
    'fi',
    `printf '%s\\n' "$HOSTNAME" > ${MOUNT}/.member`,
    `source ${ENTRYPOINT}`,
    'eval "image_docker_process_sql() $(declare -f docker_process_sql | tail -n +2)"',
    "docker_process_sql() { { echo 'SET SESSION sql_log_bin=0;'; cat; } | image_docker_process_sql \"$@\"; }",
    // server_id, report_host and the local Group Replication address differ per member.
    `_main mysqld --server-id=$((\${HOSTNAME##*-} + 1)) --report-host=${host} --loose-group-replication-local-address=${host}:${GR_PORT}`,
  ].join('\n');
}

/** The keeper: decides, every few seconds, whether this member joins, bootstraps, recovers or waits. */
function keeperScript(ctx: ReplicationContext, domain: string, databaseName?: string): string {
  // Peers are reached over TLS checked against the CA and their member name when `tls` is on: the root
  // password travels on these connections. Local connections stay on the loopback.
  const peerTls = ctx.tlsPath ? ` --ssl-mode=VERIFY_IDENTITY --ssl-ca=${shellWord(`${ctx.tlsPath}/ca.crt`)}` : '';
  const lines = [
    'set -u',
    'set -f',
    `SELF="$HOSTNAME.${dq(domain)}"`,
    'ORDINAL=${HOSTNAME##*-}',
    `MEMBERS="${dq(ctx.members.join(' '))}"`,
    `COUNT=${ctx.members.length}`,
    'attempts=0',
    // SQL string literal of the root password: backslashes and quotes doubled.
    "PW=$(printf %s \"$MYSQL_ROOT_PASSWORD\" | sed -e 's/\\\\/\\\\\\\\/g' -e \"s/'/''/g\")",
    `local_sql() { ${AS_ROOT} mysql -uroot -h127.0.0.1 -N -B "$@"; }`,
    `peer_sql() { h=$1; shift; ${AS_ROOT} mysql -uroot -h"$h" --connect-timeout=3 -N -B${peerTls} "$@"; }`,
    // A GTID set as servers print it (UUIDs, tags, ranges); anything else is not an answer, and never reaches SQL.
    'valid_set() { case "$1" in *[!0-9A-Za-z_:,-]*) return 1 ;; esac; return 0; }',
    'ordinal_of() { n=${1%%.*}; echo "${n##*-}"; }',
    REPORT_ROLE_FUNCTION,
    // primary or replica only while ONLINE with a majority of this member's view reachable; none otherwise.
    'report() {',
    '  r=none',
    '  if [ "$1" = ONLINE ]; then',
    `    v=$(local_sql -e "${VIEW_SQL}" 2>/dev/null) || v=""`,
    '    set -- "$1" "$2" $v',
    '    case "${3:-}:${4:-}" in',
    '      *[!0-9:]*|:*|*:) ;;',
    '      *) if [ $(($3 * 2)) -gt "$4" ]; then case "$2" in PRIMARY) r=primary ;; SECONDARY) r=replica ;; esac; fi ;;',
    '    esac',
    '  fi',
    '  report_role "$r"',
    '}',
    '',
    // SEEN: a member that sees a running group; DONOR: an ONLINE member, whose transactions are the group's
    // (a RECOVERING one has only part of them); ANSWERED: members that answered (this one included);
    // SETS: "host=set" of each that answered.
    'survey() {',
    '  SEEN=""; DONOR=""; ANSWERED=1; SETS=""',
    '  for m in $MEMBERS; do',
    '    [ "$m" = "$SELF" ] && continue',
    `    out=$(peer_sql "$m" -e "${SURVEY_SQL}" 2>/dev/null) || continue`,
    '    set -- $out',
    '    n=${1:-}; st=${2:-}; s=${3:-}',
    '    case "$n" in ""|*[!0-9]*) continue ;; esac',
    '    valid_set "$s" || continue',
    '    ANSWERED=$((ANSWERED + 1))',
    '    [ "$n" -gt 0 ] && SEEN=$m',
    '    [ "$st" = ONLINE ] && DONOR=$m',
    '    SETS="$SETS $m=$s"',
    '  done',
    '}',
    '',
    // True when this member's set contains every other's and no member with an equal set has a lower ordinal.
    // GTID_SUBSET is computed by the local server (any server computes it the same way).
    'most_advanced() {',
    '  for e in $SETS; do',
    '    h=${e%%=*}; theirs=${e#*=}',
    '    r=$(local_sql -e "SELECT GTID_SUBSET(\'$theirs\', \'$1\'), GTID_SUBSET(\'$1\', \'$theirs\')") || return 1',
    '    set -- "$1" $r',
    '    if [ "$2" != 1 ]; then',
    '      if [ "$3" != 1 ]; then echo "transaction sets diverge: $h has [$theirs], this member [$1]; no member can bootstrap by itself (see the docs)"; fi',
    '      return 1',
    '    fi',
    '    if [ "$3" = 1 ] && [ "$(ordinal_of "$h")" -lt "$ORDINAL" ]; then return 1; fi',
    '  done',
    '  return 0',
    '}',
    '',
    // Recovery credentials on START GROUP_REPLICATION are kept in memory only, not in the replication
    // repositories like CHANGE REPLICATION SOURCE would, and serve automatic rejoins too.
    // https://dev.mysql.com/doc/refman/8.4/en/start-group-replication.html
    // sql_log_bin=0: none of the keeper's statements may create a GTID of this member's own.
    'start_gr() {',
    "  printf \"SET SESSION sql_log_bin=0;\\nSET GLOBAL group_replication_bootstrap_group=%s;\\nSTART GROUP_REPLICATION USER='root', PASSWORD='%s';\\n\" \"$1\" \"$PW\" | local_sql",
    '}',
    '',
    'join() {',
    `  group=$(peer_sql "$DONOR" -e "SELECT ${TRANSACTIONS_SQL}" 2>/dev/null) && valid_set "$group" || { echo "$DONOR did not answer with its transactions: retrying"; return; }`,
    '  extra=$(local_sql -e "SELECT REPLACE(GTID_SUBTRACT(@@GLOBAL.gtid_executed, \'$group\'), CHAR(10), \'\')") || return',
    '  if [ -n "$extra" ]; then',
    '    echo "this member has transactions the group does not have ($extra): it cannot join (ER_GRP_RPL_MEMBER_TRANS_GREATER_THAN_GRP). Restore it from a member of the group, or remove its volume (see the docs)."',
    '    return',
    '  fi',
    '  echo "joining the group running on $DONOR"',
    // Attempts end only when the member is ONLINE: a START that succeeds may still end in ERROR after recovery.
    '  start_gr OFF || { attempts=$((attempts + 1)); echo "START GROUP_REPLICATION refused (attempt $attempts of ' + MAX_ATTEMPTS + ')"; }',
    '}',
    '',
    'bootstrap() {',
    '  echo "no member runs the group, all $COUNT answer and this member holds the largest transaction set [$1]: bootstrapping the group"',
    '  start_gr ON || { attempts=$((attempts + 1)); echo "bootstrap refused (attempt $attempts of ' + MAX_ATTEMPTS + ')"; }',
    // Never left ON, or this member's next START would bootstrap a second group (the manual's warning).
    "  local_sql -e 'SET GLOBAL group_replication_bootstrap_group=OFF'",
    '}',
    '',
    ...(databaseName ? [
      // The named database is created once, on the primary, and replicated (this write is logged on purpose).
      // databaseName is checked against [A-Za-z_][A-Za-z0-9_]{0,62} (validate-props.ts), so safe in SQL; the shell
      // gets it escaped all the same.
      'ensure_database() {',
      `  n=$(local_sql -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='${dq(databaseName)}'") || return`,
      `  [ "$n" = 0 ] && local_sql -e ${shellQuote(`CREATE DATABASE IF NOT EXISTS \`${databaseName}\``)} && echo "created database ${dq(databaseName)}"`,
      '}',
      '',
    ] : []),
    'tick() {',
    `  out=$(local_sql -e "${SELF_STATE_SQL}" 2>/dev/null) || out=DOWN`,
    '  set -- $out',
    '  state=${1:-OFFLINE}; role=${2:-}',
    '  report "$state" "$role"',
    '  case "$state" in',
    // mysqld is down or (re)starting: a restart asked for has happened.
    `    DOWN) attempts=0; rm -f ${RESTART_FLAG}; return ;;`,
    `    ONLINE) attempts=0;${databaseName ? ' [ "$role" = PRIMARY ] && ensure_database;' : ''} return ;;`,
    // Distributed recovery retries donors by itself (group_replication_recovery_retry_count), then goes to ERROR.
    '    RECOVERING) return ;;',
    '    ERROR)',
    '      attempts=$((attempts + 1))',
    '      echo "member in ERROR: leaving the group to join it again (attempt $attempts of ' + MAX_ATTEMPTS + ')"',
    "      local_sql -e 'SET SESSION sql_log_bin=0; STOP GROUP_REPLICATION' || true",
    '      return ;;',
    '  esac',
    `  [ -e ${RESTART_FLAG} ] && return`,
    '  survey',
    '  if [ -n "$DONOR" ]; then join; return; fi',
    '  if [ -n "$SEEN" ]; then echo "$SEEN sees a running group but no ONLINE member answers: waiting"; return; fi',
    '  if [ "$ANSWERED" -lt "$COUNT" ]; then',
    '    echo "no member runs the group and $ANSWERED of $COUNT members answer: the group is bootstrapped only once every member\'s transactions are known"',
    '    return',
    '  fi',
    `  mine=$(local_sql -e "SELECT ${TRANSACTIONS_SQL}") && valid_set "$mine" || return`,
    '  most_advanced "$mine" || { echo "waiting for the member with the largest transaction set to bootstrap the group"; return; }',
    // Asked again just before: a member may have bootstrapped meanwhile.
    '  survey',
    '  if [ -z "$SEEN" ] && [ "$ANSWERED" -eq "$COUNT" ]; then bootstrap "$mine"; fi',
    '}',
    '',
    'while true; do',
    '  tick',
    `  if [ "$attempts" -ge ${MAX_ATTEMPTS} ] && [ ! -e ${RESTART_FLAG} ]; then`,
    `    echo "Group Replication did not recover after ${MAX_ATTEMPTS} attempts: asking for a restart of mysqld (liveness probe)"`,
    `    touch ${RESTART_FLAG}`,
    '  fi',
    `  sleep ${TICK_SECONDS}`,
    'done',
  ];
  return lines.join('\n');
}
