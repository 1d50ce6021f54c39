import { databaseContainers } from './database-pod';
import { isDatabaseWorkload } from '../../manifest';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * Without a readinessProbe a pod is an endpoint as soon as it starts (a replica still catching up takes reads); without a
 * livenessProbe a hung engine is never restarted. A startupProbe is optional: it only holds the other two off while a
 * long recovery runs.
 */
export const probes: IPolicyRule = {
  id: 'DOK-PROBES',
  level: RuleLevel.ERROR,
  finding: 'A database container lacks a readiness or liveness probe.',
  explanation: 'Give each container serving the database (every container with a port other than metrics, or the first one) '
    + 'a readinessProbe, so Services route only to members able to serve, and a livenessProbe, so the kubelet restarts a hung engine; '
    + 'add a startupProbe when recovery can outlast the liveness threshold.',
  evaluate(o: any): Verdict {
    if (!isDatabaseWorkload(o)) return Verdict.notApplicable();
    const problems: string[] = [];
    for (const c of databaseContainers(o)) {
      const lacking = ['readinessProbe', 'livenessProbe'].filter((p) => !c[p]);
      if (lacking.length) problems.push(`container \`${c.name}\` has no ${lacking.join(' and no ')}`);
    }
    return Verdict.fromProblems(problems);
  },
};
