import { k8s } from 'cdk8s-plus-28';
import { EngineContext, EngineDefinition, EngineExporter, EngineSidecar, ReplicationPlan } from '../engines/engine-definition';
import { DatabaseToleration, DedicatedNodes, NodeRequirement, TaintEffect, TolerationOperator } from '../pod/placement';
import { QosClass, containerResources } from '../pod/resources';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../pod/security';
import { rewriteRegistry } from '../private/images';
import { TLS_PATH } from '../private/mount-paths';
import { volumeNameFor } from '../private/names';
import { VolumeMode } from '../storage/volume';

export interface DatabasePodOptions {
  readonly def: EngineDefinition;
  readonly ctx: EngineContext;
  readonly name: string;
  readonly image: string;
  readonly qos: QosClass;
  readonly cpuMillis: number;
  readonly memoryMebibytes: number;
  readonly exporter?: EngineExporter;
  readonly exporterImage?: string;
  readonly configMapName: string;
  readonly initScriptsConfigMap?: string;
  readonly tlsSecretName?: string;
  readonly volumeMode: VolumeMode;
  readonly extraEnv: Record<string, string>;
  readonly terminationGracePeriodSeconds: number;
  readonly priorityClassName?: string;
  readonly imagePullSecrets?: string[];
  readonly dedicatedNodes?: DedicatedNodes;
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: DatabaseToleration[];
  readonly requiredNodeAffinity?: NodeRequirement[];
  /** Replicated topology: replaces the engine container, adds sidecars, init containers and ports. */
  readonly replication?: ReplicationPlan;
  /** Env of this StatefulSet only (a rack). */
  readonly groupEnv?: k8s.EnvVar[];
  readonly imageRegistry?: string;
  /** Init containers, volumes, mounts and env a restore adds. */
  readonly restore?: { initContainers: k8s.Container[]; volumes: k8s.Volume[]; mainMounts: k8s.VolumeMount[]; env: k8s.EnvVar[] };
}


/**
 * The pod template of a database: the engine container, its exporter sidecar, the volumes a
 * read-only root filesystem needs, and restricted security on every container.
 */
