import { k8s } from 'cdk8s-plus-28';
import { ReplicationContext, ReplicationPlan } from './engine-definition';
import { PortRole, ReplicationMode } from './engine-port';
import { MIB, plainEnv, secretEnv } from './probes';
import { toYaml } from '../private/config-format';

/**
 * Spilo: PostgreSQL with Patroni, the image Zalando's operator runs. One spilo-16 image carries
 * PostgreSQL 12 to 16 and runs the major given in PGVERSION.
 * @see https://github.com/zalando/spilo/blob/master/ENVIRONMENT.rst
 */
export const SPILO_IMAGE = { registry: 'ghcr.io', repository: 'zalando/spilo-16', tag: '3.3-p3' };
export const SPILO_MAJORS = ['13', '14', '15', '16'];
/** Patroni's role label as Spilo configures it (KUBERNETES_ROLE_LABEL, leader value `master` on Patroni 3). */
export const PATRONI_ROLE = { key: 'spilo-role', primaryValue: 'master', replicaValue: 'replica' };
export const REPLICATION_PASSWORD_KEY = 'replication-password';

const PATRONI_PORT = 8008;
const LOOP_WAIT = 10;
const TTL = 30;

/**
 * Primary + streaming replicas with automatic failover by Patroni, using Kubernetes itself as its
 * store (ConfigMaps for the leader lock, pod labels for roles). Patroni labels each pod with its role,
 * so Services select the primary and the replicas by label.
 * @see https://patroni.readthedocs.io/en/latest/kubernetes.html
 */
export function patroniPlan(ctx: ReplicationContext, major: string): ReplicationPlan {
  const mib = Math.floor(ctx.memoryBytes / MIB);
  const sync = ctx.synchronousStandbys ?? 0;
  const parameters: Record<string, string> = {
    shared_buffers: `${Math.max(32, Math.floor(mib / 4))}MB`,
    effective_cache_size: `${Math.max(64, Math.floor((mib * 3) / 4))}MB`,
    password_encryption: 'scram-sha-256',
    ...ctx.settings,
  };
  const spiloConfiguration = toYaml({
    bootstrap: {
      dcs: {
        ttl: TTL,
        loop_wait: LOOP_WAIT,
        retry_timeout: 10,
        maximum_lag_on_failover: 33554432,
        synchronous_mode: sync > 0,
        ...(sync > 0 ? { synchronous_node_count: sync } : {}),
        postgresql: { use_pg_rewind: true, parameters },
      },
    },
  });
  const { secretName, usernameKey, passwordKey } = ctx.credentials;
  const patroniHttp = (path: string, failureThreshold: number, period = 10): k8s.Probe => ({
    httpGet: { path, port: k8s.IntOrString.fromNumber(PATRONI_PORT), scheme: 'HTTP' },
    periodSeconds: period,
    timeoutSeconds: 5,
    failureThreshold,
  });
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
    terminationGracePeriodSeconds: 120,
    container: {
      env: [
        plainEnv('SCOPE', ctx.name),
        plainEnv('PGVERSION', major),
        plainEnv('PGROOT', '/home/postgres/pgdata/pgroot'),
        { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
        plainEnv('DCS_ENABLE_KUBERNETES_API', 'true'),
        plainEnv('KUBERNETES_USE_CONFIGMAPS', 'true'),
        plainEnv('KUBERNETES_SCOPE_LABEL', 'app.kubernetes.io/instance'),
        plainEnv('KUBERNETES_ROLE_LABEL', PATRONI_ROLE.key),
        plainEnv('KUBERNETES_LABELS', JSON.stringify(withoutKey(ctx.selectorLabels, 'app.kubernetes.io/instance'))),
        secretEnv('PGUSER_SUPERUSER', secretName, usernameKey),
        secretEnv('PGPASSWORD_SUPERUSER', secretName, passwordKey),
        plainEnv('PGUSER_STANDBY', 'standby'),
        secretEnv('PGPASSWORD_STANDBY', secretName, REPLICATION_PASSWORD_KEY),
        { name: 'SPILO_CONFIGURATION', valueFrom: { configMapKeyRef: { name: `${ctx.name}-config`, key: 'spilo.yaml' } } },
      ],
      // Patroni's REST API: /liveness answers while the HA loop runs, /readiness when PostgreSQL
      // serves as leader or as a streaming replica.
      // https://patroni.readthedocs.io/en/latest/rest_api.html#health-check-endpoints
      startupProbe: patroniHttp('/liveness', 60),
      readinessProbe: patroniHttp('/readiness', 3, 5),
      livenessProbe: patroniHttp('/liveness', 6),
      // No preStop: on SIGTERM Patroni stops PostgreSQL with a fast shutdown and deletes the leader
      // key, so a replica takes over in the next HA loop instead of waiting for the TTL.
    },
    extraPorts: [{ name: 'patroni', port: PATRONI_PORT, role: PortRole.PEER }],
    roleLabel: PATRONI_ROLE,
    configFiles: { 'spilo.yaml': spiloConfiguration },
    replacesConfig: true,
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
    failoverNotes: `Patroni promotes a replica when the primary fails (after the leader lock's ${TTL} s TTL) or stops `
      + `(SIGTERM releases the lock: writes pause for about one HA loop, ${LOOP_WAIT} s, plus promotion). `
      + 'The read-write Service follows the `spilo-role: master` label, the read-only Service `spilo-role: replica`.',
  };
}

function withoutKey(labels: Record<string, string>, key: string): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => k !== key));
}
