import { ApplyVerdict } from '../apply-finding';
import { ApplyRule, finding, kubectlTarget, sameJson, show } from './manifests';

/**
 * csi-addons (config/crd/bases/replication.storage.openshift.io_*.yaml, x-kubernetes-validations): a
 * VolumeReplicationClass's `provisioner` and `parameters` are immutable, and so are a VolumeReplication's
 * `volumeReplicationClass` and `dataSource`. A new interval is a new class, and the replications must be made again,
 * which ceph-csi answers with a full resync of the volumes.
 */
const IMMUTABLE: Record<string, string[]> = {
  VolumeReplicationClass: ['spec.provisioner', 'spec.parameters'],
  VolumeReplication: ['spec.volumeReplicationClass', 'spec.dataSource'],
};

const read = (m: Record<string, any>, path: string) => path.split('.').reduce<any>((o, k) => o?.[k], m);

/** A csi-addons replication object whose fixed fields change. */
export const volumeReplicationFields: ApplyRule = (previous, current) => {
  if (!current || !previous || previous.kind !== current.kind || !current.apiVersion?.startsWith('replication.storage.openshift.io/')) return [];
  return (IMMUTABLE[current.kind] ?? []).filter((f) => !sameJson(read(previous, f), read(current, f))).map((f) =>
    finding(current, f, ApplyVerdict.REJECTED,
      `\`${f}\` of the ${current.kind} changes from ${show(read(previous, f))} to ${show(read(current, f))}; csi-addons makes it immutable`,
      `delete it and apply again (\`kubectl delete ${kubectlTarget(current)}\`); for a VolumeReplication this stops the replication of its volume `
      + 'until the new object is reconciled, and the driver may copy the whole volume again (ceph-csi resyncs a re-enabled image)'));
};
