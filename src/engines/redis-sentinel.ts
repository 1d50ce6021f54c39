import { ReplicationContext, ReplicationPlan } from './engine-definition';
import { PortRole, ReplicationMode } from './engine-port';
import { secretEnv, shellProbe } from './probes';

const PORT = 6379;
const SENTINEL_PORT = 26379;
const MASTER_SET = 'primary';

export interface SentinelFlavour {
  readonly cli: string;
  readonly server: string;
  readonly configFile: string;
  readonly configPath: string;
}

/**
 * Primary + replicas with Redis Sentinel: every pod runs the data server and a Sentinel. On start a
 * member asks the Sentinels who the primary is and replicates from it; only when no Sentinel knows
 * (the first start of the set) does member 0 start as primary. Members announce their stable DNS names.
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/
 */
export function sentinelPlan(ctx: ReplicationContext, flavour: SentinelFlavour, tls: boolean): ReplicationPlan {
  const quorum = Math.floor(ctx.replicas / 2) + 1;
  const domain = ctx.members[0].slice(ctx.members[0].indexOf('.') + 1);
  const self = `"$HOSTNAME.${domain}"`;
  const sentinels = ctx.members.join(' ');
  const cliTls = tls ? ` --tls --cacert ${ctx.tlsPath}/ca.crt --insecure` : '';
  // Ask each Sentinel in turn; print "host" of the primary, or nothing when no Sentinel answers.
  const discover = [
    'primary=""',
    `for s in ${sentinels}; do`,
    `  answer=$(${flavour.cli} -h "$s" -p ${SENTINEL_PORT}${cliTls} --raw sentinel get-master-addr-by-name ${MASTER_SET} 2>/dev/null | head -n 1)`,
    '  if [ -n "$answer" ]; then primary="$answer"; break; fi',
    'done',
    `if [ -z "$primary" ]; then primary="${ctx.members[0]}"; fi`,
  ];
  const serverScript = [
    'set -eu',
    ...discover,
    `set -- ${ctx.configPath}/${flavour.configFile} --requirepass "$DB_PASSWORD" --masterauth "$DB_PASSWORD" --replica-announce-ip ${self}`,
    `if [ "$primary" != ${self} ]; then set -- "$@" --replicaof "$primary" ${PORT}; fi`,
    `exec ${flavour.server} "$@"`,
  ].join('\n');
  const sentinelScript = [
    'set -eu',
    ...discover,
    // Sentinel rewrites its own configuration: it lives in a writable emptyDir, rebuilt at each start.
    'cat > /sentinel/sentinel.conf <<EOF',
    `port ${SENTINEL_PORT}`,
    'sentinel resolve-hostnames yes',
    'sentinel announce-hostnames yes',
    `sentinel announce-ip ${self.replace(/"/g, '')}`,
    `sentinel monitor ${MASTER_SET} $primary ${PORT} ${quorum}`,
    `sentinel down-after-milliseconds ${MASTER_SET} 5000`,
    `sentinel failover-timeout ${MASTER_SET} 60000`,
    `sentinel parallel-syncs ${MASTER_SET} 1`,
    `sentinel auth-pass ${MASTER_SET} $DB_PASSWORD`,
    // Sentinels take the same password as the data servers, and use it with each other.
    // https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#configuring-sentinel-instances-with-authentication
    'requirepass $DB_PASSWORD',
    'sentinel sentinel-pass $DB_PASSWORD',
    'EOF',
    `exec ${flavour.server} /sentinel/sentinel.conf --sentinel`,
  ].join('\n');
  const password = secretEnv('DB_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey);
  const auth = secretEnv('REDISCLI_AUTH', ctx.credentials.secretName, ctx.credentials.passwordKey);
  const cli = `${flavour.cli} -h 127.0.0.1 -p ${PORT}${cliTls}`;
  return {
    mode: ReplicationMode.PRIMARY_REPLICA,
    // Sentinels agree on a failover by majority; writes need the primary that majority agrees on.
    quorum,
    container: {
      command: ['sh', '-c', serverScript],
      env: [password, auth],
      startupProbe: shellProbe(`${cli} ping | grep -Eq 'PONG|LOADING'`, { period: 5, timeout: 5, failureThreshold: 120 }),
      readinessProbe: shellProbe(`test "$(${cli} ping)" = PONG`, { period: 10, timeout: 5, failureThreshold: 3 }),
      livenessProbe: shellProbe(`${cli} ping | grep -Eq 'PONG|LOADING'`, { period: 10, timeout: 5, failureThreshold: 6 }),
      preStop: ['sh', '-c', `${cli} shutdown || true`],
    },
    // Sentinel-aware clients ask the Sentinels for the primary, then connect to it: both ports are client ports.
    extraPorts: [{ name: 'sentinel', port: SENTINEL_PORT, role: PortRole.CLIENT }],
    sidecars: [{
      name: 'sentinel',
      command: ['sh', '-c', sentinelScript],
      env: [password, auth],
      ports: [{ name: 'sentinel', containerPort: SENTINEL_PORT, protocol: 'TCP' }],
      readinessProbe: shellProbe(`${flavour.cli} -h 127.0.0.1 -p ${SENTINEL_PORT}${cliTls} ping | grep -q PONG`, { period: 10, timeout: 5, failureThreshold: 3 }),
      livenessProbe: shellProbe(`${flavour.cli} -h 127.0.0.1 -p ${SENTINEL_PORT}${cliTls} ping | grep -q PONG`, { period: 20, timeout: 5, failureThreshold: 6 }),
      volumeMounts: [{ name: 'sentinel', mountPath: '/sentinel' }],
      cpuMillis: 100,
      memoryMebibytes: 64,
    }],
    extraVolumes: [{ name: 'sentinel', emptyDir: {} }],
    configFiles: {},
    failoverNotes: `Sentinels promote a replica when a majority (${quorum} of ${ctx.replicas}) agree the primary is down `
      + '(down-after-milliseconds 5 s). Clients must be Sentinel-aware: ask any Sentinel on port '
      + `${SENTINEL_PORT} for the primary of "${MASTER_SET}". A restarted member asks the Sentinels and rejoins as a replica.`,
  };
}
