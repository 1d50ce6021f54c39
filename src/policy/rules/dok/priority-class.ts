import { isDatabaseWorkload, podSpecOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/** The built-in classes (scheduling.k8s.io, pkg/apis/scheduling/types.go): kept for components the cluster cannot run without. */
const SYSTEM_CLASSES = new Set(['system-cluster-critical', 'system-node-critical']);

/**
 * Pods without a class run at the global default's priority, 0 when there is none (kube-apiserver's Priority admission
 * plugin). A class named but not rendered may be a cluster's own: only its value in the set can be checked.
 */
export const priorityClass: IPolicyRule = {
  id: 'DOK-PRIORITY-CLASS',
  level: RuleLevel.WARNING,
  finding: 'A database pod has no PriorityClass above the default pods.',
  explanation: 'Set `priorityClassName` to a PriorityClass with a positive value (e.g. `DatabasePriorityClass`), so that under '
    + 'resource pressure the scheduler preempts other work before the database (DoK whitepaper: Guaranteed QoS with higher priority). '
    + 'Do not use system-cluster-critical or system-node-critical: they are for the components the cluster itself needs.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isDatabaseWorkload(o)) return Verdict.notApplicable();
    const name = podSpecOf(o)?.priorityClassName;
    const classes = context.ofKind('PriorityClass');
    if (typeof name !== 'string' || name === '') {
      const globalDefault = classes.find((c) => c.globalDefault === true);
      if (globalDefault && Number(globalDefault.value) > 0) return Verdict.compliant();
      return Verdict.nonCompliant('the pod template names no priorityClassName: its pods run at priority '
        + `${globalDefault ? `${globalDefault.value} (global default PriorityClass ${globalDefault.metadata?.name})` : '0'}, no higher than any other pod`);
    }
    if (SYSTEM_CLASSES.has(name)) {
      return Verdict.nonCompliant(`priorityClassName ${name} is reserved for cluster components: a database preempting them can break the cluster`);
    }
    const found = classes.find((c) => c.metadata?.name === name);
    if (found && !(Number(found.value) > 0)) {
      return Verdict.nonCompliant(`PriorityClass ${name} has value ${found.value}, not above the default pods' 0`);
    }
    return Verdict.compliant();
  },
};
