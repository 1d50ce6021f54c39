import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PatroniSwitchOptions, patroniDemoteScript, patroniFenceScript, patroniPromoteScript } from './patroni-switch';
import { DatabaseAssembly } from '../assembly/database-assembly';
import { plainEnv, secretEnv } from '../engines/probes';
import { oneOffJob } from '../pod/one-off-job';
import { TOOLS_IMAGE, rewriteRegistry } from '../private/images';
import { LABEL_COMPONENT, withoutLabel } from '../private/labels';

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
  const jobs = suspendedJobs(scope, assembly, scripts, {
    image: assembly.image, env, runAsUser: 101, needsApiToken: false, activeDeadlineSeconds: SWITCH_TIMEOUT_SECONDS * 2,
  });
  admitSwitchJobs(scope, assembly, switchOptions.apiPort);
  return jobs;
}

/** How every Job of one site's switch runs. */
interface SwitchContainer {
  readonly image: string;
  readonly env: k8s.EnvVar[];
  readonly runAsUser: number;
  readonly needsApiToken: boolean;
  readonly activeDeadlineSeconds: number;
}

/**
 * One suspended Job per action (`<db>-dr-<action>`, labelled with it) and the ServiceAccount `<db>-dr-switch` they
 * share, which mounts no token for other pods.
 */
function suspendedJobs(scope: Construct, assembly: DatabaseAssembly, scripts: SwitchJobScripts, container: SwitchContainer): SwitchJobs {
  const serviceAccountName = switchAccountName(assembly);
  new k8s.KubeServiceAccount(scope, 'DrSwitchServiceAccount', {
    metadata: { name: serviceAccountName, labels: assembly.labels.forComponent('dr') },
    automountServiceAccountToken: false,
  });
  const jobs: SwitchJobs = {};
  for (const [action, script] of Object.entries(scripts) as Array<[DrAction, string]>) {
    jobs[action] = oneOffJob(scope, `Dr${action[0].toUpperCase()}${action.slice(1)}`, {
      ...container,
      name: `${assembly.name}-dr-${action}`,
      labels: { ...assembly.labels.forComponent('dr'), [LABEL_DR_ACTION]: action },
      script,
      serviceAccountName,
      imagePullSecrets: assembly.props.imagePullSecrets,
      suspend: true,
    });
  }
  return jobs;
}

/** The scripts of a site's switch Jobs, in the order they are emitted. */
type SwitchJobScripts = Partial<Record<DrAction, string>>;

const switchAccountName = (assembly: DatabaseAssembly) => `${assembly.name}-dr-switch`;

/** The members admit the DR Jobs of their own database to the Patroni API and the client port, nothing else. */
function admitSwitchJobs(scope: Construct, assembly: DatabaseAssembly, apiPort: number): void {
  new k8s.KubeNetworkPolicy(scope, 'DrSwitchPolicy', {
    metadata: { name: `${assembly.name}-dr-switch`, labels: assembly.labels.forComponent('dr') },
    spec: {
      podSelector: { matchLabels: assembly.labels.selector },
      policyTypes: ['Ingress'],
      ingress: [{
        // This database's DR Jobs: its name and instance labels (their component is `dr`, not `database`) and an action.
        from: [{ podSelector: { matchLabels: withoutLabel(assembly.labels.selector, LABEL_COMPONENT), matchExpressions: [{ key: LABEL_DR_ACTION, operator: 'Exists' }] } }],
        ports: [apiPort, assembly.port].map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) })),
      }],
    },
  });
}

/**
 * Sites whose engine does not run on the passive side (a cold restore, replicated volumes): promote starts the
 * StatefulSets (`replicas` through the scale subresource), fence stops them. The YAML's `replicas` follows
 * `activeSite`: after a switch by Job, merge the flip so that the next apply keeps the state the Job left.
 */
export function scaleSwitchJobs(scope: Construct, assembly: DatabaseAssembly,
  extra: { readonly promoteFirst?: string; readonly fenceAfter?: string; readonly rules?: k8s.PolicyRule[] } = {}): SwitchJobs {
  const name = switchAccountName(assembly);
  const labels = assembly.labels.forComponent('dr');
  const statefulSets = assembly.statefulSets.map((s) => s.name);
  // Each StatefulSet back to the replicas the YAML gives the active site (racks may differ).
  const scaleUp = assembly.statefulSetViews.map((v) => `${v.metadata.name}=${v.spec.replicas}`).join(' ');
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
  return suspendedJobs(scope, assembly, { fence: script('fence'), promote: script('promote') }, {
    image: rewriteRegistry(TOOLS_IMAGE, assembly.props.imageRegistry),
    env: [plainEnv('STATEFULSETS', statefulSets.join(' '))],
    runAsUser: 65534,
    needsApiToken: true,
    // Each wait is bounded by SWITCH_TIMEOUT_SECONDS; a fence may wait twice (members, then volumes).
    activeDeadlineSeconds: SWITCH_TIMEOUT_SECONDS * 3,
  });
}
