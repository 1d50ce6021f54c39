/**
 * The Kubernetes API from a Job's POSIX shell script (curl), with the ServiceAccount token the kubelet mounts for
 * `automountServiceAccountToken: true`: `$NS` is the pod's namespace, `$API` the namespaces collection, and
 * `api <curl arguments>` prints the HTTP status and leaves the body in /tmp/response.
 * @see https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/#without-using-a-proxy
 */
export const KUBE_API_SHELL: readonly string[] = [
  'SA=/var/run/secrets/kubernetes.io/serviceaccount',
  'NS=$(cat "$SA/namespace")',
  'API=https://kubernetes.default.svc/api/v1/namespaces',
  'api() { curl -sS -o /tmp/response -w "%{http_code}" --cacert "$SA/ca.crt" -H "Authorization: Bearer $(cat "$SA/token")" -H "Content-Type: application/json" "$@"; }',
];
