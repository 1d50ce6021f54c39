import { memberClaimPattern } from '../../private/claim-names';
import { ANNOTATION_ORIGINAL_STORAGE_SIZE } from '../../storage/volume-expansion';
import { ApplyFinding, ApplyVerdict } from '../apply-finding';
import { ApplyRule, Manifest, finding, kubectlTarget, sameJson, show } from './manifests';

/**
 * StatefulSet spec fields an update may change. Kubernetes pkg/apis/apps/validation/validation.go
 * ValidateStatefulSetUpdate copies these from the new object onto the old and refuses any other difference:
 * "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy',
 * 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden" (1.28). `revisionHistoryLimit` joined
 * the list in later releases; 1.28 still refuses it, so it is not listed here.
 */
const MUTABLE_SPEC_FIELDS = new Set(['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds']);

const orphanFix = (sts: Manifest) =>
  `run \`kubectl delete ${kubectlTarget(sts)} --cascade=orphan\`, then apply: the pods and their claims stay, and the new StatefulSet `
  + 'adopts them (its pods restart only where the pod template changed)';

/** Immutable StatefulSet fields: selector, serviceName, podManagementPolicy, volumeClaimTemplates and the rest. */
export const statefulSetImmutableFields: ApplyRule = (previous, current) => {
  if (previous?.kind !== 'StatefulSet' || current?.kind !== 'StatefulSet') return [];
  const before = previous.spec ?? {};
  const after = current.spec ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((f) => !MUTABLE_SPEC_FIELDS.has(f) && !sameJson(before[f], after[f]));
  return fields.flatMap((f): ApplyFinding[] => {
    if (f === 'volumeClaimTemplates') return claimTemplateFindings(previous, current, before[f] ?? [], after[f] ?? []);
    if (f === 'selector') {
      return [finding(current, 'spec.selector', ApplyVerdict.REJECTED,
        `the selector changes from ${show(before.selector)} to ${show(after.selector)}; the API server refuses it (ValidateStatefulSetUpdate), `
        + 'and a StatefulSet recreated with the new selector would not adopt the running pods, whose labels match the old one',
        'keep what the selector is made of (engine family, `name`, racks) as it was; to change it, create a new database '
        + 'restored from a backup of this one (`restoreFrom`) and move the applications over')];
    }
    return [finding(current, `spec.${f}`, ApplyVerdict.REJECTED,
      `\`spec.${f}\` changes from ${show(before[f])} to ${show(after[f])}; the API server refuses updates to it (ValidateStatefulSetUpdate)`,
      orphanFix(current))];
  });
};

/** Claim templates: a size change has its own way through (`originalStorageSize`); anything else needs the orphan delete. */
function claimTemplateFindings(previous: Manifest, sts: Manifest, before: Manifest[], after: Manifest[]): ApplyFinding[] {
  const name = (t: Manifest) => t.metadata?.name ?? '';
  const size = (t: Manifest | undefined) => t?.spec?.resources?.requests?.storage;
  // The size the volumes were created with, as the previous output recorded it when it grew them.
  const recorded: string | undefined = previous.metadata?.annotations?.[ANNOTATION_ORIGINAL_STORAGE_SIZE];
  const out: ApplyFinding[] = [];
  for (const template of after) {
    const old = before.find((t) => name(t) === name(template));
    if (old && sameJson(old, template)) continue;
    const field = `spec.volumeClaimTemplates[${name(template)}]`;
    const onlySize = old !== undefined && size(old) !== size(template)
      && sameJson({ ...old, spec: { ...old.spec, resources: undefined } }, { ...template, spec: { ...template.spec, resources: undefined } })
      && sameJson({ ...old.spec?.resources, requests: undefined }, { ...template.spec?.resources, requests: undefined });
    if (onlySize) {
      out.push(finding(sts, `${field}.spec.resources.requests.storage`, ApplyVerdict.REJECTED,
        `the claim template's size changes from ${size(old)} to ${size(template)}; claim templates cannot be updated (ValidateStatefulSetUpdate), `
        + 'and existing claims would not grow from them anyway',
        recorded !== undefined
          ? `keep \`originalStorageSize\` at ${recorded}, the size the claims were created with (the previous output records it in ${ANNOTATION_ORIGINAL_STORAGE_SIZE}), `
            + `and grow the claims \`${memberClaimPattern(name(template), sts.metadata?.name)}\` with \`storageSize\` alone (see docs/upgrades.md)`
          : `set \`originalStorageSize\` to ${size(old)} (the size the claims were created with) and keep \`storageSize\` at ${size(template)}: `
            + `the template keeps ${size(old)}, and the claims \`${memberClaimPattern(name(template), sts.metadata?.name)}\` are emitted at the new size, `
            + 'which grows them where the StorageClass allows volume expansion (see docs/upgrades.md)'));
    } else {
      out.push(finding(sts, field, ApplyVerdict.REJECTED,
        old ? `the claim template \`${name(template)}\` changes (${show(old.spec)} to ${show(template.spec)}); claim templates cannot be updated (ValidateStatefulSetUpdate)`
          : `a claim template \`${name(template)}\` is added; claim templates cannot be updated (ValidateStatefulSetUpdate)`,
        `${orphanFix(sts)}; existing claims keep what they were created with: change them with \`kubectl patch pvc\` where the field is mutable`));
    }
  }
  for (const old of before.filter((t) => !after.some((t2) => name(t2) === name(t)))) {
    out.push(finding(sts, `spec.volumeClaimTemplates[${name(old)}]`, ApplyVerdict.REJECTED,
      `the claim template \`${name(old)}\` is removed; claim templates cannot be updated (ValidateStatefulSetUpdate)`,
      `${orphanFix(sts)}; the claims \`${memberClaimPattern(name(old), sts.metadata?.name)}\` stay until deleted by hand`));
  }
  return out;
}
