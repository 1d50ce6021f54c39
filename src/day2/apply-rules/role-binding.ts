import { ApplyVerdict } from '../apply-finding';
import { ApplyRule, finding, kubectlTarget, sameJson, show } from './manifests';

/** Kubernetes pkg/apis/rbac/validation/validation.go ValidateRoleBindingUpdate / ValidateClusterRoleBindingUpdate: "cannot change roleRef". */
export const roleBindingRoleRef: ApplyRule = (previous, current) => {
  const kinds = ['RoleBinding', 'ClusterRoleBinding'];
  if (!kinds.includes(current?.kind) || previous?.kind !== current?.kind || sameJson(previous?.roleRef, current?.roleRef)) return [];
  return [finding(current!, 'roleRef', ApplyVerdict.REJECTED,
    `roleRef changes from ${show(previous!.roleRef)} to ${show(current!.roleRef)}; a binding cannot change its roleRef (Validate${current!.kind}Update)`,
    `delete the binding, then apply: \`kubectl delete ${kubectlTarget(current!)}\``)];
};
