import { memberClaimPattern } from '../../private/claim-names';
import { ApplyVerdict } from '../apply-finding';
import { ApplyRule, finding } from './manifests';

/**
 * A StatefulSet of the previous output that the current one no longer has: a renamed database, one moved to another
 * namespace, or a removed rack. Whatever replaces it starts on new, empty claims; the old claims survive only with
 * `persistentVolumeClaimRetentionPolicy.whenDeleted: Retain`, and then nothing uses them.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#persistentvolumeclaim-retention
 */
export const statefulSetRemoved: ApplyRule = (previous, current) => {
  if (previous?.kind !== 'StatefulSet' || current !== undefined) return [];
  const retained = (previous.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? 'Retain') === 'Retain';
  const claims = (previous.spec?.volumeClaimTemplates ?? []).map((t: any) => memberClaimPattern(t.metadata?.name, previous.metadata?.name)).join(', ');
  return [finding(previous, 'metadata.name', ApplyVerdict.DATA_LOSS,
    `the StatefulSet \`${previous.metadata?.name}\` is gone from the output (renamed, moved to another namespace or removed): `
    + 'a database under the new name starts on empty volumes, and '
    + (retained ? `the old claims (${claims || 'none'}) stay, unused, once it is pruned` : `its claims (${claims || 'none'}) are deleted with it (whenDeleted: Delete)`),
    'keep `name` and the namespace as they were; to move the data, create the new database with `restoreFrom` a backup of the old one, '
    + 'and remove the old one only after checking the new one')];
};
