import { runtimeKeysOf, selects, templateLabelsOf } from './runtime-labels';
import { LabelledIndex } from './selector-index';
import { CLUSTER_SCOPED_KINDS, containersOf, objectNamespace, podTemplateOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/** Workloads whose pods back Services (the EndpointSlice controller selects pods, whoever owns them: a Job's too). */
const SERVED_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'Pod'];

/**
 * Custom resource groups known to create no pods (monitoring, certificates, snapshots, service export, volume replication,
 * Stork policies, secret generators). A custom resource of any other group may be an operator's database or app whose pods
 * exist only at runtime, so a Service beside it is not judged.
 */
export const PASSIVE_CRD_GROUPS = new Set([
  'monitoring.coreos.com', 'cert-manager.io', 'acme.cert-manager.io', 'snapshot.storage.k8s.io', 'multicluster.x-k8s.io',
  'replication.storage.openshift.io', 'stork.libopenstorage.org', 'external-secrets.io', 'bitnami.com', 'gateway.networking.k8s.io',
]);

/** Kubernetes' own API groups with a dot, `*.k8s.io` (the others have none: core, apps, batch, policy, autoscaling). */
const BUILT_IN_GROUP = /(^|\.)k8s\.io$/;

/** Whether an object is a custom resource that an operator may turn into pods. */
function mayCreatePods(o: any): boolean {
  const apiVersion = typeof o?.apiVersion === 'string' ? o.apiVersion : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return group.includes('.') && !PASSIVE_CRD_GROUPS.has(group) && !BUILT_IN_GROUP.test(group) && !CLUSTER_SCOPED_KINDS.has(o.kind);
}

/** A Service selector without the workload's runtime label keys: those are set on running pods, not in the template. */
function withoutRuntimeKeys(selector: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(selector).filter(([k]) => !keys.includes(k)));
}

/** A Service's selector as the label map it requires, unless it looks like a LabelSelector (then nothing is narrowed). */
function plainMapSelector(selector: any): Record<string, unknown> | undefined {
  return 'matchLabels' in selector || 'matchExpressions' in selector ? undefined : selector;
}

/** Port names of the template's containers and sidecars (restartable init containers serve too, KEP-753). */
function portNames(template: any): Set<string> {
  const names = new Set<string>();
  for (const { role, container } of containersOf(template?.spec)) {
    if (role === 'init container') continue;
    for (const p of Array.isArray(container?.ports) ? container.ports : []) if (typeof p?.name === 'string') names.add(p.name);
  }
  return names;
}

/**
 * A Service whose selector matches no pod template has no endpoints: clients get connection refused, and nothing fails at
 * apply time. A named targetPort resolves per pod against its containers' port names (EndpointSlice controller,
 * podutil.FindPort): a name no container has gives no endpoint for that port.
 */
export const serviceSelectsPods: IPolicyRule = {
  id: 'DOK-SERVICE-SELECTS-PODS',
  level: RuleLevel.ERROR,
  finding: 'A Service selects no pod template in its namespace, or targets a port name no selected container has.',
  explanation: 'A Service with a selector gets endpoints only from pods whose labels match it and, for a named targetPort, whose '
    + 'containers declare a port of that name. Fix the selector or the port names; labels set at runtime (a role label, hint '
    + '`cdk8s-databases.io/runtime-labels`) are not required in the template. Pods of Deployments, StatefulSets, DaemonSets, '
    + 'ReplicaSets, ReplicationControllers, Jobs, CronJobs and bare Pods count; a Service is not judged when its namespace holds a '
    + 'custom resource an operator may turn into pods (any group but monitoring.coreos.com, cert-manager.io, acme.cert-manager.io, '
    + 'snapshot.storage.k8s.io, multicluster.x-k8s.io, replication.storage.openshift.io, stork.libopenstorage.org, '
    + 'external-secrets.io, bitnami.com, gateway.networking.k8s.io and the Kubernetes API groups).',
  evaluate(o: any, context: PolicyContext): Verdict {
    const selector = o?.spec?.selector;
    if (o.kind !== 'Service' || o.spec?.type === 'ExternalName' || !selector || typeof selector !== 'object' || Object.keys(selector).length === 0) {
      return Verdict.notApplicable();
    }
    const namespace = objectNamespace(o);
    const operated = context.memo(`DOK-SERVICE-SELECTS-PODS:custom-resources:${namespace}`,
      () => context.objects.some((x) => objectNamespace(x) === namespace && mayCreatePods(x)));
    if (operated) return Verdict.notApplicable();
    const served: LabelledIndex<any> = context.memo(`DOK-SERVICE-SELECTS-PODS:workloads:${namespace}`, () => new LabelledIndex(
      SERVED_KINDS.flatMap((k) => context.inNamespace(k, namespace)), (w) => templateLabelsOf(w, podTemplateOf(w)), runtimeKeysOf));
    // A selector key that is not a runtime key must hold in the template: only workloads with one of its pairs qualify.
    const selected = served.candidates(plainMapSelector(selector)).filter((w) => {
      const template = podTemplateOf(w);
      return template && selects(withoutRuntimeKeys(selector, runtimeKeysOf(w)), templateLabelsOf(w, template));
    });
    const shown = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(', ');
    if (selected.length === 0) return Verdict.nonCompliant(`its selector (${shown}) matches no pod template in namespace \`${namespace}\`: the Service has no endpoints`);
    const names = new Set(selected.flatMap((w) => [...portNames(podTemplateOf(w))]));
    const problems = (Array.isArray(o.spec.ports) ? o.spec.ports : [])
      .filter((p: any) => typeof p?.targetPort === 'string' && !names.has(p.targetPort))
      .map((p: any) => `port \`${p.name ?? p.port}\` targets the port name \`${p.targetPort}\`, which no container of the selected pods declares, so it gets no endpoints`);
    return Verdict.fromProblems(problems);
  },
};
