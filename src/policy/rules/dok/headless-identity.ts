import { templateLabels } from './database-pod';
import { isDatabaseWorkload, objectNamespace, selectorMatches } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * A StatefulSet's pods get their stable DNS names (`<pod>.<serviceName>.<namespace>.svc`) from a headless Service that
 * selects them; the controller does not create it (kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id).
 * Replication and peer discovery of every engine the library ships address members by these names.
 */
export const headlessIdentity: IPolicyRule = {
  id: 'DOK-HEADLESS-IDENTITY',
  level: RuleLevel.ERROR,
  finding: 'A database StatefulSet has no headless Service giving its pods their DNS identity.',
  explanation: 'Render, in the StatefulSet\'s namespace, the Service `spec.serviceName` names, with `clusterIP: None` and a selector '
    + 'that selects the pod template: without it the members\' `<pod>.<service>` names do not resolve, and replicas cannot find each other.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isDatabaseWorkload(o)) return Verdict.notApplicable();
    const name = o.spec?.serviceName;
    const namespace = objectNamespace(o);
    if (typeof name !== 'string' || name === '') return Verdict.nonCompliant('spec.serviceName is not set: its pods have no DNS identity');
    const service = context.find('Service', namespace, name);
    if (!service) return Verdict.nonCompliant(`spec.serviceName names Service ${namespace}/${name}, which is not in the rendered set`);
    const problems: string[] = [];
    if (service.spec?.clusterIP !== 'None') {
      problems.push(`Service ${namespace}/${name} is not headless (clusterIP ${service.spec?.clusterIP ?? 'unset: one is allocated'}, not None)`);
    }
    const selector = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) {
      problems.push(`Service ${namespace}/${name} has no selector, so no endpoints (and no pod DNS records) are made for the pods`);
    } else if (!selectorMatches(selector, templateLabels(o))) {
      problems.push(`the selector of Service ${namespace}/${name} (${JSON.stringify(selector)}) does not select the pod template`);
    }
    return Verdict.fromProblems(problems);
  },
};
