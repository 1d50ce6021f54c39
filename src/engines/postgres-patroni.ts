import { k8s } from 'cdk8s-plus-28';
import { EngineSidecar, ReplicationContext, ReplicationPlan } from './engine-definition';
import { PortRole, ReplicationMode } from './engine-port';
import { postgresApplicationUserJob } from './postgres-application-user';
import { patroniInitJob } from './postgres-patroni-init';
import { MIB, execProbe, plainEnv, secretEnv } from './probes';
import { toYaml } from '../private/config-format';
import { withoutLabel } from '../private/labels';

/**
 * Spilo: PostgreSQL with Patroni, the image Zalando's operator runs. One spilo-16 image carries
 * PostgreSQL 12 to 16 and runs the major given in PGVERSION. Spilo 3.3-p3 pins Patroni 3.3.3
 * (postgres-appliance/Dockerfile: `ENV PATRONIVERSION=3.3.3`).
 * @see https://github.com/zalando/spilo/blob/master/ENVIRONMENT.rst
 */
export const SPILO_IMAGE = { registry: 'ghcr.io', repository: 'zalando/spilo-16', tag: '3.3-p3' };
export const SPILO_MAJORS = ['13', '14', '15', '16'];
/** Patroni's role label as Spilo configures it (KUBERNETES_ROLE_LABEL, leader value `master` on Patroni 3). */
export const PATRONI_ROLE = { key: 'spilo-role', primaryValue: 'master', replicaValue: 'replica' };
export const REPLICATION_PASSWORD_KEY = 'replication-password';
/** Key of the ConfigMap that holds the dynamic configuration the members apply with `PATCH /config`. */
export const PATRONI_DYNAMIC_KEY = 'patroni-dynamic.json';

export const PATRONI_PORT = 8008;
const API = `http://localhost:${PATRONI_PORT}`;
/** Patroni's HA cycle: a `PATCH /config` takes effect on the next one. */
export const LOOP_WAIT = 10;
const TTL = 30;
const RETRY_TIMEOUT = 10;
/** Where the config sidecar mounts the ConfigMap, and the file it leaves once the configuration is applied. */
const CONFIG_MOUNT = '/etc/patroni-config';
const APPLIED_MARK = '/tmp/patroni-config.applied';
const SCOPE_LABEL = 'app.kubernetes.io/instance';
/** The local parameters block of SPILO_CONFIGURATION; always the last thing in it. */
const LOCAL_BLOCK = 'postgresql:\n  parameters:\n';

/**
 * Parameters Spilo writes into Patroni's LOCAL configuration (configure_spilo.py, TEMPLATE `postgresql.parameters`).
 * Patroni lets local parameters win over dynamic ones (patroni/config.py `_build_effective_configuration`: "local
 * configuration takes precedence"), so a value for these in the dynamic configuration would never apply: a user
 * setting for them goes into the local block of SPILO_CONFIGURATION instead, which Spilo merges over its own
 * (`deep_update(user_config, config)`: the user's value wins) and which a pod restart applies.
 */
export const SPILO_LOCAL_PARAMETERS = [
  'archive_command', 'shared_buffers', 'logging_collector', 'log_destination', 'log_directory', 'log_filename',
  'log_file_mode', 'log_rotation_age', 'log_truncate_on_rotation', 'ssl', 'ssl_ca_file', 'ssl_crl_file',
  'ssl_cert_file', 'ssl_key_file', 'shared_preload_libraries', 'bg_mon.listen_address', 'bg_mon.history_buckets',
  'pg_stat_statements.track_utility', 'extwlist.extensions', 'extwlist.custom_path',
];

/**
 * Patroni's own objects for a scope with the Kubernetes DCS in ConfigMap mode: `client_path(key)` is
 * `<scope>-<key>` (patroni/dcs/kubernetes.py `client_path`, `leader_path`; patroni/dcs/__init__.py `_CONFIG`,
 * `_LEADER`, `_FAILOVER`, `_SYNC`). History, status and failsafe are annotations on these, not objects.
 * Patroni creates them with its labels and only sees objects that carry them (`_label_selector`): an object of
 * another owner under one of these names makes its create fail with 409 Conflict, and `initialize()` never succeeds.
 *
 * Invariant: no ConfigMap this library emits has one of these names (test/postgres-patroni.test.ts).
 */
export function patroniObjectNames(scope: string): string[] {
  return ['config', 'leader', 'failover', 'sync'].map((key) => `${scope}-${key}`);
}

