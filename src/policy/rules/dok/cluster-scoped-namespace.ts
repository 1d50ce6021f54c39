import { CLUSTER_SCOPED_KINDS } from '../../manifest';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * A cluster-scoped object has no namespace: the API server ignores `metadata.namespace` on it (kubectl apply warns or
 * fails, depending on the version), so a namespace written there says something untrue, usually that the author
 * expected the object to be deleted with the namespace or isolated in it.
 */
export const clusterScopedNamespace: IPolicyRule = {
  id: 'DOK-CLUSTER-SCOPED-NAMESPACE',
  level: RuleLevel.ERROR,
  finding: 'A cluster-scoped object names a namespace.',
  explanation: 'Kinds such as StorageClass, PriorityClass, ClusterRole or VolumeSnapshotClass live outside namespaces: '
    + 'the namespace is ignored, the object is shared by every tenant and survives the namespace\'s deletion. '
    + 'Remove `metadata.namespace` (a cdk8s chart\'s namespace is applied to every object of the chart: put cluster-scoped '
    + 'objects in a chart without one).',
  evaluate(o: any): Verdict {
    if (!CLUSTER_SCOPED_KINDS.has(o?.kind)) return Verdict.notApplicable();
    const namespace = o.metadata?.namespace;
    if (namespace === undefined || namespace === null || namespace === '') return Verdict.compliant();
    return Verdict.nonCompliant(`${o.kind} \`${o.metadata?.name}\` is cluster-scoped but sets metadata.namespace \`${namespace}\``);
  },
};
