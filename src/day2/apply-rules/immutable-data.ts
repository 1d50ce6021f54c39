import { ApplyVerdict } from '../apply-finding';
import { ApplyRule, finding, kubectlTarget, sameJson } from './manifests';

const DATA_FIELDS = ['data', 'stringData', 'binaryData'];

/**
 * A Secret or ConfigMap created `immutable: true`. Kubernetes pkg/apis/core/validation/validation.go
 * ValidateSecretUpdate / ValidateConfigMapUpdate: "field is immutable when `immutable` is set", for the data and for
 * the flag itself.
 */
export const immutableData: ApplyRule = (previous, current) => {
  if (!['Secret', 'ConfigMap'].includes(current?.kind) || previous?.kind !== current?.kind || previous?.immutable !== true) return [];
  const changed = [...DATA_FIELDS.filter((f) => !sameJson(previous[f], current![f])), ...(current!.immutable !== true ? ['immutable'] : [])];
  return changed.map((f) => finding(current!, f, ApplyVerdict.REJECTED,
    `the ${current!.kind} was created immutable and its \`${f}\` changes (Validate${current!.kind}Update: "field is immutable when \`immutable\` is set")`,
    `give it a new name derived from its content and point its users at it, or delete it first: \`kubectl delete ${kubectlTarget(current!)}\``));
};