/** How PostgreSQL clients must connect to Spilo: libpq's sslmode. */
export function patroniClientSslMode(tls: boolean): 'require' | 'verify-full' {
  // Without `tls` Spilo still serves TLS, with a self-signed certificate it generates (configure_spilo.py
  // write_certificates), and its pg_hba rejects non-TLS clients from other hosts unless ALLOW_NOSSL is set
  // (`hostnossl all all all reject`): clients must encrypt, and cannot verify. With `tls` the certificate is
  // cert-manager's, naming the Services: clients verify the CA and the host name.
  return tls ? 'verify-full' : 'require';
}

/**
 * Primary + streaming replicas with automatic failover by Patroni, using Kubernetes itself as its
 * store (ConfigMaps for the leader lock, pod labels for roles). Patroni labels each pod with its role,
 * so Services select the primary and the replicas by label.
 *
 * Settings reach the running cluster: the dynamic part (everything but what Spilo sets locally) is written both
 * to `bootstrap.dcs` (used once, by the member that initialises the cluster) and to a file each member's
 * `patroni-config` sidecar sends to its own Patroni with `PATCH /config` when the pod starts (Patroni merges it
 * and writes the DCS only on a change: patroni/api.py `do_PATCH_config`, patroni/utils.py `patch_config`).
 * Before a leader's pod stops (rolling update, drain, delete), its preStop hands over with `POST /switchover`,
 * preferably to a member the rollout already updated.
 * @see https://patroni.readthedocs.io/en/latest/kubernetes.html
 * @see https://patroni.readthedocs.io/en/latest/dynamic_configuration.html
 */
