import { databaseContainers } from './database-pod';
import { isDatabaseWorkload, podSpecOf, replicasOf } from '../../manifest';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/** The API's default terminationGracePeriodSeconds (core/v1 PodSpec). */
const DEFAULT_GRACE_SECONDS = 30;

/**
 * On deletion the kubelet runs the preStop hook, then sends SIGTERM, then SIGKILL when the grace period is over
 * (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination). A database killed mid-checkpoint recovers
 * from its log at the next start; a primary stopped without handing over leaves its replicas to time out first.
 * A replicated member therefore needs a stop the author thought about: a preStop hook (handover, drain) or at least
 * a grace period set on purpose.
 */
export const gracefulStop: IPolicyRule = {
  id: 'DOK-GRACEFUL-STOP',
  level: RuleLevel.WARNING,
  finding: 'A database pod may be killed before it shuts down cleanly.',
  explanation: `Keep terminationGracePeriodSeconds at ${DEFAULT_GRACE_SECONDS} or more, sized to the engine's shutdown (flush, checkpoint); `
    + 'for a replicated database give the database container a preStop hook that hands over the primary role or drains the member, '
    + 'or set the grace period explicitly (DoK whitepaper: graceful shutdown).',
  evaluate(o: any): Verdict {
    if (!isDatabaseWorkload(o)) return Verdict.notApplicable();
    const grace = podSpecOf(o)?.terminationGracePeriodSeconds;
    if (typeof grace === 'number' && grace < DEFAULT_GRACE_SECONDS) {
      return Verdict.nonCompliant(`terminationGracePeriodSeconds is ${grace}, under ${DEFAULT_GRACE_SECONDS}: the kubelet kills the `
        + `database ${grace} s after asking it to stop`);
    }
    const replicas = replicasOf(o);
    if (replicas > 1 && typeof grace !== 'number') {
      const containers = databaseContainers(o);
      if (containers.length > 0 && !containers.some((c) => c?.lifecycle?.preStop)) {
        return Verdict.nonCompliant(`its ${replicas} replicas stop with the API default terminationGracePeriodSeconds of ${DEFAULT_GRACE_SECONDS} `
          + `and no preStop hook on container ${containers.map((c) => `\`${c?.name}\``).join(', ')}`);
      }
    }
    return Verdict.compliant();
  },
};
