import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PatroniSwitchOptions, patroniDemoteScript, patroniFenceScript, patroniPromoteScript } from './patroni-switch';
import { DatabaseAssembly } from '../assembly/database-assembly';
import { plainEnv, secretEnv } from '../engines/probes';
import { oneOffJob } from '../pod/one-off-job';
import { TOOLS_IMAGE, rewriteRegistry } from '../private/images';
import { LABEL_COMPONENT } from '../private/labels';

/** The label that names what a DR Job does; the runbook and `kubectl get job -l` find the Jobs by it. */
export const LABEL_DR_ACTION = 'cdk8s-databases.io/dr-action';
export type DrAction = 'fence' | 'promote' | 'demote';

/** The suspended Jobs of one site, by action. */
export type SwitchJobs = Partial<Record<DrAction, ApiObject>>;

/** Bound of one switch: a promotion waits for Patroni's next HA cycles, a fence for the reload. */
export const SWITCH_TIMEOUT_SECONDS = 300;

/**
 * Patroni sites: fence, promote and demote through Patroni's REST API (src/dr/patroni-switch.ts), run from the Spilo
 * image (curl, psql) with no Kubernetes API token; a NetworkPolicy admits these Jobs' pods to the members' Patroni
 * port, which the database's own policy opens to members only.
 */
export function patroniSwitchJobs(scope: Construct, assembly: DatabaseAssembly, switchOptions: PatroniSwitchOptions): SwitchJobs {
  const env: k8s.EnvVar[] = [
    secretEnv('PGUSER', assembly.credentialsSecretName, assembly.usernameKey),
    secretEnv('PGPASSWORD', assembly.credentialsSecretName, assembly.passwordKey),
    plainEnv('PGSSLMODE', 'require'),
    plainEnv('PGCONNECT_TIMEOUT', '5'),
  ];
  const scripts: Record<DrAction, string> = {
    fence: patroniFenceScript({ ...switchOptions, clientHost: assembly.host }),
    promote: patroniPromoteScript(switchOptions),
    demote: patroniDemoteScript(switchOptions),
  };
  new k8s.KubeServiceAccount(scope, 'DrSwitchServiceAccount', {
    metadata: { name: `${assembly.name}-dr-switch`, labels: assembly.labels.forComponent('dr') },
    automountServiceAccountToken: false,
  });
  const jobs: SwitchJobs = {};
  for (const action of ['fence', 'promote', 'demote'] as const) {
    jobs[action] = oneOffJob(scope, `Dr${action[0].toUpperCase()}${action.slice(1)}`, {
      name: `${assembly.name}-dr-${action}`,
      labels: { ...assembly.labels.forComponent('dr'), [LABEL_DR_ACTION]: action },
      image: assembly.image,
      script: scripts[action],
      env,
      runAsUser: 101,
      serviceAccountName: `${assembly.name}-dr-switch`,
      needsApiToken: false,
      imagePullSecrets: assembly.props.imagePullSecrets,
      activeDeadlineSeconds: SWITCH_TIMEOUT_SECONDS * 2,
      suspend: true,
    });
  }
  admitSwitchJobs(scope, assembly, switchOptions.apiPort);
  return jobs;
}

/** The members admit the DR Jobs of their own database to the Patroni API and the client port, nothing else. */
function admitSwitchJobs(scope: Construct, assembly: DatabaseAssembly, apiPort: number): void {
  new k8s.KubeNetworkPolicy(scope, 'DrSwitchPolicy', {
    metadata: { name: `${assembly.name}-dr-switch`, labels: assembly.labels.forComponent('dr') },
    spec: {
      podSelector: { matchLabels: assembly.labels.selector },
      policyTypes: ['Ingress'],
      ingress: [{
        // This database's DR Jobs: its name and instance labels (their component is `dr`, not `database`) and an action.
        from: [{ podSelector: { matchLabels: withoutComponent(assembly.labels.selector), matchExpressions: [{ key: LABEL_DR_ACTION, operator: 'Exists' }] } }],
        ports: [apiPort, assembly.port].map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) })),
      }],
    },
  });
}

