import { ApiObject, JsonPatch } from 'cdk8s';

/**
 * Keeps a cluster-scoped object (StorageClass, PriorityClass) free of a namespace. cdk8s writes the chart's
 * namespace on every object of a namespaced chart; the API server drops it from a cluster-scoped object, but the
 * YAML then reads as namespaced, and GitOps tools diff the applied object against it forever or refuse it.
 */
export function withoutNamespace(object: ApiObject): ApiObject {
  if (object.metadata.namespace !== undefined) object.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return object;
}
