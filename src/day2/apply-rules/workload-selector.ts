import { ApplyVerdict } from '../apply-finding';
import { ApplyRule, finding, kubectlTarget, sameJson, show } from './manifests';

const WORKLOADS = new Set(['Deployment', 'DaemonSet', 'ReplicaSet']);

/**
 * The selector of a Deployment, DaemonSet or ReplicaSet. Kubernetes pkg/apis/apps/validation/validation.go
 * ValidateDeploymentUpdate, ValidateDaemonSetUpdate and ValidateReplicaSetUpdate refuse a selector change in apps/v1
 * (ValidateImmutableField: "field is immutable").
 */
export const workloadSelector: ApplyRule = (previous, current) => {
  if (!WORKLOADS.has(current?.kind) || previous?.kind !== current?.kind || sameJson(previous?.spec?.selector, current?.spec?.selector)) return [];
  return [finding(current!, 'spec.selector', ApplyVerdict.REJECTED,
    `the selector changes from ${show(previous!.spec?.selector)} to ${show(current!.spec?.selector)}; it is immutable in apps/v1 (Validate${current!.kind}Update)`,
    `delete it, then apply: \`kubectl delete ${kubectlTarget(current!)}\` (its pods go with it), or keep the selector`)];
};
