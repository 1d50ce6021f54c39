import { ApplyFinding, ApplyVerdict } from '../apply-finding';
import { ApplyContext, ApplyRule, Manifest, finding, identity, quantityBytes, sameJson, show } from './manifests';

/**
 * PersistentVolumeClaim spec fields fixed at creation. Kubernetes pkg/apis/core/validation/validation.go
 * ValidatePersistentVolumeClaimUpdate refuses any spec change but `resources.requests` (growth only, unless the
 * RecoverVolumeExpansionFailure feature lets it shrink back towards what the volume has) and
 * `volumeAttributesClassName`: "spec is immutable after creation except resources.requests and
 * volumeAttributesClassName for bound claims".
 */
const IMMUTABLE_CLAIM_FIELDS = ['storageClassName', 'accessModes', 'volumeMode', 'dataSource', 'dataSourceRef', 'selector', 'volumeName'];

const sizeOf = (claim: Manifest | undefined) => claim?.spec?.resources?.requests?.storage;

/**
 * The claim as the cluster has it before this apply: the previous output's claim, else (the first time the library
 * emits claims beside their StatefulSet, for `originalStorageSize`) the claim the StatefulSet controller made from
 * the previous template, `<template>-<statefulset>-<ordinal>`.
 */
function claimBefore(claim: Manifest, context: ApplyContext): Manifest | undefined {
  const previous = context.previous.find((m) => identity(m) === identity(claim));
  if (previous) return previous;
  const ns = claim.metadata?.namespace ?? '';
  for (const sts of context.previous.filter((m) => m.kind === 'StatefulSet' && (m.metadata?.namespace ?? '') === ns)) {
    for (const template of sts.spec?.volumeClaimTemplates ?? []) {
      const match = new RegExp(`^${template.metadata?.name}-${sts.metadata?.name}-(\\d+)$`).exec(claim.metadata?.name ?? '');
      if (match && Number(match[1]) < (sts.spec?.replicas ?? 1)) return { ...template, metadata: claim.metadata };
    }
  }
  return undefined;
}

/**
 * Claims: pruned (data loss), immutable fields changed, shrunk, or grown on a StorageClass that cannot expand. The
 * PersistentVolumeClaimResize admission plugin (plugin/pkg/admission/storage/persistentvolume/resize) refuses growth
 * unless the claim's StorageClass has `allowVolumeExpansion: true`; only a StorageClass in the output is checked.
 */
export const claimChanges: ApplyRule = (previous, current, context) => {
  if (previous?.kind === 'PersistentVolumeClaim' && current === undefined) {
    return [finding(previous, 'metadata.name', ApplyVerdict.DATA_LOSS,
      `the claim \`${previous.metadata?.name}\` is gone from the output: \`kubectl apply --prune\` or a GitOps tool with pruning deletes it, and its volume with it unless the reclaim policy is Retain`,
      'keep the claim in the output (keep `originalStorageSize` and `storageSize` set), or exclude claims from pruning')];
  }
  if (current?.kind !== 'PersistentVolumeClaim') return [];
  const before = previous ?? claimBefore(current, context);
  if (!before) return [];
  const out: ApplyFinding[] = [];
  for (const field of IMMUTABLE_CLAIM_FIELDS) {
    const [a, b] = [before.spec?.[field], current.spec?.[field]];
    // A field the output leaves out is kept as the cluster has it (apply does not remove what it never set).
    if (b === undefined || sameJson(a, b)) continue;
    out.push(finding(current, `spec.${field}`, ApplyVerdict.REJECTED,
      `\`spec.${field}\` changes from ${show(a)} to ${show(b)}; a claim's spec is immutable after creation but for its size (ValidatePersistentVolumeClaimUpdate)`,
      'keep the field as it was; a different storage class or access mode needs a new database restored from a backup (`restoreFrom`)'));
  }
  const [oldBytes, newBytes] = [quantityBytes(sizeOf(before)), quantityBytes(sizeOf(current))];
  if (oldBytes !== undefined && newBytes !== undefined && newBytes < oldBytes) {
    out.push(finding(current, 'spec.resources.requests.storage', ApplyVerdict.REJECTED,
      `the claim shrinks from ${sizeOf(before)} to ${sizeOf(current)}; claims only grow (ValidatePersistentVolumeClaimUpdate: "field can not be less than previous value")`,
      `keep \`storageSize\` at ${sizeOf(before)} or more; to shrink, create a new database restored from a backup of this one (\`restoreFrom\`)`));
  } else if (oldBytes !== undefined && newBytes !== undefined && newBytes > oldBytes) {
    const className = current.spec?.storageClassName ?? before.spec?.storageClassName;
    const storageClass = context.current.find((m) => m.kind === 'StorageClass' && m.metadata?.name === className);
    if (storageClass && storageClass.allowVolumeExpansion !== true) {
      out.push(finding(current, 'spec.resources.requests.storage', ApplyVerdict.REJECTED,
        `the claim grows from ${sizeOf(before)} to ${sizeOf(current)}, but its StorageClass \`${className}\` does not allow volume expansion (PersistentVolumeClaimResize admission)`,
        `set \`allowVolumeExpansion\` on the StorageClass \`${className}\` (its provisioner must support it), or keep the size`));
    }
  }
  return out;
};
