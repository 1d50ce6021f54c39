import { ReplicationContext, ReplicationPlan } from './engine-definition';
import { PortRole, ReplicationMode } from './engine-port';
import { secretEnv, shellProbe } from './probes';
import { redisApplicationUser } from './redis-application-user';
import { REPORT_ROLE_FUNCTION, roleLabelling } from './role-labeller';
import { heredocText, inDoubleQuotes as dq, shellWord, shellWords } from '../private/shell';

const PORT = 6379;
const SENTINEL_PORT = 26379;
const MASTER_SET = 'primary';
/** Where each member's Sentinel keeps the state it rewrites (primary, epochs, peers): on the member's own volume. */
const SENTINEL_DIR = '/data/sentinel';
/** The role reporter's cycle: ROLE on the local server, then every Sentinel, each bounded by this timeout. */
const REPORT_PERIOD_SECONDS = 1;
const QUERY_TIMEOUT_SECONDS = 1;

export interface SentinelFlavour {
  readonly cli: string;
  readonly server: string;
  readonly configFile: string;
  readonly configPath: string;
}

/**
 * Primary + replicas with Redis Sentinel: every pod runs the data server and a Sentinel.
 *
 * Who is primary is the Sentinels' decision, and each Sentinel's view carries the epoch of the failover
 * that produced it: the view with the greatest config-epoch is the current one (Sentinel's own rule, see
 * "Configuration propagation"). So a starting member asks every Sentinel and follows the newest view once a
 * majority has answered, and each Sentinel keeps its rewritten configuration on the member's volume, so a
 * full restart resumes from the last failover instead of electing whichever member happens to start first.
 * Only a set that never ran (no Sentinel answers, no saved state) starts with member 0 as primary.
 * Pods start in parallel: after a full restart the Sentinels must meet to agree on the newest view.
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/
 */
