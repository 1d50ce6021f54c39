import { ApiObject, Chart, Duration, Names, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { StatefulDatabaseProps } from './stateful-database-props';
import { Engine } from '../engines/engine';
import { EngineContext, EngineDefinition } from '../engines/engine-definition';
import { EnginePort, PortRole } from '../engines/engine-port';
import { DatabaseConnections } from '../network/connections';
import { QosClass } from '../pod/resources';
import { UpdateStrategy, PodManagementPolicy } from '../pod/update-strategy';
import { checksum } from '../private/checksum';
import { buildPodSpec, TLS_PATH } from '../private/database-pod';
import { ANNOTATION_CONFIG_CHECKSUM, ANNOTATION_DECISION, DatabaseLabels } from '../private/labels';
import { MAX_STATEFULSET_NAME, checkSubdomainName } from '../private/names';
import { oneOffJob } from '../private/one-off-job';
import { namespacePeer } from '../private/peers';
import { validateProps } from '../private/validate-props';
import { Credentials } from '../security/credentials';
import { credentialsGenerator } from '../security/credentials-generator';
import { PvcRetention, StorageAccessMode, VolumeMode } from '../storage/volume';

const DEFAULT_STORAGE = Size.gibibytes(10);
const DEFAULT_MONITORING_NAMESPACE = 'monitoring';

/**
 * One database instance on a StatefulSet, done the way the best operators and charts do it:
 * its own volume from a claim template (kept when the database is deleted), a stable identity
 * (headless Service), a client Service, Guaranteed QoS on every container, restricted pod security,
 * probes and a clean shutdown from the engine's own tools, credentials from a Secret, a default-deny
 * NetworkPolicy, metrics, and optional TLS.
 *
 * Every prop is checked at synth time; a bad value throws an error naming this construct, the prop,
 * the reason and the fix.
 */
export class StatefulDatabase extends Construct {
  /** Name of the StatefulSet and of the client Service. */
  public readonly name: string;
  /** Host name applications connect to (the client Service). */
  public readonly host: string;
  /** Client port. */
  public readonly port: number;
  /** Name of the headless Service that gives each pod its stable DNS name. */
  public readonly headlessServiceName: string;
  /** Name of the Secret holding `username` and `password` (or the keys given). */
  public readonly credentialsSecretName: string;
  /** The credentials Secret, to hand to cdk8s-plus workloads. */
  public readonly credentialsSecret: kplus.ISecret;
  /** Who may connect; writes the NetworkPolicy. */
  public readonly connections: DatabaseConnections;
  /** The engine profile. */
  public readonly engine: Engine;
  /** The StatefulSet. */
  public readonly statefulSet: ApiObject;

  private readonly usernameKey: string;
  private readonly passwordKey: string;

  constructor(scope: Construct, id: string, props: StatefulDatabaseProps) {
    super(scope, id);
    const def: EngineDefinition = props.engine._definition;
    this.engine = props.engine;
    this.name = props.name ?? Names.toDnsLabel(this, { maxLen: MAX_STATEFULSET_NAME });
    const namespace = Chart.of(this).namespace;
    const checked = validateProps(this, props, this.name);

    const credentials = props.credentials ?? Credentials.generate();
    this.credentialsSecretName = credentials._secretName ?? `${this.name}-credentials`;
    checkSubdomainName(this, 'credentials', this.credentialsSecretName);
    this.usernameKey = credentials._usernameKey;
    this.passwordKey = credentials._passwordKey;
    this.credentialsSecret = kplus.Secret.fromSecretName(this, 'CredentialsSecret', this.credentialsSecretName);

    this.headlessServiceName = `${this.name}-headless`;
    const client = def.ports.find((p) => p.role === PortRole.CLIENT)!;
    this.port = client.port;
    this.host = namespace ? `${this.name}.${namespace}.svc` : this.name;
    this.connections = new DatabaseConnections();

    const labels = new DatabaseLabels(def.family, this.name, def.version, props.labels ?? {});
    const metricsOn = checked.metrics;
    const tlsSecretName = props.tls ? (props.tls.secretName ?? `${this.name}-tls`) : undefined;

    const ctx: EngineContext = {
      name: this.name,
      headlessService: this.headlessServiceName,
      namespace,
      credentials: { secretName: this.credentialsSecretName, usernameKey: this.usernameKey, passwordKey: this.passwordKey },
      databaseName: props.databaseName,
      tlsPath: props.tls ? TLS_PATH : undefined,
      configPath: def.configPath,
      memoryBytes: checked.memoryMebibytes * 1024 * 1024,
      cpuMillis: checked.cpuMillis,
      settings: props.config ?? {},
    };

    // Configuration: one ConfigMap, its checksum on the pod template so a change rolls the pods.
    const configData: Record<string, string> = {
      [def.configFileName]: def.renderConfig(ctx),
      ...(def.extraConfigFiles?.(ctx) ?? {}),
    };
    const exporter = metricsOn ? def.exporter?.(ctx) : undefined;
    const exporterConfig = exporter?.configFiles ?? {};
    const configName = `${this.name}-config`;
    new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: configName, labels: labels.forComponent('config') },
      data: { ...configData, ...exporterConfig },
    });
    const initScriptsName = props.initScripts ? `${this.name}-init` : undefined;
    if (props.initScripts) {
      new k8s.KubeConfigMap(this, 'InitScripts', {
        metadata: { name: initScriptsName, labels: labels.forComponent('init-scripts') },
        data: props.initScripts,
      });
    }

    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: this.name, labels: labels.common },
      // No engine profile here calls the Kubernetes API: no token in the pod.
      automountServiceAccountToken: false,
    });

    if (credentials._generated) {
      credentialsGenerator(this, {
        name: `${this.name}-creds`,
        secretName: this.credentialsSecretName,
        username: credentials._username ?? def.defaultUsername,
        labels: labels.forComponent('credentials'),
        secretLabels: labels.forComponent('credentials'),
        imagePullSecrets: props.imagePullSecrets,
        registry: props.imageRegistry,
      });
    }

    if (props.tls && !props.tls.secretName) this.certificate(props, labels, tlsSecretName!, def, namespace);

    const podSpec = buildPodSpec({
      def,
      ctx,
      name: this.name,
      image: imageFor(def, props.imageRegistry),
      qos: props.qosClass ?? QosClass.GUARANTEED,
      cpuMillis: checked.cpuMillis,
      memoryMebibytes: checked.memoryMebibytes,
      exporter,
      exporterImage: exporter ? rewriteRegistry(exporter.image, props.imageRegistry) : undefined,
      configMapName: configName,
      initScriptsConfigMap: initScriptsName,
      tlsSecretName,
      volumeMode: props.volumeMode ?? VolumeMode.FILESYSTEM,
      extraEnv: props.env ?? {},
      terminationGracePeriodSeconds: props.terminationGracePeriod?.toSeconds() ?? def.terminationGracePeriodSeconds,
      priorityClassName: props.priorityClassName,
      imagePullSecrets: props.imagePullSecrets,
      dedicatedNodes: props.dedicatedNodes,
      nodeSelector: props.nodeSelector,
      tolerations: props.tolerations,
      requiredNodeAffinity: props.requiredNodeAffinity,
    });

    const dataPorts = def.ports.filter((p) => p.role === PortRole.CLIENT || p.role === PortRole.PEER);
    this.service('HeadlessService', this.headlessServiceName, labels, dataPorts, true);
    this.service('Service', this.name, labels, [client], false);
    const metricsPort = def.ports.find((p) => p.role === PortRole.METRICS);
    if (exporter && metricsPort) {
      this.service('MetricsService', `${this.name}-metrics`, labels, [metricsPort], false, 'metrics');
      if (props.serviceMonitor) this.serviceMonitor(labels, metricsPort);
    }

    const updateStrategy = props.updateStrategy ?? UpdateStrategy.rollingUpdate();
    this.statefulSet = new k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: { name: this.name, labels: labels.forComponent('database') },
      spec: {
        replicas: 1,
        serviceName: this.headlessServiceName,
        selector: { matchLabels: labels.selector },
        podManagementPolicy: props.podManagementPolicy ?? PodManagementPolicy.ORDERED_READY,
        updateStrategy: updateStrategy.type === 'OnDelete' ? { type: 'OnDelete' }
          : { type: 'RollingUpdate', rollingUpdate: { partition: updateStrategy.partition } },
        minReadySeconds: (props.minReady ?? Duration.seconds(0)).toSeconds(),
        persistentVolumeClaimRetentionPolicy: {
          whenDeleted: props.pvcRetentionWhenDeleted ?? PvcRetention.RETAIN,
          whenScaled: props.pvcRetentionWhenScaled ?? PvcRetention.RETAIN,
        },
        template: {
          metadata: {
            labels: labels.forComponent('database'),
            annotations: {
              ...props.annotations,
              [ANNOTATION_CONFIG_CHECKSUM]: checksum(JSON.stringify([configData, exporterConfig, props.initScripts ?? {}])),
            },
          },
          spec: { ...podSpec, serviceAccountName: this.name },
        },
        volumeClaimTemplates: [{
          metadata: { name: 'data', labels: labels.selector },
          spec: {
            accessModes: [props.storageAccessMode ?? StorageAccessMode.READ_WRITE_ONCE],
            volumeMode: props.volumeMode ?? VolumeMode.FILESYSTEM,
            storageClassName: props.storageClassName,
            resources: { requests: { storage: k8s.Quantity.fromString(quantityOf(props.storageSize ?? DEFAULT_STORAGE)) } },
          },
        }],
      },
    });

    this.networkPolicy(labels, def, props.monitoringNamespace ?? DEFAULT_MONITORING_NAMESPACE, exporter !== undefined);
    if (props.blockEvictions) this.blockingBudget(labels);

    const bootstrap = def.bootstrapJob?.(ctx);
    if (bootstrap) {
      const jobName = `${this.name}-${bootstrap.suffix}`;
      new k8s.KubeServiceAccount(this, 'BootstrapServiceAccount', {
        metadata: { name: jobName, labels: labels.common },
        automountServiceAccountToken: false,
      });
      // Reaches the database through its client port, like any application: admit it.
      this.connections.allowFrom(kplus.Pods.select(this, 'BootstrapPods', { labels: { 'job-name': jobName } }));
      oneOffJobFor(this, jobName, labels, imageFor(def, props.imageRegistry), bootstrap, props.imagePullSecrets);
    }
  }

  /**
   * Env vars for an application container: `<prefix>HOST`, `<prefix>PORT`, `<prefix>USERNAME` and
   * `<prefix>PASSWORD` (the last two read from the credentials Secret).
   * @param prefix prefix of the variable names; default `DB_`
   */
  public connectionEnv(prefix: string = 'DB_'): Record<string, kplus.EnvValue> {
    return {
      [`${prefix}HOST`]: kplus.EnvValue.fromValue(this.host),
      [`${prefix}PORT`]: kplus.EnvValue.fromValue(String(this.port)),
      [`${prefix}USERNAME`]: kplus.EnvValue.fromSecretValue({ secret: this.credentialsSecret, key: this.usernameKey }),
      [`${prefix}PASSWORD`]: kplus.EnvValue.fromSecretValue({ secret: this.credentialsSecret, key: this.passwordKey }),
    };
  }

  private service(id: string, name: string, labels: DatabaseLabels, ports: EnginePort[], headless: boolean, component = 'database'): void {
    new k8s.KubeService(this, id, {
      metadata: { name, labels: labels.forComponent(component) },
      spec: {
        type: 'ClusterIP',
        ...(headless ? { clusterIp: 'None', publishNotReadyAddresses: true } : {}),
        selector: labels.selector,
        ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromString(p.name), protocol: 'TCP' })),
      },
    });
  }

  private networkPolicy(labels: DatabaseLabels, def: EngineDefinition, monitoringNamespace: string, exporterOn: boolean): void {
    const portsOf = (role: PortRole) => def.ports.filter((p) => p.role === role)
      .map((p) => ({ protocol: 'TCP', port: p.port }));
    // A plain ApiObject: the peer lists are read at synth time, after every allowFrom call.
    new ApiObject(this, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: this.name, labels: labels.common },
      spec: {
        podSelector: { matchLabels: labels.selector },
        // Ingress only: listing it with these rules denies every other ingress to the pods.
        policyTypes: ['Ingress'],
        ingress: {
          resolve: () => {
            const rules: unknown[] = [];
            const add = (role: PortRole, from: unknown[]) => {
              const ports = portsOf(role);
              if (ports.length > 0 && from.length > 0) rules.push({ from, ports });
            };
            add(PortRole.CLIENT, this.connections._clientPeers());
            add(PortRole.PEER, [{ podSelector: { matchLabels: labels.selector } }]);
            add(PortRole.ADMIN, this.connections._adminPeers());
            if (exporterOn) add(PortRole.METRICS, [namespacePeer(monitoringNamespace)]);
            return rules;
          },
        },
      },
    });
  }

  private blockingBudget(labels: DatabaseLabels): void {
    new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: {
        name: this.name,
        labels: labels.common,
        annotations: {
          [ANNOTATION_DECISION]: 'blockEvictions=true: voluntary evictions of this single instance are refused; node drains wait until the database is moved by hand.',
        },
      },
      spec: {
        selector: { matchLabels: labels.selector },
        maxUnavailable: k8s.IntOrString.fromNumber(0),
      },
    });
  }

  private certificate(props: StatefulDatabaseProps, labels: DatabaseLabels, secretName: string, def: EngineDefinition, namespace?: string): void {
    const tls = props.tls!;
    const suffixes = namespace ? ['', `.${namespace}`, `.${namespace}.svc`] : [''];
    const dnsNames = [
      ...suffixes.map((s) => `${this.name}${s}`),
      ...suffixes.map((s) => `*.${this.headlessServiceName}${s}`),
    ];
    new ApiObject(this, 'Certificate', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: this.name, labels: labels.common },
      spec: {
        secretName,
        dnsNames,
        duration: `${(tls.duration ?? Duration.days(90)).toHours()}h`,
        renewBefore: `${(tls.renewBefore ?? Duration.days(30)).toHours()}h`,
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        usages: ['server auth', 'digital signature', 'key encipherment'],
        issuerRef: { name: tls.issuerName, kind: tls.issuerKind ?? 'Issuer', group: 'cert-manager.io' },
        ...(def.tlsNeedsCombinedPem ? { additionalOutputFormats: [{ type: 'CombinedPEM' }] } : {}),
      },
    });
  }

  private serviceMonitor(labels: DatabaseLabels, metricsPort: EnginePort): void {
    new ApiObject(this, 'ServiceMonitor', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: this.name, labels: labels.common },
      spec: {
        selector: { matchLabels: { ...labels.selector, 'app.kubernetes.io/component': 'metrics' } },
        endpoints: [{ port: metricsPort.name, interval: '30s', path: '/metrics' }],
      },
    });
  }
}

function oneOffJobFor(scope: Construct, name: string, labels: DatabaseLabels, image: string,
  job: { script: string; env: k8s.EnvVar[]; runAsUser: number }, imagePullSecrets?: string[]): void {
  oneOffJob(scope, 'BootstrapJob', {
    name,
    labels: labels.forComponent('bootstrap'),
    image,
    script: job.script,
    env: job.env,
    runAsUser: job.runAsUser,
    serviceAccountName: name,
    needsApiToken: false,
    imagePullSecrets,
    cpuMillis: 250,
    memoryMebibytes: 256,
  });
}

function imageFor(def: EngineDefinition, registry?: string): string {
  return `${registry ?? def.registry}/${def.repository}:${def.tag}`;
}

function rewriteRegistry(image: string, registry?: string): string {
  if (!registry) return image;
  const slash = image.indexOf('/');
  return `${registry}/${image.slice(slash + 1)}`;
}

/** A Size as a Kubernetes quantity: whole GiB where it is one, else MiB. */
function quantityOf(size: Size): string {
  const mib = size.toMebibytes();
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}
