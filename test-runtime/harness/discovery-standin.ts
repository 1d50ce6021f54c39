import * as http from 'http';
import { AddressInfo } from 'net';
import { quantityBytes } from '../../src/private/quantity';

/** A resource the stand-in serves: its kind, plural and scope, as `kubectl api-resources` lists them. */
interface Served {
  readonly groupVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const ns = (groupVersion: string, kind: string, plural: string): Served => ({ groupVersion, kind, plural, namespaced: true });
const cluster = (groupVersion: string, kind: string, plural: string): Served => ({ groupVersion, kind, plural, namespaced: false });

/**
 * The resources of a Kubernetes 1.28 cluster with the library's prerequisites installed (external-snapshotter's
 * CRDs, prometheus-operator's, cert-manager's) and a DRPair's (Multi-Cluster Services' ServiceExport, csi-addons'
 * volume replication, Portworx Stork's), as their API groups publish them. An object of any other kind is a
 * "no matches for kind" error in kubectl, as on such a cluster.
 */
const SERVED: Served[] = [
  ns('v1', 'ConfigMap', 'configmaps'), ns('v1', 'Secret', 'secrets'), ns('v1', 'Service', 'services'),
  ns('v1', 'ServiceAccount', 'serviceaccounts'), ns('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'),
  ns('v1', 'Pod', 'pods'), cluster('v1', 'Namespace', 'namespaces'), cluster('v1', 'PersistentVolume', 'persistentvolumes'),
  ns('apps/v1', 'StatefulSet', 'statefulsets'), ns('apps/v1', 'Deployment', 'deployments'),
  ns('batch/v1', 'Job', 'jobs'), ns('batch/v1', 'CronJob', 'cronjobs'),
  ns('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  ns('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies'),
  ns('rbac.authorization.k8s.io/v1', 'Role', 'roles'), ns('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
  cluster('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles'),
  cluster('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings'),
  cluster('scheduling.k8s.io/v1', 'PriorityClass', 'priorityclasses'),
  cluster('storage.k8s.io/v1', 'StorageClass', 'storageclasses'),
  ns('snapshot.storage.k8s.io/v1', 'VolumeSnapshot', 'volumesnapshots'),
  cluster('snapshot.storage.k8s.io/v1', 'VolumeSnapshotClass', 'volumesnapshotclasses'),
  ns('monitoring.coreos.com/v1', 'ServiceMonitor', 'servicemonitors'),
  ns('monitoring.coreos.com/v1', 'PrometheusRule', 'prometheusrules'),
  ns('cert-manager.io/v1', 'Certificate', 'certificates'),
  ns('multicluster.x-k8s.io/v1alpha1', 'ServiceExport', 'serviceexports'),
  ns('replication.storage.openshift.io/v1alpha1', 'VolumeReplication', 'volumereplications'),
  cluster('replication.storage.openshift.io/v1alpha1', 'VolumeReplicationClass', 'volumereplicationclasses'),
  cluster('stork.libopenstorage.org/v1alpha1', 'SchedulePolicy', 'schedulepolicies'),
  ns('stork.libopenstorage.org/v1alpha1', 'MigrationSchedule', 'migrationschedules'),
  ns('stork.libopenstorage.org/v1alpha1', 'Rule', 'rules'),
];

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** A write kubectl sent: a PATCH of an object the stand-in holds, or a POST that created one. */
export interface RecordedWrite {
  readonly method: string;
  readonly path: string;
  readonly contentType: string;
  readonly body: any;
}

/**
 * A stand-in for the discovery endpoints of an API server (legacy discovery: `/api`, `/apis`, `/api/v1`,
 * `/apis/<group>/<version>`), so that `kubectl apply --dry-run=client` can map each file's kinds to resources and
 * run as against a cluster: every GET of an object is answered 404 (nothing exists yet), so kubectl reports each
 * object "created (dry run)". Every request is recorded in `requests`.
 *
 * For a real (not dry-run) apply, objects put with `putObject` exist: GET answers them, a PATCH (merged into maps, as
 * a strategic merge patch of maps is) or a POST to their collection is recorded in `writes`. PersistentVolumeClaims are
 * held to the API server's update rule (core validation ValidatePersistentVolumeClaimUpdate): a bound claim's spec is
 * immutable except `resources.requests`, and the storage request never shrinks.
 * @see https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api
 */
export class DiscoveryStandin {
  public static async start(): Promise<DiscoveryStandin> {
    const standin = new DiscoveryStandin();
    await new Promise<void>((resolve) => standin.server.listen(0, '127.0.0.1', resolve));
    return standin;
  }

  public readonly requests: string[] = [];
  public readonly writes: RecordedWrite[] = [];
  /** Objects that exist, by API path (`/api/v1/namespaces/<ns>/<plural>/<name>`). */
  private readonly objects = new Map<string, any>();
  private readonly server = http.createServer((req, res) => {
    this.requests.push(`${req.method} ${req.url}`);
    let text = '';
    req.on('data', (d) => { text += d; });
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const [status, body] = req.method === 'GET' ? (this.objects.has(path) ? [200, this.objects.get(path)] : this.answer(path))
        : this.write(req.method ?? '', path, String(req.headers['content-type'] ?? ''), text);
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Makes `obj` exist at `path`, as another writer (a controller) left it. */
  public putObject(path: string, obj: unknown): void {
    this.objects.set(path, structuredClone(obj));
  }

  /** The object at `path`, or undefined. */
  public object(path: string): any {
    return this.objects.get(path);
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private write(method: string, path: string, contentType: string, text: string): [number, unknown] {
    let body: any;
    try { body = JSON.parse(text); } catch { return failure(400, 'BadRequest', 'body is not JSON'); }
    if (method === 'POST') {
      const at = `${path}/${body?.metadata?.name}`;
      if (this.objects.has(at)) return failure(409, 'AlreadyExists', `${body?.metadata?.name} already exists`);
      this.writes.push({ method, path, contentType, body });
      this.objects.set(at, body);
      return [201, body];
    }
    const live = this.objects.get(path);
    if (method !== 'PATCH' || !live) return failure(404, 'NotFound', `${method} ${path}: the stand-in patches objects it holds and creates by POST only`);
    const patched = mergeMaps(live, body);
    if (live.kind === 'PersistentVolumeClaim') {
      const { resources: _old, ...oldSpec } = live.spec;
      const { resources: _new, ...newSpec } = patched.spec;
      if (JSON.stringify(oldSpec) !== JSON.stringify(newSpec) || Object.keys(patched.spec.resources ?? {}).some((k) => k !== 'requests')) {
        return failure(422, 'Invalid', 'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
      }
      if (bytes(patched.spec.resources.requests.storage) < bytes(live.spec.resources.requests.storage)) {
        return failure(422, 'Invalid', 'spec.resources.requests.storage: Forbidden: field can not be less than previous value');
      }
    }
    this.writes.push({ method, path, contentType, body });
    this.objects.set(path, patched);
    return [200, patched];
  }

  private answer(path: string): [number, unknown] {
    if (path === '/version') return [200, { major: '1', minor: '28', gitVersion: 'v1.28.0' }];
    if (path === '/api') return [200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }];
    if (path === '/apis') {
      const groups = [...new Set(SERVED.map((s) => s.groupVersion).filter((gv) => gv.includes('/')))].map((gv) => {
        const [name, version] = gv.split('/');
        return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
      });
      return [200, { kind: 'APIGroupList', apiVersion: 'v1', groups }];
    }
    const list = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))$/.exec(path);
    if (list) {
      const groupVersion = list[1] ?? list[2];
      const resources = SERVED.filter((s) => s.groupVersion === groupVersion).map((s) => ({
        name: s.plural, singularName: s.kind.toLowerCase(), namespaced: s.namespaced, kind: s.kind, verbs: VERBS,
      }));
      if (resources.length > 0) return [200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources }];
    }
    return [404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` }];
  }
}

function failure(code: number, reason: string, message: string): [number, unknown] {
  return [code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message }];
}

/** A patch merged into an object: maps merge key by key, `null` removes a key, anything else replaces. */
function mergeMaps(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = { ...(target !== null && typeof target === 'object' && !Array.isArray(target) ? target : {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergeMaps(out[k], v);
  }
  return out;
}

/** A quantity in bytes, read as the library reads it; a claim size the stand-in cannot read fails the request. */
function bytes(quantity: string): number {
  const value = quantityBytes(quantity);
  if (value === undefined) throw new Error(`quantity ${quantity} is not a Kubernetes quantity`);
  return value;
}
