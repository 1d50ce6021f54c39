import { CLUSTER_SCOPED_KINDS, objectNamespace } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * The API server keys an object by group, kind (resource), namespace and name; the version is not part of it
 * (`apps/v1` and `apps/v1beta2` Deployments are one object). Two such objects in one set: `kubectl apply` applies both,
 * the last one wins, and the first one's content is silently lost.
 */
export const duplicateObject: IPolicyRule = {
  id: 'DOK-DUPLICATE-OBJECT',
  level: RuleLevel.ERROR,
  finding: 'Two objects of the set have the same group, kind, namespace and name.',
  explanation: 'kubectl apply (or any GitOps tool) applies one after the other to the same API object: the last one '
    + 'overwrites the first, whose settings are lost without a warning. Give each object its own name, or remove the copy.',
  evaluate(o: any, context: PolicyContext): Verdict {
    const name = o?.metadata?.name;
    if (typeof name !== 'string' || !name) return Verdict.notApplicable();
    const positions = (indexOf(context).get(identityOf(o)!) ?? []).map((index) => ({ x: context.objects[index], index }));
    const others = positions.filter(({ x }) => x !== o);
    if (others.length === 0) return Verdict.compliant();
    const own = positions.findIndex(({ x }) => x === o);
    const where = others.map(({ x, index }) => `object #${index + 1}${x.apiVersion !== o.apiVersion ? ` (${x.apiVersion})` : ''}`);
    const place = own >= 0 ? ` (object #${positions[own].index + 1} of the set)` : '';
    return Verdict.nonCompliant(`${describe(o)}${place} is also ${where.join(', ')}: `
      + 'applying the set makes the last one overwrite the others');
  },
};

/** Positions of the objects by identity, once per set: the rule runs on every object of it. */
const indexes = new WeakMap<PolicyContext, Map<string, number[]>>();
function indexOf(context: PolicyContext): Map<string, number[]> {
  let index = indexes.get(context);
  if (!index) {
    index = new Map();
    context.objects.forEach((x, i) => {
      const key = identityOf(x);
      if (key !== undefined) index!.set(key, [...(index!.get(key) ?? []), i]);
    });
    indexes.set(context, index);
  }
  return index;
}

/** The API group of an apiVersion: `apps/v1` is `apps`, `v1` is the core group. */
function groupOf(apiVersion: unknown): string {
  const v = typeof apiVersion === 'string' ? apiVersion : '';
  return v.includes('/') ? v.slice(0, v.indexOf('/')) : '';
}

function identityOf(o: any): string | undefined {
  const name = o?.metadata?.name;
  if (typeof name !== 'string' || !name) return undefined;
  const namespace = CLUSTER_SCOPED_KINDS.has(o.kind) ? '' : objectNamespace(o);
  return JSON.stringify([groupOf(o.apiVersion), o.kind, namespace, name]);
}

function describe(o: any): string {
  const group = groupOf(o.apiVersion);
  const kind = group ? `${o.kind}.${group}` : o.kind;
  return CLUSTER_SCOPED_KINDS.has(o.kind) ? `${kind} ${o.metadata.name}` : `${kind} ${objectNamespace(o)}/${o.metadata.name}`;
}
