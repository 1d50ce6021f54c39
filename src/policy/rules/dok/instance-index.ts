import { LABEL_INSTANCE, instanceMembers, isDatabaseWorkload, labelsOf, objectNamespace } from '../../manifest';
import { PolicyContext } from '../../policy-context';

/**
 * `instanceMembers` over the whole set, from an index built once per check: the database StatefulSets by namespace and
 * instance label, in the order of the set (several rules ask it of every StatefulSet).
 */
export function instanceMembersIn(o: any, context: PolicyContext): any[] {
  const instance = labelsOf(o)[LABEL_INSTANCE];
  if (!instance) return instanceMembers(o, context.objects);
  const index: Map<string, Map<unknown, any[]>> = context.memo('instance-members:by-namespace-and-instance', () => {
    const byNamespace = new Map<string, Map<unknown, any[]>>();
    // Only StatefulSets are database workloads; ofKind keeps the set's order.
    for (const s of context.ofKind('StatefulSet').filter(isDatabaseWorkload)) {
      const namespace = objectNamespace(s);
      const byInstance = byNamespace.get(namespace) ?? new Map<unknown, any[]>();
      byNamespace.set(namespace, byInstance);
      const key = labelsOf(s)[LABEL_INSTANCE];
      const members = byInstance.get(key) ?? [];
      members.push(s);
      byInstance.set(key, members);
    }
    return byNamespace;
  });
  return index.get(objectNamespace(o))?.get(instance) ?? [];
}