function withoutComponent(selector: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(selector).filter(([key]) => key !== LABEL_COMPONENT));
}

/**
 * Sites whose engine does not run on the passive side (a cold restore, replicated volumes): promote starts the
 * StatefulSets (`replicas` through the scale subresource), fence stops them. The YAML's `replicas` follows
 * `activeSite`: after a switch by Job, merge the flip so that the next apply keeps the state the Job left.
 */
export function scaleSwitchJobs(scope: Construct, assembly: DatabaseAssembly,
  extra: { readonly promoteFirst?: string; readonly fenceAfter?: string; readonly rules?: k8s.PolicyRule[] } = {}): SwitchJobs {
  const name = `${assembly.name}-dr-switch`;
  const labels = assembly.labels.forComponent('dr');
  const statefulSets = assembly.statefulSets.map((s) => s.name);
  // Each StatefulSet back to the replicas the YAML gives the active site (racks may differ).
  const scaleUp = assembly.statefulSetViews.map((v) => `${v.metadata.name}=${v.spec.replicas}`).join(' ');
  new k8s.KubeServiceAccount(scope, 'DrSwitchServiceAccount', { metadata: { name, labels }, automountServiceAccountToken: false });
  new k8s.KubeRole(scope, 'DrSwitchRole', {
    metadata: { name, labels },
    rules: [
      { apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: statefulSets, verbs: ['get', 'patch', 'update'] },
      // `kubectl wait` lists and watches with a field selector on the name.
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list', 'watch'] },
      ...(extra.rules ?? []),
    ],
  });
  new k8s.KubeRoleBinding(scope, 'DrSwitchRoleBinding', {
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name }],
  });
  // kubectl of the tools image, with the Job's in-cluster token; `wait` is bounded, the Job's deadline above it.
  const script = (action: 'fence' | 'promote') => [
    'set -eu',
    ...(action === 'promote' && extra.promoteFirst ? [extra.promoteFirst] : []),
    ...(action === 'promote'
      ? [`for pair in ${scaleUp}; do`, '  kubectl scale "statefulset/${pair%=*}" --replicas="${pair#*=}"', 'done']
      : ['for sts in $STATEFULSETS; do', '  kubectl scale "statefulset/$sts" --replicas=0', 'done']),
    // Fence: returns once no member of the site runs (a stopped engine takes no writes).
    ...(action === 'fence' ? [
      'for sts in $STATEFULSETS; do',
      `  kubectl wait "statefulset/$sts" --for=jsonpath='{.status.replicas}'=0 --timeout=${SWITCH_TIMEOUT_SECONDS}s`,
      '  echo "statefulset $sts: no member runs"',
      'done',
      ...(extra.fenceAfter ? [extra.fenceAfter] : []),
    ] : []),
  ].join('\n');
  const jobs: SwitchJobs = {};
  for (const action of ['fence', 'promote'] as const) {
    jobs[action] = oneOffJob(scope, `Dr${action[0].toUpperCase()}${action.slice(1)}`, {
      name: `${assembly.name}-dr-${action}`,
      labels: { ...labels, [LABEL_DR_ACTION]: action },
      image: rewriteRegistry(TOOLS_IMAGE, assembly.props.imageRegistry),
      script: script(action),
      env: [plainEnv('STATEFULSETS', statefulSets.join(' '))],
      runAsUser: 65534,
      serviceAccountName: name,
      needsApiToken: true,
      imagePullSecrets: assembly.props.imagePullSecrets,
      // Each wait is bounded by SWITCH_TIMEOUT_SECONDS; a fence may wait twice (members, then volumes).
      activeDeadlineSeconds: SWITCH_TIMEOUT_SECONDS * 3,
      suspend: true,
    });
  }
  return jobs;
}
