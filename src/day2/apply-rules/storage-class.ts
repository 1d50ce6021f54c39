import { ApplyVerdict } from '../apply-finding';
import { ApplyRule, finding, kubectlTarget, sameJson, show } from './manifests';

/**
 * Kubernetes pkg/apis/storage/validation/validation.go ValidateStorageClassUpdate: "updates to parameters are
 * forbidden", and provisioner, reclaimPolicy and volumeBindingMode are immutable. `allowVolumeExpansion` may change.
 */
const IMMUTABLE_STORAGE_CLASS_FIELDS = ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode'];

/** A StorageClass whose fixed fields change. */
export const storageClassFields: ApplyRule = (previous, current) => {
  if (previous?.kind !== 'StorageClass' || current?.kind !== 'StorageClass') return [];
  return IMMUTABLE_STORAGE_CLASS_FIELDS.filter((f) => !sameJson(previous[f], current[f])).map((f) =>
    finding(current, f, ApplyVerdict.REJECTED,
      `\`${f}\` of the StorageClass changes from ${show(previous[f])} to ${show(current[f])}; it is immutable (ValidateStorageClassUpdate)`,
      `delete the StorageClass, then apply: \`kubectl delete ${kubectlTarget(current)}\`; existing volumes keep what they were provisioned with, `
      + 'only new claims get the new settings'));
};
