import { containersOf, isDatabaseWorkload, objectRef, podSpecOf, quantityValue, replicasOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * A tenant namespace of the set that runs databases gets a ResourceQuota large enough for them: without one a tenant
 * can take the cluster's capacity; with one smaller than the databases, the quota admission plugin refuses the pods
 * (or claims) beyond it, and a StatefulSet stops at the first member that does not fit (DoK whitepaper: multi-tenancy
 * with quotas per namespace). Namespaces not in the set are managed elsewhere and not judged.
 */
export const tenantQuota: IPolicyRule = {
  id: 'DOK-TENANT-QUOTA',
  level: RuleLevel.WARNING,
  finding: 'A namespace of the set that runs databases has no ResourceQuota, or one too small for its databases.',
  explanation: 'Give each tenant namespace a ResourceQuota (requests/limits of CPU and memory, requests.storage, pods, '
    + 'persistentvolumeclaims) that covers every member of its databases: quota admission refuses the pod or claim that '
    + 'goes over, and a StatefulSet stops at the member that does not fit. A quota on limits.* also refuses pods whose '
    + 'containers set no such limit.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (o?.kind !== 'Namespace' || typeof o.metadata?.name !== 'string') return Verdict.notApplicable();
    const namespace = o.metadata.name;
    const databases = context.inNamespace('StatefulSet', namespace).filter(isDatabaseWorkload);
    if (databases.length === 0) return Verdict.notApplicable();
    const quotas = context.inNamespace('ResourceQuota', namespace);
    if (quotas.length === 0) {
      return Verdict.nonCompliant(`namespace \`${namespace}\` runs ${databases.map(objectRef).join(', ')} but has no ResourceQuota`);
    }
    // A LimitRange may default the requests and limits containers leave unset: then a missing one is not a refusal.
    const defaulted = context.inNamespace('LimitRange', namespace).length > 0;
    return Verdict.fromProblems(quotas.flatMap((q) => quotaProblems(q, databases, defaulted)));
  },
};

/** What one quota refuses of the databases it applies to. */
function quotaProblems(quota: any, databases: any[], defaulted: boolean): string[] {
  const hard: Record<string, unknown> = typeof quota?.spec?.hard === 'object' && quota.spec.hard ? quota.spec.hard : {};
  const scoped = asArray(quota?.spec?.scopes).length > 0 || asArray(quota?.spec?.scopeSelector?.matchExpressions).length > 0;
  const covered = databases.filter((d) => scopesMatch(quota, podSpecOf(d) ?? {}));
  const problems: string[] = [];
  for (const [key, limit] of Object.entries(hard)) {
    const allowed = quantityValue(limit);
    if (allowed === undefined) continue;
    // Scopes restrict pod resources only (Terminating, BestEffort, PriorityClass...): storage of a scoped quota is not read.
    const need = needOf(key, scoped ? covered : databases, scoped);
    if (!need) continue;
    if (need.missing.length && !defaulted) {
      problems.push(`${objectRef(quota)} tracks ${key}, but ${need.missing.join(', ')} set none: quota admission refuses those pods`);
    } else if (need.total > allowed + 1e-9) {
      problems.push(`${objectRef(quota)} allows ${key} ${limit}, the databases need ${format(key, need.total)} (${need.parts.join(' + ')})`);
    }
  }
  return problems;
}

interface Need { total: number; parts: string[]; missing: string[] }

