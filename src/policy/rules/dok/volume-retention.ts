import { annotationsOf, isDatabaseWorkload } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/** The annotation that makes a StorageClass the default for claims naming none (storage.k8s.io). */
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

/**
 * Two ways the data goes with its claim: the StatefulSet deletes claims (persistentVolumeClaimRetentionPolicy, on by default from 1.27,
 * absent fields mean Retain), or the StorageClass deletes the volume once its claim goes (reclaimPolicy, Delete when absent).
 */
export const volumeRetention: IPolicyRule = {
  id: 'DOK-VOLUME-RETENTION',
  level: RuleLevel.ERROR,
  finding: 'Deleting or scaling down a database StatefulSet, or deleting a claim, destroys its data.',
  explanation: 'Keep `persistentVolumeClaimRetentionPolicy.whenDeleted` and `whenScaled` at Retain, and give the claim templates a '
    + 'StorageClass with `reclaimPolicy: Retain` (`DatabaseStorageClass` does): a volume then outlives a mistaken `kubectl delete`, '
    + 'a scale-down or an uninstall, and can be bound again.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isDatabaseWorkload(o)) return Verdict.notApplicable();
    const problems: string[] = [];
    const policy = o.spec?.persistentVolumeClaimRetentionPolicy ?? {};
    for (const when of ['whenDeleted', 'whenScaled']) {
      if (policy[when] === 'Delete') problems.push(`persistentVolumeClaimRetentionPolicy.${when} is Delete`);
    }
    const classes = context.ofKind('StorageClass');
    const seen = new Set<string>();
    for (const template of Array.isArray(o.spec?.volumeClaimTemplates) ? o.spec.volumeClaimTemplates : []) {
      const named = template?.spec?.storageClassName;
      // "" asks for a volume without a class (pre-provisioned); absent takes the default class.
      if (named === '') continue;
      const storageClass = typeof named === 'string'
        ? classes.find((c) => c.metadata?.name === named)
        : classes.find((c) => annotationsOf(c)[DEFAULT_CLASS_ANNOTATION] === 'true');
      if (!storageClass || seen.has(storageClass.metadata?.name)) continue;
      seen.add(storageClass.metadata?.name);
      const reclaim = storageClass.reclaimPolicy ?? 'Delete';
      if (reclaim === 'Delete') {
        problems.push(`claim template \`${template.metadata?.name}\` uses StorageClass ${storageClass.metadata?.name}`
          + `${typeof named === 'string' ? '' : ' (the default class)'}, whose reclaimPolicy is ${storageClass.reclaimPolicy ?? 'unset (Delete)'}`);
      }
    }
    return Verdict.fromProblems(problems);
  },
};