export function sentinelPlan(ctx: ReplicationContext, flavour: SentinelFlavour, tls: boolean): ReplicationPlan {
  const quorum = Math.floor(ctx.replicas / 2) + 1;
  const domain = ctx.members[0].slice(ctx.members[0].indexOf('.') + 1);
  // Names reach the scripts as quoted literals, never as code.
  const self = `"$HOSTNAME.${dq(domain)}"`;
  const members = shellWords(ctx.members);
  const cliTls = tls ? ` --tls --cacert ${shellWord(`${ctx.tlsPath}/ca.crt`)} --insecure` : '';
  const conf = `${SENTINEL_DIR}/sentinel.conf`;
  const field = (name: string) => `awk 'prev=="${name}"{print; exit} {prev=$0}'`;
  // Prints the primary of the newest view ("" when none): waits up to $1 seconds for a majority of
  // Sentinels. An error reply (NOAUTH, IDONTKNOW...) or a host that is not a member is not an answer.
  const discover = [
    'discover() {',
    '  deadline=$(( $(date +%s) + $1 ))',
    '  while :; do',
    '    best=""; best_epoch=-1; answers=0',
    `    for s in ${members}; do`,
    `      out=$(${flavour.cli} -h "$s" -p ${SENTINEL_PORT}${cliTls} --raw sentinel master ${MASTER_SET} 2>/dev/null) || continue`,
    `      host=$(printf '%s\\n' "$out" | ${field('ip')})`,
    `      epoch=$(printf '%s\\n' "$out" | ${field('config-epoch')})`,
    `      case " ${dq(ctx.members.join(' '))} " in *" $host "*) ;; *) continue ;; esac`,
    '      case "$epoch" in ""|*[!0-9]*) continue ;; esac',
    '      answers=$((answers + 1))',
    '      if [ "$epoch" -gt "$best_epoch" ]; then best="$host"; best_epoch="$epoch"; fi',
    '    done',
    `    if [ "$answers" -ge ${quorum} ] || [ "$(date +%s)" -ge "$deadline" ]; then break; fi`,
    '    sleep 1',
    '  done',
    '  echo "$best"',
    '}',
    // The primary this member's Sentinel last recorded, when no Sentinel answers.
    `saved() { [ -s ${conf} ] && awk '$1=="sentinel" && $2=="monitor" && $3=="${MASTER_SET}" {print $4; exit}' ${conf}; }`,
  ];
  // Every member defines the application user itself at start: ACL users are not replicated, and a promoted
  // replica must already hold it (redis-application-user.ts).
  const app = redisApplicationUser(ctx.application);
  const serverScript = [
    'set -eu',
    ...(app?.check ?? []),
    ...discover,
    'primary=$(discover 30)',
    '[ -n "$primary" ] || primary=$(saved || true)',
    `[ -n "$primary" ] || primary="${dq(ctx.members[0])}"`,
    'echo "primary: $primary"',
    `set -- ${shellWord(`${ctx.configPath}/${flavour.configFile}`)} --requirepass "$DB_PASSWORD" --masterauth "$DB_PASSWORD" --replica-announce-ip ${self}`,
    `if [ "$primary" != ${self} ]; then set -- "$@" --replicaof "$primary" ${PORT}; fi`,
    `exec ${flavour.server} "$@"${app?.stdinSuffix ?? ''}`,
  ].join('\n');
  const sentinelScript = [
    'set -eu',
    ...discover,
    `mkdir -p ${SENTINEL_DIR}`,
    'if [ -n "$(saved || true)" ]; then',
    // Keep what this Sentinel learnt (primary, epochs, known peers); the passwords come from the Secret.
    `  sed -i -e '/^requirepass /d' -e '/^user /d' -e '/^sentinel auth-pass /d' -e '/^sentinel sentinel-pass /d' ${conf}`,
    '  echo "resuming from the saved view: $(saved)"',
    'else',
    '  primary=$(discover 15)',
    `  [ -n "$primary" ] || primary="${dq(ctx.members[0])}"`,
    `  cat > ${conf} <<EOF`,
    `port ${SENTINEL_PORT}`,
    'sentinel resolve-hostnames yes',
    'sentinel announce-hostnames yes',
    `sentinel announce-ip $HOSTNAME.${heredocText(domain)}`,
    `sentinel monitor ${MASTER_SET} $primary ${PORT} ${quorum}`,
    `sentinel down-after-milliseconds ${MASTER_SET} 5000`,
    `sentinel failover-timeout ${MASTER_SET} 60000`,
    `sentinel parallel-syncs ${MASTER_SET} 1`,
    'EOF',
    'fi',
    // Sentinels take the same password as the data servers, and use it with each other.
    // https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#configuring-sentinel-instances-with-authentication
    `printf 'sentinel auth-pass ${MASTER_SET} %s\\nrequirepass %s\\nsentinel sentinel-pass %s\\n' "$DB_PASSWORD" "$DB_PASSWORD" "$DB_PASSWORD" >> ${conf}`,
    `chmod 600 ${conf}`,
    `exec ${flavour.server} ${conf} --sentinel`,
  ].join('\n');
  const password = secretEnv('DB_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey);
  const auth = secretEnv('REDISCLI_AUTH', ctx.credentials.secretName, ctx.credentials.passwordKey);
  const cli = `${flavour.cli} -h 127.0.0.1 -p ${PORT}${cliTls}`;
  // A primary asked to stop hands over first: it pauses writes, waits until a replica has every write,
  // asks its Sentinel to fail over (SENTINEL FAILOVER needs no agreement) and stops once the Sentinels
  // name another primary. So a rolling update or a drain never loses an acknowledged write and never
  // leaves the set without a writer for down-after-milliseconds.
  // https://redis.io/docs/latest/commands/client-pause/ , https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands
  const sentinelCli = `${flavour.cli} -h 127.0.0.1 -p ${SENTINEL_PORT}${cliTls}`;
  const preStop = [
    `info=$(${cli} info replication | tr -d '\\r')`,
    'if printf \'%s\\n\' "$info" | grep -q \'^role:master\' && printf \'%s\\n\' "$info" | grep -Eq \'^connected_slaves:[1-9]\'; then',
    `  ${cli} client pause 30000 write >/dev/null`,
    '  n=0; while [ $n -lt 20 ]; do',
    `    info=$(${cli} info replication | tr -d '\\r')`,
    "    want=$(printf '%s\\n' \"$info\" | sed -n 's/^master_repl_offset://p')",
    "    printf '%s\\n' \"$info\" | grep -q \"^slave[0-9]*:.*offset=$want,\" && break",
    '    n=$((n + 1)); sleep 0.5',
    '  done',
    // NOGOODSLAVE until the Sentinel has fresh INFO from a replica (every 10 s): ask again for a while.
    '  n=0; while [ $n -lt 20 ]; do',
    `    [ "$(${sentinelCli} sentinel failover ${MASTER_SET} 2>/dev/null)" = OK ] && break`,
    '    n=$((n + 1)); sleep 1',
    '  done',
    '  n=0; while [ $n -lt 30 ]; do',
    `    [ "$(${sentinelCli} --raw sentinel get-master-addr-by-name ${MASTER_SET} | head -n 1)" != ${self} ] && break`,
    '    n=$((n + 1)); sleep 1',
    '  done',
    'fi',
    `${cli} shutdown || true`,
  ].join('\n');
  // The role the primary Service and the -ro Service follow. A member is `primary` when its server says ROLE master
  // AND a majority of the Sentinels name it: a primary cut off from that majority (which may have promoted another)
  // stops being labelled at its next report, though it still believes it is the master. A member is `replica`
  // when ROLE says slave with its link up (`connected`). Anything else (server down, no majority) is `none`.
  // https://valkey.io/commands/role/ , https://redis.io/docs/latest/commands/role/
  const staleAfter = 10;
  const labelling = roleLabelling(ctx, { reportPeriodSeconds: REPORT_PERIOD_SECONDS, staleAfterSeconds: staleAfter });
  const ask = (cmd: string) => `timeout ${QUERY_TIMEOUT_SECONDS} ${cmd} 2>/dev/null | tr -d '\\r'`;
  const reporterScript = [
    'set -u',
    "trap 'exit 0' TERM",
    REPORT_ROLE_FUNCTION,
    'while :; do',
    '  role=none',
    `  out=$(${ask(`${cli} --raw role`)}) || out=""`,
    '  case "$(printf \'%s\\n\' "$out" | head -n 1)" in',
    '    master)',
    '      n=0',
    `      for s in ${members}; do`,
    `        [ "$(${ask(`${flavour.cli} -h "$s" -p ${SENTINEL_PORT}${cliTls} --raw sentinel get-master-addr-by-name ${MASTER_SET}`)} | head -n 1)" = ${self} ] && n=$((n + 1))`,
    '      done',
    `      [ "$n" -ge ${quorum} ] && role=primary ;;`,
    '    slave)',
    '      [ "$(printf \'%s\\n\' "$out" | sed -n 4p)" = connected ] && role=replica ;;',
    '  esac',
    '  report_role "$role"',
    `  sleep ${REPORT_PERIOD_SECONDS} & wait $!`,
    'done',
  ].join('\n');
  // Worst case from a role change to the label: a whole report cycle (sleep, ROLE, every Sentinel), then the labeller.
  const labelBound = REPORT_PERIOD_SECONDS + QUERY_TIMEOUT_SECONDS * (1 + ctx.replicas) + labelling.labelDelaySeconds;
  return {
    mode: ReplicationMode.PRIMARY_REPLICA,
    // Sentinels agree on a failover by majority; writes need the primary that majority agrees on.
    quorum,
    podManagementPolicy: 'Parallel',
    container: {
      command: ['sh', '-c', serverScript],
      env: [password, auth, ...(app?.env ?? [])],
      startupProbe: shellProbe(`${cli} ping | grep -Eq 'PONG|LOADING'`, { period: 5, timeout: 5, failureThreshold: 120 }),
      readinessProbe: shellProbe(`test "$(${cli} ping)" = PONG`, { period: 10, timeout: 5, failureThreshold: 3 }),
      livenessProbe: shellProbe(`${cli} ping | grep -Eq 'PONG|LOADING'`, { period: 10, timeout: 5, failureThreshold: 6 }),
      preStop: ['sh', '-c', preStop],
    },
    // Sentinel-aware clients ask the Sentinels for the primary, then connect to it: both ports are client
    // ports. The sentinel port is declared by the Sentinel container only.
    extraPorts: [{ name: 'sentinel', port: SENTINEL_PORT, role: PortRole.CLIENT }],
    sidecars: [{
      name: 'sentinel',
      command: ['sh', '-c', sentinelScript],
      env: [password, auth],
      ports: [{ name: 'sentinel', containerPort: SENTINEL_PORT, protocol: 'TCP' }],
      // Ready once this Sentinel has met enough others to make up a quorum with them: a rolling update
      // then never moves on while the restarted Sentinel could not yet vote in a failover.
      readinessProbe: shellProbe(`test "$(${sentinelCli} --raw sentinel master ${MASTER_SET} | ${field('num-other-sentinels')})" -ge ${quorum - 1}`,
        { period: 10, timeout: 5, failureThreshold: 3 }),
      livenessProbe: shellProbe(`${flavour.cli} -h 127.0.0.1 -p ${SENTINEL_PORT}${cliTls} ping | grep -q PONG`, { period: 20, timeout: 5, failureThreshold: 6 }),
      // Every container of a stopping pod gets SIGTERM at once unless it has a preStop hook: the Sentinel
      // stays while its data server hands over through it (bounded by the grace period).
      preStop: ['sh', '-c', `n=0; while [ $n -lt 50 ] && ${cli} ping >/dev/null 2>&1; do n=$((n + 1)); sleep 1; done`],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      cpuMillis: 100,
      memoryMebibytes: 64,
    }, {
      // Holds the password, no API token: it only writes the role into the shared file.
      name: 'role-reporter',
      command: ['sh', '-c', reporterScript],
      env: [auth],
      ports: [],
      volumeMounts: [labelling.reporterMount],
      cpuMillis: 50,
      memoryMebibytes: 32,
    }, labelling.sidecar],
    roleLabel: labelling.roleLabel,
    apiRules: labelling.apiRules,
    extraVolumes: [labelling.volume],
    configFiles: {},
    failoverNotes: `Sentinels promote a replica when a majority (${quorum} of ${ctx.replicas}) agree the primary is down `
      + '(down-after-milliseconds 5 s); a primary asked to stop hands over first. The client Service follows the member '
      + 'whose server is master and whom a majority of Sentinels name (a role-labelling sidecar), the -ro Service the '
      + `linked replicas; a member that stops being the writer loses the label within ${labelBound} s (a stale report: `
      + `${staleAfter + labelling.labelDelaySeconds} s). Sentinel-aware clients may also ask any Sentinel on port ${SENTINEL_PORT} `
      + `for the primary of "${MASTER_SET}". A restarted member follows the newest view of `
      + 'a majority of Sentinels, and each Sentinel keeps its view on its member\'s volume across restarts.',
    rollout: {
      // `preStop` above, and the Sentinel container's own preStop.
      beforeStop: 'The preStop acts on the primary only, when a replica is connected: it pauses writes (`CLIENT PAUSE 30000 WRITE`), '
        + 'waits up to 10 s until a replica has the primary\'s replication offset, asks its own Sentinel for `SENTINEL FAILOVER` '
        + '(every second for up to 20 s while it answers NOGOODSLAVE) and waits up to 30 s until the Sentinels name another primary; '
        + 'then `SHUTDOWN`. The Sentinel container stays up (at most 50 s) while its server still answers, so that the failover can '
        + 'be asked. Replicas shut down without a handover.',
      readyWhen: `the server answers PING with PONG and its Sentinel has met at least ${quorum - 1} other Sentinel(s), enough for a `
        + `quorum of ${quorum}`,
    },
  };
}
