import { ApplyContext, ApplyRule, Manifest, finding, kubectlTarget, namespacedKey, sameJson, show } from './manifests';
import { parseMemberClaimName } from '../../private/claim-names';
import { quantityBytes } from '../../private/quantity';
import { NEVER_PRUNE } from '../../storage/volume-expansion';
import { ApplyFinding, ApplyVerdict } from '../apply-finding';

/**
 * PersistentVolumeClaim spec fields fixed at creation. Kubernetes pkg/apis/core/validation/validation.go
 * ValidatePersistentVolumeClaimUpdate refuses any spec change but `resources.requests` (growth only, unless the
 * RecoverVolumeExpansionFailure feature lets it shrink back towards what the volume has) and
 * `volumeAttributesClassName`: "spec is immutable after creation except resources.requests and
 * volumeAttributesClassName for bound claims".
 */
const IMMUTABLE_CLAIM_FIELDS = ['storageClassName', 'accessModes', 'volumeMode', 'dataSource', 'dataSourceRef', 'selector', 'volumeName'];

const sizeOf = (claim: Manifest | undefined) => claim?.spec?.resources?.requests?.storage;

/** A member claim's StatefulSet in `statefulSets` (by `namespace/name`), the claim template and the ordinal. */
interface MemberOf {
  readonly statefulSet: Manifest;
  readonly template: Manifest;
  readonly ordinal: number;
}

function memberOf(claim: Manifest, statefulSets: Map<string, Manifest>): MemberOf | undefined {
  for (const parts of parseMemberClaimName(claim.metadata?.name ?? '')) {
    const statefulSet = statefulSets.get(namespacedKey(claim.metadata?.namespace, parts.statefulSetName));
    const template = (statefulSet?.spec?.volumeClaimTemplates ?? []).find((t: Manifest) => t.metadata?.name === parts.claimTemplateName);
    if (statefulSet && template) return { statefulSet, template, ordinal: parts.ordinal };
  }
  return undefined;
}

/**
 * The claim as the cluster has it before this apply: the previous output's claim, else (the first time the library
 * emits claims beside their StatefulSet, for `originalStorageSize`) the claim the StatefulSet controller made from
 * the previous template, `<template>-<statefulset>-<ordinal>`.
 */
function claimBefore(claim: Manifest, context: ApplyContext): Manifest | undefined {
  const member = memberOf(claim, context.previousStatefulSets);
  if (!member || member.ordinal >= (member.statefulSet.spec?.replicas ?? 1)) return undefined;
  return { ...member.template, metadata: claim.metadata };
}

/** Whether GitOps tools are told never to prune the claim (the annotations grown claims carry). */
const neverPruned = (claim: Manifest) => Object.entries(NEVER_PRUNE).every(([k, v]) => claim.metadata?.annotations?.[k] === v);

/**
 * A grown claim of a member scaled away: Argo CD and Flux keep it (NEVER_PRUNE), and the StatefulSet controller keeps
 * it too unless `whenScaled` is Delete; either way, nothing to block (docs/volume-expansion.md).
 */
function scaledAwayClaim(claim: Manifest, context: ApplyContext): ApplyFinding | undefined {
  if (!neverPruned(claim)) return undefined;
  const member = memberOf(claim, context.currentStatefulSets);
  if (!member || member.ordinal < (member.statefulSet.spec?.replicas ?? 1)) return undefined;
  const name = claim.metadata?.name;
  const scaled = `the claim \`${name}\` of member ${member.ordinal}, scaled away (\`${member.statefulSet.metadata?.name}\` now has ${member.statefulSet.spec?.replicas ?? 1} replicas), is gone from the output`;
  if (member.statefulSet.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') {
    return finding(claim, 'metadata.name', ApplyVerdict.NO_EFFECT,
      `${scaled}: the StatefulSet controller deletes it with the member (\`pvcRetentionWhenScaled\`: Delete)`,
      'nothing to do; a later scale-out starts that member on a new, empty claim');
  }
  return finding(claim, 'metadata.name', ApplyVerdict.NO_EFFECT,
    `${scaled}: it is retained, unused (Argo CD and Flux do not prune it, and the StatefulSet controller keeps it with whenScaled: Retain); `
    + 'a later scale-out reuses it with its data. Only `kubectl apply --prune` would delete it',
    `delete it by hand once the member is gone for good: \`kubectl delete ${kubectlTarget(claim)}\``);
}

/**
 * Claims: pruned (data loss), immutable fields changed, shrunk, or grown on a StorageClass that cannot expand. The
 * PersistentVolumeClaimResize admission plugin (plugin/pkg/admission/storage/persistentvolume/resize) refuses growth
 * unless the claim's StorageClass has `allowVolumeExpansion: true`; only a StorageClass in the output is checked.
 */
export const claimChanges: ApplyRule = (previous, current, context) => {
  if (previous?.kind === 'PersistentVolumeClaim' && current === undefined) {
    const scaledAway = scaledAwayClaim(previous, context);
    if (scaledAway) return [scaledAway];
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
    const storageClass = context.currentStorageClasses.get(className);
    if (storageClass && storageClass.allowVolumeExpansion !== true) {
      out.push(finding(current, 'spec.resources.requests.storage', ApplyVerdict.REJECTED,
        `the claim grows from ${sizeOf(before)} to ${sizeOf(current)}, but its StorageClass \`${className}\` does not allow volume expansion (PersistentVolumeClaimResize admission)`,
        `set \`allowVolumeExpansion\` on the StorageClass \`${className}\` (its provisioner must support it), or keep the size`));
    }
  }
  return out;
};
