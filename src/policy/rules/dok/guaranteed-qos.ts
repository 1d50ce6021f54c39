import { LABEL_INSTANCE, containersOf, isDatabaseWorkload, labelsOf, objectNamespace, podSpecOf, sameQuantity } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * Guaranteed QoS needs requests equal to limits for CPU and memory in every container of the pod, init containers and
 * sidecars included (kubelet's qos.GetPodQOS): one container short of it makes the whole pod Burstable, first to be
 * evicted under node memory pressure. A database's Jobs (backups, restores, user setup) count too.
 */
export const guaranteedQos: IPolicyRule = {
  id: 'DOK-GUARANTEED-QOS',
  level: RuleLevel.ERROR,
  finding: 'A database pod, or a Job of a database, is not in the Guaranteed QoS class.',
  explanation: 'Give every container, init containers and sidecars included, CPU and memory requests equal to its limits; '
    + 'the kubelet evicts Burstable pods first under memory pressure (DoK whitepaper: Guaranteed QoS with higher priority).',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!appliesTo(o, context)) return Verdict.notApplicable();
    const problems: string[] = [];
    for (const { role, container } of containersOf(podSpecOf(o))) {
      const req = container?.resources?.requests ?? {};
      const lim = container?.resources?.limits ?? {};
      for (const r of ['cpu', 'memory']) {
        if (lim[r] === undefined) {problems.push(`${role} \`${container?.name}\` has no ${r} limit`);} else if (req[r] !== undefined && !sameQuantity(req[r], lim[r])) {
          problems.push(`${role} \`${container?.name}\` requests ${req[r]} ${r} but is limited to ${lim[r]}`);
        }
      }
    }
    return Verdict.fromProblems(problems);
  },
};

/** Database controllers, and Jobs/CronJobs labelled with the instance of a database in the same namespace. */
function appliesTo(o: any, context: PolicyContext): boolean {
  if (isDatabaseWorkload(o)) return true;
  if (o.kind !== 'Job' && o.kind !== 'CronJob') return false;
  const instance = labelsOf(o)[LABEL_INSTANCE];
  const instances: Set<string> = context.memo('database-instances', () => new Set(context.ofKind('StatefulSet')
    .filter(isDatabaseWorkload).map((s) => `${objectNamespace(s)}/${labelsOf(s)[LABEL_INSTANCE]}`)));
  return !!instance && instances.has(`${objectNamespace(o)}/${instance}`);
}
