import { IPolicyRule } from '../rule';
import { DOK_BACKUP_RULES } from './dok-backup-rules';
import { DOK_DISRUPTION_RULES } from './dok-disruption-rules';
import { DOK_OBJECT_SET_RULES } from './dok-object-set-rules';
import { DOK_WORKLOAD_RULES } from './dok-workload-rules';
import { restrictedPodSecurity } from './security/restricted-pod-security';

/** The Data on Kubernetes pack, in the order RULES.md lists it. */
export const DATA_ON_KUBERNETES_RULES: IPolicyRule[] = [
  ...DOK_WORKLOAD_RULES,
  // The whitepaper's secure defaults: the same rule as in the security baseline (a rule in two packs runs once).
  restrictedPodSecurity,
  ...DOK_DISRUPTION_RULES,
  ...DOK_BACKUP_RULES,
  ...DOK_OBJECT_SET_RULES,
];
