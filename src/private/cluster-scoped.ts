import { ApiObject, Chart, JsonPatch } from 'cdk8s';

/** Kinds without a namespace, one name per cluster: the built-in ones and the CRDs the library emits or reads. */
export const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'PriorityClass', 'StorageClass', 'ClusterRole', 'ClusterRoleBinding',
  'CustomResourceDefinition', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'APIService', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'RuntimeClass', 'IngressClass',
  'VolumeSnapshotClass', 'VolumeSnapshotContent', 'VolumeReplicationClass', 'SchedulePolicy', 'ClusterIssuer',
]);

/** The namespace an object lands in: its own, else its chart's; none for a cluster-scoped kind. */
export function namespaceOf(obj: ApiObject): string | undefined {
  return CLUSTER_SCOPED.has(obj.kind) ? undefined : obj.metadata.namespace ?? Chart.of(obj).namespace;
}

/**
 * Keeps a cluster-scoped object (StorageClass, PriorityClass) free of a namespace. cdk8s writes the chart's
 * namespace on every object of a namespaced chart; the API server drops it from a cluster-scoped object, but the
 * YAML then reads as namespaced, and GitOps tools diff the applied object against it forever or refuse it.
 */
export function withoutNamespace(object: ApiObject): ApiObject {
  if (object.metadata.namespace !== undefined) object.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return object;
}
