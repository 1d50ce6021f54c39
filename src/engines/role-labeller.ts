import { k8s } from 'cdk8s-plus-28';
import { EngineSidecar, ReplicationContext, RoleLabel } from './engine-definition';
import { TOOLS_IMAGE } from '../private/images';

/**
 * The pod label the role labeller keeps: `primary` on the writer, `replica` on readers, absent otherwise.
 * It is in neither the StatefulSet's selector nor its pod template: the StatefulSet controller matches its pods
 * by selector and compares their `controller-revision-hash` with the update revision, so a label patched at
 * runtime neither orphans nor rolls a pod (Patroni's `spilo-role` works the same way).
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates
 */
export const ROLE_LABEL: RoleLabel = { key: 'cdk8s-databases.io/role', primaryValue: 'primary', replicaValue: 'replica' };

/** Shared, memory-backed folder: the engine side writes the role into it, the labeller reads it. */
export const ROLE_VOLUME = 'role';
export const ROLE_DIR = '/var/run/cdk8s-databases';
export const ROLE_FILE = `${ROLE_DIR}/role`;

/** How often the labeller looks at the role file and how long a PATCH may take. */
const LABELLER_PERIOD_SECONDS = 1;
const PATCH_TIMEOUT_SECONDS = 3;
/** The label is asserted again this often, so a label changed by hand comes back. */
const REASSERT_SECONDS = 30;

/**
 * `report_role primary|replica|none`: writes the role and the time it was seen, atomically (rename), for the
 * labeller. POSIX sh: it runs in the engine image.
 */
export const REPORT_ROLE_FUNCTION = `report_role() { printf '%s %s\\n' "$1" "$(date +%s)" > ${ROLE_FILE}.tmp && mv -f ${ROLE_FILE}.tmp ${ROLE_FILE}; }`;

export interface RoleLabellingOptions {
  /** How often the engine side writes the role. */
  readonly reportPeriodSeconds: number;
  /** A report older than this is no report: the labeller removes the label (engine side hung or gone). */
  readonly staleAfterSeconds: number;
}

/** What an engine plan adds to label its members by role. */
export interface RoleLabelling {
  readonly roleLabel: RoleLabel;
  /** `patch` on exactly the StatefulSet's pods, by name: nothing else. */
  readonly apiRules: k8s.PolicyRule[];
  readonly volume: k8s.Volume;
  /** Mount of the role folder for the container that reports the role. */
  readonly reporterMount: k8s.VolumeMount;
  readonly sidecar: EngineSidecar;
  /**
   * Longest time, in seconds, from the moment the engine side writes a new role until the label is patched:
   * one labeller period plus one PATCH timeout.
   */
  readonly labelDelaySeconds: number;
}

/**
 * A role-labelling sidecar. Two halves that share nothing but a one-line file, so that the container holding the
 * database password holds no Kubernetes token, and the other way round:
 * - the engine side (a loop in the engine's image, with the engine's CLI) writes `primary`, `replica` or `none`
 *   and the time into the role file (`REPORT_ROLE_FUNCTION`);
 * - the labeller (`TOOLS_IMAGE`: bash, curl) reads it every second and, on a change (and every 30 s), PATCHes its own
 *   pod's label with a JSON merge patch (`null` removes it) through the API server, with the token of a projected
 *   ServiceAccount token volume mounted into this container alone. A missing, unreadable or stale report removes
 *   the label. The Role allows `patch` on the StatefulSet's pods by name, nothing else: a pod beyond `replicas`
 *   (scaled outside the chart) is refused and never labelled, so it gets no traffic through the role Services.
 * @see https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/#without-using-a-proxy
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#patch-and-apply (JSON merge patch, RFC 7386)
 */
export function roleLabelling(ctx: ReplicationContext, options: RoleLabellingOptions): RoleLabelling {
  const key = ROLE_LABEL.key;
  const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
  const script = [
    // PID 1 ignores SIGTERM unless it traps it; sleep runs in the background so the trap runs at once.
    "trap 'exit 0' TERM",
    `sa=${sa}`,
    'url="https://${KUBERNETES_SERVICE_HOST}:${KUBERNETES_SERVICE_PORT}/api/v1/namespaces/${POD_NAMESPACE}/pods/${POD_NAME}"',
    'last=""; sent=0; failing=""',
    'while :; do',
    '  now=$(date +%s); want=none',
    `  if read -r role at < ${ROLE_FILE} 2>/dev/null; then`,
    '    case "$at" in',
    '      ""|*[!0-9]*) ;;',
    `      *) if [ $((now - at)) -le ${options.staleAfterSeconds} ]; then case "$role" in primary|replica) want=$role ;; esac; fi ;;`,
    '    esac',
    '  fi',
    `  if [ "$want" != "$last" ] || [ $((now - sent)) -ge ${REASSERT_SECONDS} ]; then`,
    '    if [ "$want" = none ]; then value=null; else value="\\"$want\\""; fi',
    `    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time ${PATCH_TIMEOUT_SECONDS} --cacert "$sa/ca.crt" \\`,
    '      -H "Authorization: Bearer $(cat "$sa/token")" -H "Content-Type: application/merge-patch+json" \\',
    `      -X PATCH --data "{\\"metadata\\":{\\"labels\\":{\\"${key}\\":$value}}}" "$url") || code=000`,
    '    if [ "$code" = 200 ]; then',
    `      if [ "$want" != "$last" ]; then echo "label ${key}: $want"; fi`,
    '      last=$want; sent=$now; failing=""',
    '    elif [ -z "$failing" ]; then',
    '      echo "PATCH of the role label refused or unanswered (HTTP $code): retrying every second" >&2; failing=1',
    '    fi',
    '  fi',
    `  sleep ${LABELLER_PERIOD_SECONDS} & wait $!`,
    'done',
  ].join('\n');
  const pods = Array.from({ length: ctx.replicas }, (_, i) => `${ctx.name}-${i}`);
  return {
    roleLabel: ROLE_LABEL,
    apiRules: [{ apiGroups: [''], resources: ['pods'], verbs: ['patch'], resourceNames: pods }],
    volume: { name: ROLE_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
    reporterMount: { name: ROLE_VOLUME, mountPath: ROLE_DIR },
    labelDelaySeconds: LABELLER_PERIOD_SECONDS + PATCH_TIMEOUT_SECONDS,
    sidecar: {
      name: 'role-labeller',
      image: TOOLS_IMAGE,
      apiToken: true,
      command: ['bash', '-c', script],
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ],
      ports: [],
      volumeMounts: [{ name: ROLE_VOLUME, mountPath: ROLE_DIR, readOnly: true }],
      cpuMillis: 50,
      memoryMebibytes: 48,
    },
  };
}