/** What the databases need of one quota key; undefined for keys this rule does not compute. */
function needOf(key: string, databases: any[], podOnly: boolean): Need | undefined {
  const compute = /^(requests|limits)\.(.+)$/.exec(key) ?? (/^(cpu|memory|ephemeral-storage)$/.test(key) ? [key, 'requests', key] : null);
  const need: Need = { total: 0, parts: [], missing: [] };
  const add = (o: any, each: number, count: number) => {
    need.total += each * count;
    need.parts.push(`${objectRef(o)} ${count} × ${format(key, each)}`);
  };
  if (compute && compute[2] !== 'storage') {
    const kind = compute[1] as 'requests' | 'limits';
    for (const d of databases) {
      const effective = effectivePodResource(podSpecOf(d), kind, compute[2]);
      need.missing.push(...effective.missing.map((c) => `${objectRef(d)} ${c}`));
      add(d, effective.value, replicasOf(d));
    }
    return need;
  }
  if (key === 'pods' || key === 'count/pods') {
    for (const d of databases) add(d, 1, replicasOf(d));
    return need;
  }
  if (podOnly) return undefined;
  if (key === 'count/statefulsets.apps') {
    for (const d of databases) add(d, 1, 1);
    return need;
  }
  const perClass = /^(.+)\.storageclass\.storage\.k8s\.io\/(requests\.storage|persistentvolumeclaims)$/.exec(key);
  const resource = perClass ? perClass[2] : key.replace(/^count\//, '');
  if (resource !== 'requests.storage' && resource !== 'persistentvolumeclaims') return undefined;
  for (const d of databases) {
    for (const t of Array.isArray(d.spec?.volumeClaimTemplates) ? d.spec.volumeClaimTemplates : []) {
      if (perClass && t?.spec?.storageClassName !== perClass[1]) continue;
      const size = resource === 'persistentvolumeclaims' ? 1 : quantityValue(t?.spec?.resources?.requests?.storage);
      if (size !== undefined) add(d, size, replicasOf(d));
    }
  }
  return need;
}

/**
 * A pod's effective request or limit of a resource, as the scheduler and quota count it (KEP-753, resourcehelper
 * PodRequests): the larger of the sum of the app containers and running sidecars, and each init container's own
 * value plus the sidecars started before it. Requests default to limits when only limits are set.
 */
function effectivePodResource(spec: any, kind: 'requests' | 'limits', resource: string): { value: number; missing: string[] } {
  const missing: string[] = [];
  const valueOf = (role: string, c: any): number => {
    const v = quantityValue(c?.resources?.[kind]?.[resource] ?? (kind === 'requests' ? c?.resources?.limits?.[resource] : undefined));
    if (v === undefined) missing.push(`${role} \`${c?.name}\``);
    return v ?? 0;
  };
  let sidecars = 0;
  let init = 0;
  let app = 0;
  for (const { role, container } of containersOf(spec)) {
    if (role === 'sidecar') {
      sidecars += valueOf(role, container);
      init = Math.max(init, sidecars);
    } else if (role === 'init container') {
      init = Math.max(init, valueOf(role, container) + sidecars);
    } else {
      app += valueOf(role, container);
    }
  }
  const overhead = quantityValue(spec?.overhead?.[resource]) ?? 0;
  return { value: Math.max(init, app + sidecars) + overhead, missing };
}

/** Whether a quota's scopes select a pod of this spec (core/v1 ResourceQuotaScope); unknown scopes select nothing. */
function scopesMatch(quota: any, spec: any): boolean {
  const expressions = [
    ...asArray(quota?.spec?.scopes).map((s: string) => ({ scopeName: s, operator: 'Exists' })),
    ...asArray(quota?.spec?.scopeSelector?.matchExpressions),
  ];
  const terminating = typeof spec?.activeDeadlineSeconds === 'number';
  const bestEffort = containersOf(spec).every(({ container }) =>
    Object.keys(container?.resources?.requests ?? {}).length === 0 && Object.keys(container?.resources?.limits ?? {}).length === 0);
  return expressions.every((e: any) => {
    switch (e?.scopeName) {
      case 'Terminating': return terminating;
      case 'NotTerminating': return !terminating;
      case 'BestEffort': return bestEffort;
      case 'NotBestEffort': return !bestEffort;
      case 'PriorityClass': {
        const name = spec?.priorityClassName;
        const values: string[] = asArray(e.values);
        switch (e.operator) {
          case 'Exists': return !!name;
          case 'DoesNotExist': return !name;
          case 'In': return !!name && values.includes(name);
          case 'NotIn': return !name || !values.includes(name);
          default: return false;
        }
      }
      default: return false;
    }
  });
}

/** A quantity for the detail: CPU in cores, bytes in Gi/Mi, counts as they are. */
function format(key: string, value: number): string {
  const round = (n: number) => String(Math.round(n * 1000) / 1000);
  if (/memory|storage|hugepages/.test(key)) {
    return value >= 2 ** 30 ? `${round(value / 2 ** 30)}Gi` : `${round(value / 2 ** 20)}Mi`;
  }
  return round(value);
}

function asArray(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}