export function buildPodSpec(o: DatabasePodOptions): k8s.PodSpec {
  const { def, ctx } = o;
  const repl = o.replication;
  const engine = repl?.container ?? def.container(ctx);
  const runAsUser = repl?.runAsUser ?? def.runAsUser;
  const fsGroup = repl?.fsGroup ?? def.fsGroup;
  const volumes: k8s.Volume[] = [
    { name: 'config', configMap: { name: o.configMapName } }, ...(repl?.extraVolumes ?? []), ...(o.restore?.volumes ?? []),
  ];
  const mounts: k8s.VolumeMount[] = [
    { name: 'data', mountPath: repl?.dataPath ?? def.dataPath },
    { name: 'config', mountPath: def.configPath, readOnly: true },
    ...(repl?.extraMounts ?? []),
    ...(o.restore?.mainMounts ?? []),
  ];
  for (const w of repl?.writablePaths ?? def.writablePaths) {
    const name = volumeNameFor(w.path);
    volumes.push({ name, emptyDir: w.memory ? { medium: 'Memory', sizeLimit: k8s.Quantity.fromString(`${Math.max(64, Math.floor(o.memoryMebibytes / 4))}Mi`) } : {} });
    mounts.push({ name, mountPath: w.path });
  }
  if (o.initScriptsConfigMap && def.initScriptsPath) {
    volumes.push({ name: 'init-scripts', configMap: { name: o.initScriptsConfigMap } });
    mounts.push({ name: 'init-scripts', mountPath: def.initScriptsPath, readOnly: true });
  }
  if (o.tlsSecretName) {
    // Group-readable only: PostgreSQL refuses a key readable by others.
    volumes.push({ name: 'tls', secret: { secretName: o.tlsSecretName, defaultMode: 0o440 } });
    mounts.push({ name: 'tls', mountPath: TLS_PATH, readOnly: true });
  }

  const sidecarPorts = new Set((repl?.sidecars ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.name)));
  const containers: k8s.Container[] = [{
    name: def.family,
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    command: engine.command,
    args: engine.args,
    env: [...engine.env, ...(o.groupEnv ?? []), ...(o.restore?.env ?? []), ...Object.entries(o.extraEnv).map(([name, value]) => ({ name, value }))],
    // A port a sidecar declares (Sentinel's) is that container's only: the API server warns on duplicates.
    ports: [...def.ports, ...(repl?.extraPorts ?? [])].filter((p) => p.role !== 'metrics' && !sidecarPorts.has(p.name))
      .map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
    resources: containerResources(o.cpuMillis, o.memoryMebibytes, o.qos),
    securityContext: restrictedContainerSecurity(runAsUser),
    startupProbe: engine.startupProbe,
    readinessProbe: engine.readinessProbe,
    livenessProbe: engine.livenessProbe,
    lifecycle: engine.preStop ? { preStop: { exec: { command: engine.preStop } } } : undefined,
    volumeMounts: mounts,
  }];

  // Sidecars and init containers of the topology run the engine's image as the engine's user,
  // with requests == limits like every other container.
  const helper = (c: EngineSidecar): k8s.Container => ({
    name: c.name,
    image: c.image ? rewriteRegistry(c.image, o.imageRegistry) : o.image,
    imagePullPolicy: 'IfNotPresent',
    command: c.command,
    args: c.args,
    env: c.env.length > 0 ? c.env : undefined,
    ports: c.ports.length > 0 ? c.ports : undefined,
    readinessProbe: c.readinessProbe,
    livenessProbe: c.livenessProbe,
    lifecycle: c.preStop ? { preStop: { exec: { command: c.preStop } } } : undefined,
    resources: containerResources(c.cpuMillis, c.memoryMebibytes, o.qos),
    securityContext: restrictedContainerSecurity(runAsUser),
    volumeMounts: c.apiToken ? [...c.volumeMounts, { name: API_TOKEN_VOLUME, mountPath: API_TOKEN_PATH, readOnly: true }] : c.volumeMounts,
  });
  // A sidecar that alone talks to the API (the role labeller) gets the token the kubelet would automount, as a
  // projected volume in that container only: the engine's containers hold no token.
  const tokenSidecar = (repl?.sidecars ?? []).some((c) => c.apiToken);
  if (tokenSidecar) volumes.push(apiTokenVolume());
  containers.push(...(repl?.sidecars ?? []).map(helper));
  // A restore fetches its data before anything else starts.
  const initContainers = [...(o.restore?.initContainers ?? []), ...(repl?.initContainers ?? []).map(helper)];

  if (o.exporter) {
    const x = o.exporter;
    const exporterMounts: k8s.VolumeMount[] = [];
    if (x.configFiles && x.configMountPath) {
      volumes.push({ name: 'exporter-config', configMap: { name: o.configMapName, items: Object.keys(x.configFiles).map((key) => ({ key, path: key })) } });
      exporterMounts.push({ name: 'exporter-config', mountPath: x.configMountPath, readOnly: true });
    }
    for (const path of x.writablePaths ?? []) {
      const name = `exporter-${volumeNameFor(path)}`;
      volumes.push({ name, emptyDir: {} });
      exporterMounts.push({ name, mountPath: path });
    }
    if (ctx.tlsPath && o.tlsSecretName) exporterMounts.push({ name: 'tls', mountPath: TLS_PATH, readOnly: true });
    containers.push({
      name: 'metrics-exporter',
      image: o.exporterImage ?? x.image,
      imagePullPolicy: 'IfNotPresent',
      args: x.args,
      env: x.env,
      ports: [{ name: 'metrics', containerPort: x.port, protocol: 'TCP' }],
      // Sidecars get requests == limits too: one container without limits makes the whole pod Burstable.
      resources: containerResources(x.cpuMillis, x.memoryMebibytes, o.qos),
      securityContext: restrictedContainerSecurity(65534),
      volumeMounts: exporterMounts.length > 0 ? exporterMounts : undefined,
    });
  }

  return {
    securityContext: restrictedPodSecurity(runAsUser, fsGroup),
    enableServiceLinks: false,
    terminationGracePeriodSeconds: o.terminationGracePeriodSeconds,
    priorityClassName: o.priorityClassName,
    imagePullSecrets: o.imagePullSecrets?.map((name) => ({ name })),
    nodeSelector: nodeSelectorOf(o),
    tolerations: tolerationsOf(o),
    // Patroni calls the Kubernetes API from its main container; a token sidecar gets its own volume; others get no token.
    automountServiceAccountToken: (repl?.apiRules?.length ?? 0) > 0 && !tokenSidecar,
    affinity: o.requiredNodeAffinity && o.requiredNodeAffinity.length > 0 ? {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: o.requiredNodeAffinity.map((r) => ({ key: r.key, operator: r.matchOperator, values: r.values })) }],
        },
      },
    } : undefined,
    initContainers: initContainers.length > 0 ? initContainers : undefined,
    containers,
    volumes,
  };
}

const API_TOKEN_VOLUME = 'kube-api-access';
/** Where client libraries and kubectl look for the in-cluster token, CA and namespace. */
const API_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The volume the ServiceAccount admission plugin adds when a pod automounts its token: a bound, expiring token
 * (refreshed by the kubelet), the cluster CA from the `kube-root-ca.crt` ConfigMap every namespace has, and the
 * namespace.
 * @see https://kubernetes.io/docs/concepts/security/service-accounts/#assign-to-pod
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#launch-a-pod-using-service-account-token-projection
 */
function apiTokenVolume(): k8s.Volume {
  return {
    name: API_TOKEN_VOLUME,
    projected: {
      defaultMode: 0o444,
      sources: [
        { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardApi: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

function nodeSelectorOf(o: DatabasePodOptions): Record<string, string> | undefined {
  const selector = { ...o.nodeSelector, ...(o.dedicatedNodes ? { [o.dedicatedNodes.labelKey]: o.dedicatedNodes.labelValue } : {}) };
  return Object.keys(selector).length > 0 ? selector : undefined;
}

function tolerationsOf(o: DatabasePodOptions): k8s.Toleration[] | undefined {
  const list: k8s.Toleration[] = (o.tolerations ?? []).map((t) => ({
    key: t.key, operator: t.matchOperator ?? TolerationOperator.EQUAL, value: t.value, effect: t.effect,
  }));
  if (o.dedicatedNodes) {
    list.push({
      key: o.dedicatedNodes.taintKey ?? o.dedicatedNodes.labelKey,
      operator: TolerationOperator.EQUAL,
      value: o.dedicatedNodes.labelValue,
      effect: TaintEffect.NO_SCHEDULE,
    });
  }
  return list.length > 0 ? list : undefined;
}