export function patroniPlan(ctx: ReplicationContext, major: string): ReplicationPlan {
  const mib = Math.floor(ctx.memoryBytes / MIB);
  const sync = ctx.synchronousStandbys ?? 0;
  // shared_buffers is Spilo's: 1/5 of the container's memory limit on Kubernetes (configure_spilo.py `sb_ratio`),
  // written locally; a value here would be ignored. effective_cache_size is not Spilo's: ~75 % of memory.
  const dynamicParameters: Record<string, string> = {
    effective_cache_size: `${Math.max(64, Math.floor((mib * 3) / 4))}MB`,
    password_encryption: 'scram-sha-256',
  };
  const localParameters: Record<string, string> = {};
  const cross = ctx.crossSite;
  // A DRPair site keeps a permanent slot for the peer site, on whichever site leads, bounded so that a peer gone for
  // long cannot fill the volume (PostgreSQL 13+ invalidates a slot past max_slot_wal_keep_size).
  if (cross?.maxSlotWalKeepSize) dynamicParameters.max_slot_wal_keep_size = cross.maxSlotWalKeepSize;
  for (const [key, value] of Object.entries(ctx.settings)) {
    if (SPILO_LOCAL_PARAMETERS.includes(key)) localParameters[key] = value;
    else dynamicParameters[key] = value;
  }
  const dcs = {
    ttl: TTL,
    loop_wait: LOOP_WAIT,
    retry_timeout: RETRY_TIMEOUT,
    maximum_lag_on_failover: 33554432,
    synchronous_mode: sync > 0,
    ...(sync > 0 ? { synchronous_node_count: sync } : {}),
    postgresql: { use_pg_rewind: true, parameters: dynamicParameters },
    ...(cross?.peerSlot ? { slots: { [cross.peerSlot]: { type: 'physical' } } } : {}),
  };
  // standby_cluster goes into bootstrap.dcs only, read once by the member that creates the cluster: never into the
  // file the config sidecar PATCHes at every pod start, where it would demote a promoted site (or, as a null,
  // promote a fenced one) whenever a pod restarts. Switching sites is the suspended Jobs' work (src/dr/).
  // TLS of the connections to the peer site: the standby leader's replication and basebackup, and pg_rewind's and
  // CHECKPOINT's as the superuser (patroni/postgresql/config.py `primary_conninfo_params`, bootstrap.py
  // `create_replica`, rewind.py). Only through SPILO_CONFIGURATION: Spilo's runit script starts Patroni with an emptied
  // environment, so PATRONI_* variables never reach it (runit/patroni/run); configure_spilo.py merges this block over
  // its own template, the user's values winning. verify-ca, not verify-full: the same settings serve the members'
  // own replication to the leader's pod IP, which no certificate names. Unix sockets ignore sslmode.
  const peerTls = cross?.replicationSslMode && ctx.tlsPath
    ? { sslmode: cross.replicationSslMode, sslrootcert: `${ctx.tlsPath}/ca.crt` } : undefined;
  const localBlock = {
    ...(peerTls ? { authentication: { replication: peerTls, superuser: peerTls } } : {}),
    // Last: methods that extend the configuration append to it (withSpiloLocalParameters).
    ...(Object.keys(localParameters).length > 0 ? { parameters: localParameters } : {}),
  };
  const spiloConfiguration = toYaml({
    bootstrap: { dcs: cross?.standbyCluster ? { ...dcs, standby_cluster: cross.standbyCluster } : dcs },
    ...(Object.keys(localBlock).length > 0 ? { postgresql: localBlock } : {}),
  });
  // The same values for PATCH /config; a null removes a key (patch_config), so turning synchronous mode off
  // also drops the node count.
  const dynamicPatch = JSON.stringify({ ...dcs, ...(sync > 0 ? {} : { synchronous_node_count: null }) });

  // Patroni finds its members by `labels` plus `<scope_label>: <scope>` (kubernetes.py `_label_selector`) and
  // never adds those labels to a pod (it patches the role label only: `touch_member`), so the scope must be the
  // value of a label every member already carries: the instance label, the database name.
  const scope = ctx.name;
  // Not `<name>-config`, which is Patroni's own `<scope>-config` (patroniObjectNames): no ConfigMap the library
  // emits ends in -config, -leader, -failover or -sync for a Patroni database (test/postgres-patroni.test.ts).
  const configMapName = `${ctx.name}-spilo`;
  const { secretName, usernameKey, passwordKey } = ctx.credentials;
  const patroniHttp = (path: string, failureThreshold: number, period = 10): k8s.Probe => ({
    httpGet: { path, port: k8s.IntOrString.fromNumber(PATRONI_PORT), scheme: 'HTTP' },
    periodSeconds: period,
    timeoutSeconds: 5,
    failureThreshold,
  });
  const tls = ctx.tlsPath !== undefined;
  return {
    mode: ReplicationMode.PRIMARY_REPLICA,
    // Kubernetes is the consensus store, so one healthy member can hold the leader lock;
    // with synchronous mode, commits also wait for the synchronous standbys.
    quorum: 1 + sync,
    image: SPILO_IMAGE,
    runAsUser: 101,
    fsGroup: 103,
    dataPath: '/home/postgres/pgdata',
    // Spilo keeps every file it writes under /run when the root filesystem is read-only (spilo#405).
    writablePaths: [{ path: '/run', memory: true }, { path: '/tmp' }, { path: '/dev/shm', memory: true }],
    // The preStop handover takes at most 65 s (below); Patroni then stops PostgreSQL as a replica.
    terminationGracePeriodSeconds: 120,
    container: {
      env: [
        plainEnv('SCOPE', scope),
        plainEnv('PGVERSION', major),
        plainEnv('PGROOT', '/home/postgres/pgdata/pgroot'),
        { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
        plainEnv('DCS_ENABLE_KUBERNETES_API', 'true'),
        plainEnv('KUBERNETES_USE_CONFIGMAPS', 'true'),
        plainEnv('KUBERNETES_SCOPE_LABEL', SCOPE_LABEL),
        plainEnv('KUBERNETES_ROLE_LABEL', PATRONI_ROLE.key),
        plainEnv('KUBERNETES_LABELS', JSON.stringify(withoutLabel(ctx.selectorLabels, SCOPE_LABEL))),
        secretEnv('PGUSER_SUPERUSER', secretName, usernameKey),
        secretEnv('PGPASSWORD_SUPERUSER', secretName, passwordKey),
        plainEnv('PGUSER_STANDBY', 'standby'),
        secretEnv('PGPASSWORD_STANDBY', secretName, REPLICATION_PASSWORD_KEY),
        // Spilo reads files, not contents, when only the *_FILE variables are set: write_certificates() keeps an
        // existing key and writes nothing (launch.sh runs configure_spilo.py without --force), and the template
        // sets ssl_cert_file/ssl_key_file/ssl_ca_file from them. With SSL_PRIVATE_KEY_FILE set, SSL_TEST_RELOAD
        // defaults on: a cron job reloads PostgreSQL when cert-manager rotates the files (test_reload_ssl.sh).
        ...(tls ? [
          plainEnv('SSL_CERTIFICATE_FILE', `${ctx.tlsPath}/tls.crt`),
          plainEnv('SSL_PRIVATE_KEY_FILE', `${ctx.tlsPath}/tls.key`),
          plainEnv('SSL_CA_FILE', `${ctx.tlsPath}/ca.crt`),
        ] : []),
        { name: 'SPILO_CONFIGURATION', valueFrom: { configMapKeyRef: { name: configMapName, key: 'spilo.yaml' } } },
      ],
      // Patroni's REST API: /liveness answers while the HA loop runs, /readiness when PostgreSQL
      // serves as leader or as a streaming replica.
      // https://patroni.readthedocs.io/en/latest/rest_api.html#health-check-endpoints
      startupProbe: patroniHttp('/liveness', 60),
      readinessProbe: patroniHttp('/readiness', 3, 5),
      livenessProbe: patroniHttp('/liveness', 6),
      preStop: ['sh', '-c', switchoverScript()],
    },
    extraPorts: [{ name: 'patroni', port: PATRONI_PORT, role: PortRole.PEER }],
    roleLabel: PATRONI_ROLE,
    configFiles: { 'spilo.yaml': spiloConfiguration, [PATRONI_DYNAMIC_KEY]: dynamicPatch },
    // bootstrap.dcs is read once, by the member that initialises the cluster, and the dynamic file is applied by the
    // sidecar: only Spilo's local parameters need the members restarted.
    restartInput: ({ 'spilo.yaml': _spilo, [PATRONI_DYNAMIC_KEY]: _dynamic, ...rest }) => ({
      ...rest, 'spilo.yaml#local': toYaml(localParameters) + (peerTls ? toYaml({ authentication: peerTls }) : ''),
    }),
    configMapName,
    clientSslMode: patroniClientSslMode(tls),
    replacesConfig: true,
    sidecars: [configSidecar()],
    // Spilo neither creates POSTGRES_DB nor runs /docker-entrypoint-initdb.d: a Job does, against the primary.
    formationJob: patroniInitJob(ctx, ctx.initScripts),
    applicationUserJob: postgresApplicationUserJob(ctx, { runAsUser: 101, sslMode: 'require' }),
    // ConfigMaps hold the leader lock, the cluster config and the sync state; pods get role labels.
    // https://patroni.readthedocs.io/en/latest/kubernetes.html (RBAC for use_endpoints: false)
    apiRules: [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'patch', 'update', 'watch', 'delete', 'deletecollection'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
    ],
    extraSecretKeys: { [REPLICATION_PASSWORD_KEY]: 24 },
    // Patroni's REST API moves the leader to the healthiest replica and waits for it.
    // https://patroni.readthedocs.io/en/latest/rest_api.html#switchover-and-failover-endpoints
    switchoverCommand: (pod) => `kubectl exec ${pod} -c postgresql -- curl -s -XPOST -d '{"leader":"${pod}"}' http://localhost:${PATRONI_PORT}/switchover`,
    failoverNotes: `Patroni promotes a replica when the primary fails (after the leader lock's ${TTL} s TTL). `
      + 'A primary that is stopped (rolling update, drain, delete) first hands over with POST /switchover to the next '
      + 'member by ordinal that the rollout already updated; if no replica can take over, Patroni stops it and releases '
      + 'the lock once a replica has its shutdown checkpoint. '
      + 'The read-write Service follows the `spilo-role: master` label, the read-only Service `spilo-role: replica`.',
    rollout: {
      // switchoverScript(), below.
      beforeStop: 'The preStop acts only on the member that holds the leader lock (`GET /leader` answers 200): it asks its Patroni '
        + 'for `POST /switchover` to the lowest ordinal above its own (already updated, as the rollout goes from the top down; the top '
        + 'member hands to the lowest ordinal), and if that fails, for a switchover without a candidate (Patroni picks the healthiest '
        + 'member), each call bounded at 30 s; if no switchover succeeds, Patroni\'s own shutdown releases the leader lock once a '
        + 'replica has the shutdown checkpoint. Replicas stop without a handover.',
      readyWhen: 'Patroni\'s `/readiness` answers 200 (PostgreSQL runs as the leader or as a streaming replica) and the '
        + '`patroni-config` sidecar has applied the dynamic configuration (or given up after 5 minutes of failed attempts)',
    },
  };
}

/**
 * Adds parameters to the local block of a rendered SPILO_CONFIGURATION (for methods that extend it after the plan,
 * such as WAL archiving's `archive_timeout`). The plan renders the local block last, so the parameters are appended
 * to it; a second top-level `postgresql:` key would replace the first one entirely (PyYAML keeps the last of
 * duplicate keys, and Spilo reads SPILO_CONFIGURATION with `yaml.safe_load`).
 */
export function withSpiloLocalParameters(spiloYaml: string, parameters: Record<string, string>): string {
  const lines = toYaml(parameters, '    ');
  // The top-level `postgresql:` block, when there is one, is the last in the file, and `parameters` its last key.
  const top = spiloYaml.startsWith('postgresql:\n') ? 0 : spiloYaml.indexOf('\npostgresql:\n');
  if (top < 0) return `${spiloYaml}${LOCAL_BLOCK}${lines}`;
  return spiloYaml.slice(top).includes('\n  parameters:\n') ? `${spiloYaml}${lines}` : `${spiloYaml}  parameters:\n${lines}`;
}

/**
 * The leader's preStop: hand over before Kubernetes sends SIGTERM. Without it, Patroni's shutdown stops the
 * primary and deletes the leader key once a replica has received the shutdown checkpoint (patroni/ha.py
 * `shutdown`, `_on_shutdown`), and the replicas race for the lock: any of them may win, including one the
 * rollout restarts next (a second failover). A switchover picks the member instead:
 * - only the leader acts (`GET /leader` answers 200 on the lock holder only: patroni/api.py `do_GET`);
 * - the candidate is the lowest ordinal above this member's: a StatefulSet rolls from the highest ordinal down,
 *   so those members are already updated and Ready; the top member hands to the lowest ordinal instead (updated
 *   last), so the next rollouts need one switchover each;
 * - Patroni refuses a candidate that cannot take over with 412 (not a sync standby in synchronous mode, unhealthy,
 *   gone): then a switchover without candidate, where Patroni picks the healthiest (`is_failover_possible`);
 * - `POST /switchover` polls for the result itself for up to 2 x max(10, loop_wait) s and answers 200 when the
 *   leader moved (`poll_failover_result`); each call is bounded at 30 s, the hook at 65 s, within the grace period.
 * If no switchover succeeds, the hook exits 0 and Patroni's own shutdown takes over.
 */
function switchoverScript(): string {
  return [
    `API=${API}`,
    "NL='",
    "'",
    'SELF=${HOSTNAME:-$(hostname)}',
    'STS=${SELF%-*}',
    'ORD=${SELF##*-}',
    '[ "$(curl -s -o /dev/null -w \'%{http_code}\' -m 5 "$API/leader")" = 200 ] || exit 0',
    // Member names are pod names (Spilo: `postgresql.name` is the host name); sorted ordinals of the others.
    'ORDS=$(curl -s -m 5 "$API/cluster" | grep -o "\\"name\\": *\\"$STS-[0-9][0-9]*\\"" | grep -o "[0-9]*\\"\\$" | tr -d \'"\' | sort -n)',
    'CAND=""',
    'for o in $ORDS; do if [ "$o" -gt "$ORD" ]; then CAND=$o; break; fi; done',
    'if [ -z "$CAND" ]; then for o in $ORDS; do if [ "$o" != "$ORD" ]; then CAND=$o; break; fi; done; fi',
    'switchover() {',
    '  out=$(curl -s -m 30 -w "$NL%{http_code}" -X POST -H "Content-Type: application/json" -d "$1" "$API/switchover")',
    '  echo "switchover $1: ${out%"$NL"*} (HTTP ${out##*"$NL"})"',
    '  [ "${out##*"$NL"}" = 200 ]',
    '}',
    'if [ -n "$CAND" ] && switchover "{\\"leader\\":\\"$SELF\\",\\"candidate\\":\\"$STS-$CAND\\"}"; then exit 0; fi',
    'if switchover "{\\"leader\\":\\"$SELF\\"}"; then exit 0; fi',
    'echo "no switchover: Patroni releases the leader key on shutdown once a replica has the shutdown checkpoint"',
    'exit 0',
  ].join('\n');
}

/**
 * Keeps the running cluster on the dynamic configuration of the ConfigMap, without restarting pods for it:
 * - waits for `GET /health` (200 once PostgreSQL runs under Patroni);
 * - whenever the mounted file differs from what it last applied (at start, and when the kubelet updates the
 *   ConfigMap volume in place, within about a minute of an apply), `PATCH /config` with it: Patroni merges it into
 *   the DCS copy and writes only on a change, so every member sending the same file is harmless; 503 before the
 *   cluster has a configuration, 409 on a concurrent write: retried (patroni/api.py `do_PATCH_config`). Patroni
 *   reloads every member for the reloadable parameters;
 * - parameters that need a restart show `"pending_restart": true` on `GET /patroni` (patroni/api.py
 *   `get_postgresql_status`) and per member on `GET /cluster` (patroni/utils.py `cluster_as_json`). A replica
 *   restarts itself with `POST /restart {"restart_pending": true, "role": "replica"}` (Patroni checks both
 *   conditions); the leader restarts in place, holding the leader lock, only once no other member is pending
 *   (PostgreSQL's hot standby needs max_connections and its kin at least the primary's; Patroni takes the larger of
 *   its own value and pg_controldata's on a replica, so replicas first is safe both ways); it waits three rounds
 *   first, since the replicas publish their pending restart on their next HA loop;
 * - marks itself ready (the readiness probe reads the mark) after the first apply, so a rollout moves on only after
 *   it; after 30 failed attempts (5 min) it marks itself ready anyway, saying so in its log, and keeps trying.
 */
function configScript(): string {
  return [
    `API=${API}`,
    `DESIRED=${CONFIG_MOUNT}/${PATRONI_DYNAMIC_KEY}`,
    `MARK=${APPLIED_MARK}`,
    "NL='",
    "'",
    // PID 1 of the container ignores SIGTERM without a handler: exit at once instead of holding the pod.
    "trap 'exit 0' TERM INT",
    'nap() { sleep "$1" & wait $!; }',
    'code() { curl -s -o /dev/null -w \'%{http_code}\' -m 5 "$API$1"; }',
    'log() { echo "patroni-config: $*"; }',
    'pending() { echo "$1" | grep -Eq \'"pending_restart": ?true\'; }',
    'rm -f "$MARK"',
    'until [ "$(code /health)" = 200 ]; do nap 5; done',
    'APPLIED=""',
    'attempt=0',
    'waited=0',
    'while :; do',
    '  WANT=$(cksum < "$DESIRED")',
    '  if [ "$WANT" != "$APPLIED" ]; then',
    '    before=$(curl -s -m 10 "$API/config")',
    '    out=$(curl -s -m 10 -w "$NL%{http_code}" -X PATCH -H "Content-Type: application/json" --data-binary "@$DESIRED" "$API/config")',
    '    if [ "${out##*"$NL"}" = 200 ]; then',
    '      APPLIED=$WANT; attempt=0',
    '      if [ "${out%"$NL"*}" = "$before" ]; then log "dynamic configuration already as given"; else log "dynamic configuration changed to ${out%"$NL"*}"; fi',
    '      touch "$MARK"',
    '    else',
    '      attempt=$((attempt + 1))',
    '      log "PATCH /config answered HTTP ${out##*"$NL"} (attempt $attempt): ${out%"$NL"*}"',
    '      if [ "$attempt" = 30 ] && [ ! -f "$MARK" ]; then log "dynamic configuration NOT applied after $attempt attempts; marking ready, still trying"; touch "$MARK"; fi',
    '    fi',
    '  fi',
    '  status=$(curl -s -m 5 "$API/patroni")',
    '  if ! pending "$status"; then',
    '    waited=0',
    '  elif echo "$status" | grep -Eq \'"role": ?"replica"\'; then',
    '    log "restart pending on this replica: $(curl -s -m 120 -X POST -H "Content-Type: application/json" -d \'{"restart_pending":true,"role":"replica"}\' "$API/restart")"',
    '  else',
    // The replicas publish their pending restart on their next HA loop (loop_wait): the leader waits three rounds.
    '    waited=$((waited + 1))',
    '    cluster=$(curl -s -m 5 "$API/cluster")',
    '    others=$(echo "$cluster" | tr "{" "\\n" | grep -v "\\"name\\": *\\"${HOSTNAME:-$(hostname)}\\"")',
    '    if [ "$waited" -ge 3 ] && echo "$cluster" | grep -q \'"members"\' && ! pending "$others"; then',
    '      log "restart pending on the leader, none on the other members: $(curl -s -m 120 -X POST -H "Content-Type: application/json" -d \'{"restart_pending":true}\' "$API/restart")"',
    '    fi',
    '  fi',
    '  nap 10',
    'done',
  ].join('\n');
}

function configSidecar(): EngineSidecar {
  return {
    name: 'patroni-config',
    command: ['sh', '-c', configScript()],
    env: [],
    ports: [],
    readinessProbe: execProbe(['test', '-f', APPLIED_MARK], { period: 5, timeout: 2, failureThreshold: 1 }),
    volumeMounts: [
      { name: 'config', mountPath: CONFIG_MOUNT, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
    cpuMillis: 20,
    memoryMebibytes: 32,
  };
}
