import { createHash } from 'crypto';
import { ReplicationContext, ReplicationPlan } from './engine-definition';
import { PortRole, ReplicationMode } from './engine-port';
import { secretEnv, shellProbe } from './probes';

const GR_PORT = 33061;
const AS_ROOT = 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD"';

/** A stable group UUID from the database name: every member must agree on it. */
function groupName(name: string): string {
  const h = createHash('sha256').update(`cdk8s-databases/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * MySQL Group Replication in single-primary mode, without an operator: the group elects a new
 * primary by majority when the primary fails. A keeper sidecar bootstraps the group once (member 0,
 * first start only, remembered on its volume) and starts Group Replication on every member that is
 * OFFLINE while the group is up elsewhere. A whole-group outage is NOT recovered automatically.
 * @see https://dev.mysql.com/doc/refman/8.4/en/group-replication-configuring-instances.html
 */
export function groupReplicationPlan(ctx: ReplicationContext, base: { configFile: string; config: string; databaseName?: string }): ReplicationPlan {
  const majority = Math.floor(ctx.replicas / 2) + 1;
  const domain = ctx.members[0].slice(ctx.members[0].indexOf('.') + 1);
  const seeds = ctx.members.map((m) => `${m}:${GR_PORT}`).join(',');
  const config = base.config + [
    'gtid_mode=ON',
    'enforce_gtid_consistency=ON',
    'plugin_load_add=group_replication.so',
    `loose-group_replication_group_name=${groupName(ctx.name)}`,
    'loose-group_replication_single_primary_mode=ON',
    `loose-group_replication_group_seeds=${seeds}`,
    // The keeper starts Group Replication, so that a member never joins before recovery credentials exist.
    'loose-group_replication_start_on_boot=OFF',
    'loose-group_replication_recovery_get_public_key=ON',
    'loose-group_replication_autorejoin_tries=3',
    '',
  ].join('\n');
  const sql = (host: string, statement: string) => `${AS_ROOT} mysql -uroot -h${host} -N -e "${statement}"`;
  const keeper = [
    'set -u',
    `SELF="$HOSTNAME.${domain}"`,
    'ORDINAL=${HOSTNAME##*-}',
    "PW=$(printf %s \"$MYSQL_ROOT_PASSWORD\" | sed \"s/'/''/g\")",
    'while true; do',
    `  STATE=$(${sql('127.0.0.1', 'SELECT MEMBER_STATE FROM performance_schema.replication_group_members WHERE MEMBER_ID=@@server_uuid')} 2>/dev/null || echo DOWN)`,
    '  if [ "$STATE" = "OFFLINE" ] || [ -z "$STATE" ]; then',
    '    ONLINE=""',
    `    for m in ${ctx.members.join(' ')}; do`,
    '      [ "$m" = "$SELF" ] && continue',
    `      n=$(${sql('$m', "SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_STATE='ONLINE'")} 2>/dev/null || echo 0)`,
    '      if [ "${n:-0}" -gt 0 ]; then ONLINE=$m; break; fi',
    '    done',
    `    ${sql('127.0.0.1', "CHANGE REPLICATION SOURCE TO SOURCE_USER='root', SOURCE_PASSWORD='$PW' FOR CHANNEL 'group_replication_recovery'")}`,
    '    if [ -n "$ONLINE" ]; then',
    `      echo "joining the group through $ONLINE"; ${sql('127.0.0.1', 'START GROUP_REPLICATION')}`,
    `    elif [ "$ORDINAL" = 0 ] && [ ! -f ${'/var/lib/mysql'}/.group-bootstrapped ]; then`,
    '      echo "bootstrapping the group"',
    `      ${sql('127.0.0.1', 'SET GLOBAL group_replication_bootstrap_group=ON; START GROUP_REPLICATION; SET GLOBAL group_replication_bootstrap_group=OFF')} \\`,
    `        && touch /var/lib/mysql/.group-bootstrapped${base.databaseName ? ` && ${sql('127.0.0.1', `CREATE DATABASE IF NOT EXISTS \\\`${base.databaseName}\\\``)}` : ''}`,
    '    else',
    '      echo "no ONLINE member to join: after a whole-group outage, reboot the group by hand (see the docs)"',
    '    fi',
    '  fi',
    '  sleep 10',
    'done',
  ].join('\n');
  const rootPassword = secretEnv('MYSQL_ROOT_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey);
  const online = `${sql('127.0.0.1', 'SELECT MEMBER_STATE FROM performance_schema.replication_group_members WHERE MEMBER_ID=@@server_uuid')} | grep -q ONLINE`;
  return {
    mode: ReplicationMode.CONSENSUS,
    quorum: majority,
    container: {
      // server_id, report_host and the local GR address differ per member: derived from the pod's
      // ordinal and stable DNS name, then handed to the image's own entrypoint.
      command: ['sh', '-c', `exec docker-entrypoint.sh mysqld --server-id=$((\${HOSTNAME##*-} + 1)) --report-host=$HOSTNAME.${domain} --loose-group-replication-local-address=$HOSTNAME.${domain}:${GR_PORT}`],
      // No MYSQL_DATABASE: each member would create it on its own and diverge; the bootstrap creates it once.
      env: [rootPassword],
      startupProbe: shellProbe('mysqladmin ping -h 127.0.0.1', { period: 10, timeout: 5, failureThreshold: 90 }),
      // Ready only as an ONLINE member of the group: RECOVERING members must not serve.
      readinessProbe: shellProbe(online, { period: 10, timeout: 5, failureThreshold: 3 }),
      livenessProbe: shellProbe('mysqladmin ping -h 127.0.0.1', { period: 10, timeout: 5, failureThreshold: 6 }),
      preStop: ['sh', '-c', `${AS_ROOT} mysqladmin -uroot --socket=/var/run/mysqld/mysqld.sock shutdown`],
    },
    extraPorts: [{ name: 'group-repl', port: GR_PORT, role: PortRole.PEER }],
    sidecars: [{
      name: 'group-keeper',
      command: ['sh', '-c', keeper],
      env: [rootPassword],
      ports: [],
      volumeMounts: [{ name: 'data', mountPath: '/var/lib/mysql' }, { name: 'tmp', mountPath: '/tmp' }],
      cpuMillis: 50,
      memoryMebibytes: 64,
    }],
    configFiles: { [base.configFile]: config },
    replacesConfig: true,
    failoverNotes: `Group Replication elects a new primary by majority (${majority} of ${ctx.replicas}) when the primary fails or leaves; `
      + 'the old primary rejoins as a secondary through the keeper. NOT automatic: recovery from a whole-group outage '
      + '(SET GLOBAL group_replication_bootstrap_group=ON on the member with the most transactions) and client routing: '
      + 'the client Service balances over every ONLINE member (secondaries are super_read_only), so write through MySQL Router '
      + 'or a driver that finds the primary in performance_schema.replication_group_members.',
  };
}
