import { ApiObject, Chart, Duration, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { refuseForeignSecretReferences } from './cross-namespace';
import { DatabasePodOptions, buildPodSpec } from './database-pod';
import { secretSharing } from './secret-sharing';
import { checkSnapshotSource } from './snapshot-source';
import { checkRenderedEnv } from './validate-engine';
import { CheckedProps, applicationUserOf } from './validate-props';
import { restoreParts } from '../backup/restore-wiring';
import type { StatefulDatabaseProps } from '../constructs/stateful-database-props';
import { ApplicationRef, CredentialsRef, EngineContext, EngineDefinition, EngineJob, RackPlan, ReplicationContext, ReplicationPlan } from '../engines/engine-definition';
import { EnginePort, PortRole } from '../engines/engine-port';
import { migrationsJob } from '../migrations/migrations';
import { DatabaseConnections } from '../network/connections';
import { databaseClientJob } from '../pod/database-client-job';
import { NodeSelectorOperator } from '../pod/placement';
import { QosClass } from '../pod/resources';
import { PodManagementPolicy, UpdateStrategy } from '../pod/update-strategy';
import { checksum } from '../private/checksum';
import { imageFor, rewriteRegistry } from '../private/images';
import { ANNOTATION_CONFIG_CHECKSUM, ANNOTATION_ENGINE, DatabaseLabels } from '../private/labels';
import { TLS_PATH } from '../private/mount-paths';
import { checkSubdomainName, versionLabel } from '../private/names';
import { namespacePeer } from '../private/peers';
import { quantityOf } from '../private/quantity';
import type { StatefulSetView } from '../report/tolerance';
import type { ApplicationUser } from '../security/application-user';
import { Credentials } from '../security/credentials';
import { credentialsGenerator } from '../security/credentials-generator';
import { PvcRetention, StorageAccessMode, VolumeMode } from '../storage/volume';
import { ANNOTATION_ORIGINAL_STORAGE_SIZE, StorageSizes, emitGrownClaims, planVolumeSizes } from '../storage/volume-expansion';
import { ZONE_KEY } from '../topology/spread';

export const DEFAULT_STORAGE = Size.gibibytes(10);
const DEFAULT_MONITORING_NAMESPACE = 'monitoring';
/** Label that tells the StatefulSets of a ring's racks apart. */
export const LABEL_RACK = 'cdk8s-databases.io/rack';

/** One StatefulSet of a database: the whole database, or one rack of a ring. */
export interface AssemblyGroup {
  readonly name: string;
  readonly replicas: number;
  /** Labels added to this group's selector (a rack). */
  readonly extraSelector?: Record<string, string>;
  /** Zone the group is pinned to with required node affinity. */
  readonly zone?: string;
  /** The rack this group is, for ring engines. */
  readonly rack?: RackPlan;
}

/** How the construct wants the database laid out. */
export interface AssemblyOptions {
  readonly name: string;
  readonly checked: CheckedProps;
  readonly groups: AssemblyGroup[];
  /** Present for ReplicatedDatabase: what the engine needs to know to plan replication. */
  readonly replication?: Omit<ReplicationContext, keyof EngineContext | 'members' | 'selectorLabels'>;
  readonly topologySpread?: (selector: Record<string, string>) => k8s.TopologySpreadConstraint[];
  /** Zones every member is restricted to (required node affinity). */
  readonly zones?: string[];
}

/**
 * Builds the objects every database shares (configuration, identity, credentials, TLS, Services,
 * StatefulSets, NetworkPolicy) for StatefulDatabase and ReplicatedDatabase alike.
 */
export class DatabaseAssembly {
  public readonly host: string;
  public readonly readerHost?: string;
  public readonly port: number;
  public readonly headlessServiceName: string;
  public readonly credentialsSecretName: string;
  public readonly usernameKey: string;
  public readonly passwordKey: string;
  /** The account `connectionEnv()` hands out: the application user, or the superuser with `ApplicationUser.superuser()`. */
  public readonly clientCredentials: CredentialsRef;
  /** The database clients connect to, when there is one to name. */
  public readonly clientDatabase?: string;
  public readonly connections: DatabaseConnections;
  public readonly labels: DatabaseLabels;
  public readonly statefulSets: ApiObject[] = [];
  /** The scheduling-relevant part of each StatefulSet, for the tolerance figures. */
  public readonly statefulSetViews: StatefulSetView[] = [];
  public readonly replication?: ReplicationPlan;
  public readonly memberHosts: string[];
  public readonly def: EngineDefinition;
  public readonly name: string;
  public readonly namespace?: string;
  /** What the engine was rendered with (memory, credentials, TLS path, settings). */
  public readonly ctx: EngineContext;
  /** The database image in use (Spilo for replicated PostgreSQL), with the registry override applied. */
  public readonly image: string;
  /** The engine's ConfigMap and its data, for methods that extend the configuration (WAL archiving). */
  public readonly configMap: ApiObject;
  public readonly configData: Record<string, string>;
  /** The TLS Secret (cert-manager's or the user's), when `tls` is set. */
  public readonly tlsSecretName?: string;
  /** The Job that runs the user's schema migrations, when `migrations` is set. */
  public readonly migrationsJob?: ApiObject;
  /** Adds a namespace to the Secret copier, made at the first `shareSecretsWith`. */
  private shareSecrets?: (target: string) => void;
  /** The VolumeSnapshot every data claim starts from, when restoring one. */
  private readonly dataSource?: k8s.TypedLocalObjectReference;
  /** The claim template's size, and the size the members' claims are grown to (`originalStorageSize`). */
  private readonly storageSizes: StorageSizes;

  constructor(private readonly scope: Construct, public readonly props: StatefulDatabaseProps, private readonly options: AssemblyOptions) {
    const def = props.engine._definition;
    this.def = def;
    const name = options.name;
    this.name = name;
    const namespace = Chart.of(scope).namespace;
    this.namespace = namespace;
    this.storageSizes = planVolumeSizes(scope, props, DEFAULT_STORAGE);

    const credentials = props.credentials ?? Credentials.generate();
    this.credentialsSecretName = credentials._secretName ?? `${name}-credentials`;
    checkSubdomainName(scope, 'credentials', this.credentialsSecretName);
    this.usernameKey = credentials._usernameKey;
    this.passwordKey = credentials._passwordKey;
    const appUser = applicationUserOf(props, def);
    const application = this.applicationRef(scope, name, appUser, props, def);
    this.clientCredentials = application ?? { secretName: this.credentialsSecretName, usernameKey: this.usernameKey, passwordKey: this.passwordKey };
    this.clientDatabase = application?.database ?? props.databaseName;
    this.headlessServiceName = `${name}-headless`;
    const dns = (host: string) => (namespace ? `${host}.${namespace}.svc` : host);
    this.memberHosts = options.groups.flatMap((g) =>
      Array.from({ length: g.replicas }, (_, i) => dns(`${g.name}-${i}.${this.headlessServiceName}`)));

    const ctx: EngineContext = this.ctx = {
      name,
      headlessService: this.headlessServiceName,
      namespace,
      credentials: { secretName: this.credentialsSecretName, usernameKey: this.usernameKey, passwordKey: this.passwordKey },
      application,
      databaseName: props.databaseName,
      initScripts: props.initScripts,
      tlsPath: props.tls ? TLS_PATH : undefined,
      configPath: def.configPath,
      memoryBytes: options.checked.memoryMebibytes * 1024 * 1024,
      cpuMillis: options.checked.cpuMillis,
      settings: props.config ?? {},
    };
    // Labels carry the image actually run: replicated PostgreSQL runs Spilo, not the plain image.
    const labelsFor = (version: string) => new DatabaseLabels(def.family, name, version, props.labels ?? {});
    let labels = labelsFor(versionLabel(def.tag));
    if (options.replication) {
      this.replication = def.replication!({
        ...ctx, ...options.replication, members: this.memberHosts, selectorLabels: labels.selector,
      });
      if (this.replication.image) labels = labelsFor(`${this.replication.image.tag}`);
    }
    this.labels = labels;
    const repl = this.replication;

    const ports: EnginePort[] = [...def.ports, ...(repl?.extraPorts ?? [])];
    const clientPort = def.ports.find((p) => p.role === PortRole.CLIENT)!;
    this.connections = DatabaseConnections._forDatabase(scope, {
      namespace,
      engine: `Engine '${def.family} ${def.version}'`,
      ports: ports.map((p) => `${p.name} ${p.port} ${p.role}`).join(', '),
      adminPorts: ports.filter((p) => p.role === PortRole.ADMIN).map((p) => p.port),
      shareSecrets: (target) => this.shareSecretsWith(target),
    });
    this.port = clientPort.port;
    this.host = dns(name);
    this.readerHost = repl?.roleLabel ? dns(`${name}-ro`) : undefined;

    // Configuration: one ConfigMap, its checksum on the pod template so a change rolls the pods.
    const exporter = options.checked.metrics ? def.exporter?.(ctx) : undefined;
    const configData: Record<string, string> = {
      ...(repl?.replacesConfig ? {} : { [def.configFileName]: def.renderConfig(ctx), ...(def.extraConfigFiles?.(ctx) ?? {}) }),
      ...(repl?.configFiles ?? {}),
      ...(exporter?.configFiles ?? {}),
    };
    const configName = repl?.configMapName ?? `${name}-config`;
    this.configData = configData;
    this.configMap = new k8s.KubeConfigMap(scope, 'Config', { metadata: { name: configName, labels: labels.forComponent('config') }, data: configData });
    const initScriptsName = props.initScripts ? `${name}-init` : undefined;
    if (props.initScripts) {
      new k8s.KubeConfigMap(scope, 'InitScripts', {
        metadata: { name: initScriptsName, labels: labels.forComponent('init-scripts') },
        data: props.initScripts,
      });
    }

    const needsApi = (repl?.apiRules?.length ?? 0) > 0;
    new k8s.KubeServiceAccount(scope, 'ServiceAccount', {
      metadata: { name, labels: labels.common },
      // Only engines that keep state in the Kubernetes API (Patroni) get a token; a sidecar that alone talks to
      // the API (the role labeller) mounts its own, and the pod automounts none.
      automountServiceAccountToken: needsApi && !(repl?.sidecars ?? []).some((c) => c.apiToken),
    });
    if (needsApi) {
      new k8s.KubeRole(scope, 'Role', { metadata: { name, labels: labels.common }, rules: repl!.apiRules });
      new k8s.KubeRoleBinding(scope, 'RoleBinding', {
        metadata: { name, labels: labels.common },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name }],
      });
    }

    // One Job creates every Secret the library generates for this database.
    const generated = [
      ...(credentials._generated ? [{
        secretName: this.credentialsSecretName, username: credentials._username ?? def.defaultUsername, extraKeys: repl?.extraSecretKeys,
      }] : []),
      ...(application && appUser._generated ? [{ secretName: application.secretName, username: appUser._username! }] : []),
    ];
    if (generated.length > 0) {
      credentialsGenerator(scope, {
        name: `${name}-creds`,
        secrets: generated,
        labels: labels.forComponent('credentials'),
        secretLabels: labels.forComponent('credentials'),
        imagePullSecrets: props.imagePullSecrets,
        registry: props.imageRegistry,
      });
    }

    const tlsSecretName = props.tls ? (props.tls.secretName ?? `${name}-tls`) : undefined;
    this.tlsSecretName = tlsSecretName;
    if (props.tls && !props.tls.secretName) this.certificate(name, tlsSecretName!, namespace);

    const image = imageFor(repl?.image ?? def, props.imageRegistry);
    this.image = image;

    if (props.restoreFrom?._snapshotName !== undefined) {
      checkSnapshotSource(scope, props.restoreFrom._snapshotName, props.restoreFrom._snapshot?.source,
        { def, replicated: options.replication !== undefined, spilo: repl?.image !== undefined && def.family === 'postgresql' });
    }
    const restore = props.restoreFrom ? restoreParts(scope, props.restoreFrom, {
      name,
      def,
      replication: repl,
      replicated: options.replication !== undefined,
      hasInitScripts: props.initScripts !== undefined,
      dataPath: repl?.dataPath ?? def.dataPath,
      image,
      runAsUser: repl?.runAsUser ?? def.runAsUser,
      tls: props.tls !== undefined,
      imageRegistry: props.imageRegistry,
      credentials: ctx.credentials,
    }) : undefined;
    this.dataSource = restore?.dataSource;
    // Against the container this layout renders: Patroni's, a rack's, a restore's env, not the single instance's.
    checkRenderedEnv(scope, props.env, [
      ...(repl?.container ?? def.container(ctx)).env,
      ...options.groups.flatMap((g) => (g.rack && repl?.rackEnv ? repl.rackEnv(g.rack) : [])),
      ...(restore?.env ?? []),
    ], def.family);
    if (restore?.scripts && def.initScriptsPath) {
      new k8s.KubeConfigMap(scope, 'RestoreScripts', { metadata: { name: `${name}-restore`, labels: labels.forComponent('restore') }, data: restore.scripts });
      restore.volumes.push({ name: 'restore-scripts', configMap: { name: `${name}-restore` } });
      restore.mainMounts.push({ name: 'restore-scripts', mountPath: def.initScriptsPath, readOnly: true });
    }
    const dataPorts = ports.filter((p) => p.role === PortRole.CLIENT || p.role === PortRole.PEER);
    this.service('HeadlessService', this.headlessServiceName, dataPorts, labels.selector, true);
    const clientPorts = ports.filter((p) => p.role === PortRole.CLIENT);
    const role = repl?.roleLabel;
    this.service('Service', name, clientPorts, role ? { ...labels.selector, [role.key]: role.primaryValue } : labels.selector, false);
    if (role) this.service('ReaderService', `${name}-ro`, clientPorts, { ...labels.selector, [role.key]: role.replicaValue }, false);
    const metricsPort = def.ports.find((p) => p.role === PortRole.METRICS);
    if (exporter && metricsPort) {
      this.service('MetricsService', `${name}-metrics`, [metricsPort], labels.selector, false, 'metrics');
      if (props.serviceMonitor) this.serviceMonitor(name, metricsPort);
    }

    const podOptions: DatabasePodOptions = {
      def,
      ctx,
      name,
      image,
      qos: props.qosClass ?? QosClass.GUARANTEED,
      cpuMillis: options.checked.cpuMillis,
      memoryMebibytes: options.checked.memoryMebibytes,
      exporter,
      exporterImage: exporter ? rewriteRegistry(exporter.image, props.imageRegistry) : undefined,
      configMapName: configName,
      initScriptsConfigMap: initScriptsName,
      tlsSecretName,
      volumeMode: props.volumeMode ?? VolumeMode.FILESYSTEM,
      extraEnv: props.env ?? {},
      terminationGracePeriodSeconds: props.terminationGracePeriod?.toSeconds()
        ?? repl?.terminationGracePeriodSeconds ?? def.terminationGracePeriodSeconds,
      priorityClassName: props.priorityClassName,
      imagePullSecrets: props.imagePullSecrets,
      dedicatedNodes: props.dedicatedNodes,
      nodeSelector: props.nodeSelector,
      tolerations: props.tolerations,
      requiredNodeAffinity: props.requiredNodeAffinity,
      replication: repl,
      imageRegistry: props.imageRegistry,
      restore,
    };
    for (const [index, group] of options.groups.entries()) {
      this.statefulSets.push(this.statefulSet(index, group, podOptions, configData, exporter?.configFiles ?? {}));
    }

    this.networkPolicy(name, ports, props.monitoringNamespace ?? DEFAULT_MONITORING_NAMESPACE, exporter !== undefined);
    refuseForeignSecretReferences(scope, namespace,
      [this.credentialsSecretName, application?.secretName, tlsSecretName].filter((n): n is string => n !== undefined));

    this.migrationsJob = this.renderJobs(initScriptsName);
  }

  /**
   * The one-off Jobs that connect to the database once it runs: bootstrap (or a replicated topology's formation),
   * the application user, the engine's extra Jobs, and the user's migrations, which it returns.
   */
  private renderJobs(initScriptsConfigMap?: string): ApiObject | undefined {
    const { def, ctx, name } = this;
    const repl = this.replication;
    // A DRPair's passive site holds the peer's data: every Job that writes (formation, users, migrations) runs on the
    // active site only, and exists here once the site becomes active.
    if (this.options.replication?.crossSite?.passive) return undefined;
    // A replicated topology's formation Job replaces the single instance's bootstrap (e.g. Cassandra roles plus system_auth replication).
    const bootstrap = repl?.formationJob ?? def.bootstrapJob?.(ctx);
    if (bootstrap) this.job(`${name}-${bootstrap.suffix}`, repl?.formationJob ? 'Formation' : 'Bootstrap', bootstrap, initScriptsConfigMap);
    const appJob = ctx.application ? (repl ? repl.applicationUserJob : def.applicationUserJob?.(ctx)) : undefined;
    if (appJob) this.job(`${name}-${appJob.suffix}`, 'ApplicationUser', appJob);
    for (const extra of (repl ? repl.extraJobs : def.extraJobs?.(ctx)) ?? []) this.job(`${name}-${extra.suffix}`, extra.id, extra);
    if (!this.props.migrations) return undefined;
    return migrationsJob(this.scope, this.props.migrations, {
      name,
      labels: this.labels,
      host: this.host,
      port: this.port,
      database: this.clientDatabase,
      client: this.clientCredentials,
      sslMode: repl?.clientSslMode,
      caSecretName: repl?.clientSslMode === 'verify-full' ? this.tlsSecretName : undefined,
      imagePullSecrets: this.props.imagePullSecrets,
      connections: this.connections,
    });
  }

  /** The Secrets `connectionEnv()` reads, copied into `target`: the client credentials, and the CA where clients verify it. */
  private shareSecretsWith(target: string): void {
    this.shareSecrets ??= secretSharing(this.scope, {
      name: this.name,
      namespace: this.namespace,
      labels: this.labels.forComponent('secret-sharing'),
      secrets: [
        { name: this.clientCredentials.secretName, keys: [this.clientCredentials.usernameKey, this.clientCredentials.passwordKey] },
        ...(this.replication?.clientSslMode === 'verify-full' && this.tlsSecretName ? [{ name: this.tlsSecretName, keys: ['ca.crt'] }] : []),
      ],
      imagePullSecrets: this.props.imagePullSecrets,
      registry: this.props.imageRegistry,
    });
    this.shareSecrets(target);
  }

  /** The application user's Secret and database, unless applications get the superuser. */
  private applicationRef(scope: Construct, name: string, user: ApplicationUser, props: StatefulDatabaseProps,
    def: EngineDefinition): ApplicationRef | undefined {
    if (user._isSuperuser) return undefined;
    const secretName = user._secretName ?? `${name}-app`;
    checkSubdomainName(scope, 'applicationUser', secretName);
    return {
      secretName,
      usernameKey: user._usernameKey,
      passwordKey: user._passwordKey,
      database: def.supportsDatabaseName ? (props.databaseName ?? 'app') : undefined,
    };
  }

  /** Selector labels of one group (rack). */
  public groupSelector(group: AssemblyGroup): Record<string, string> {
    return { ...this.labels.selector, ...(group.extraSelector ?? {}) };
  }

  private statefulSet(index: number, group: AssemblyGroup, podOptions: DatabasePodOptions,
    configData: Record<string, string>, exporterConfig: Record<string, string>): ApiObject {
    const props = this.props;
    const selector = this.groupSelector(group);
    const podLabels = { ...this.labels.forComponent('database'), ...(group.extraSelector ?? {}) };
    const zones = group.zone ? [group.zone] : this.options.zones;
    const podSpec = buildPodSpec({
      ...podOptions,
      groupEnv: group.rack && this.replication?.rackEnv ? this.replication.rackEnv(group.rack) : undefined,
      requiredNodeAffinity: [
        ...(props.requiredNodeAffinity ?? []),
        ...(zones && zones.length > 0 ? [{ key: ZONE_KEY, matchOperator: NodeSelectorOperator.IN, values: zones }] : []),
      ],
    });
    const updateStrategy = props.updateStrategy ?? UpdateStrategy.rollingUpdate();
    const topologySpreadConstraints = this.options.topologySpread?.(this.labels.selector);
    this.statefulSetViews.push({
      metadata: { name: group.name },
      spec: {
        replicas: group.replicas,
        template: { metadata: { labels: podLabels }, spec: { topologySpreadConstraints, affinity: podSpec.affinity } },
      },
    });
    // On the StatefulSet, not its template: an annotation there changes nothing in the pods.
    const annotations: Record<string, string> = { [ANNOTATION_ENGINE]: `${this.def.family} ${this.def.version}`, ...this.def.statefulSetAnnotations };
    // The template keeps the size the volumes were created with (it cannot change); grown claims come first, so a fresh
    // install creates them at the new size before the controller would.
    const claimTemplate: k8s.KubePersistentVolumeClaimProps = {
      metadata: { name: 'data', labels: selector },
      spec: {
        accessModes: [props.storageAccessMode ?? StorageAccessMode.READ_WRITE_ONCE],
        volumeMode: props.volumeMode ?? VolumeMode.FILESYSTEM,
        storageClassName: props.storageClassName,
        resources: { requests: { storage: k8s.Quantity.fromString(quantityOf(this.storageSizes.template)) } },
        dataSource: this.dataSource,
      },
    };
    const grown = this.storageSizes.grown;
    if (grown) {
      annotations[ANNOTATION_ORIGINAL_STORAGE_SIZE] = quantityOf(this.storageSizes.template);
      emitGrownClaims(this.scope, { statefulSetName: group.name, replicas: group.replicas, template: claimTemplate, size: grown });
    }
    return new k8s.KubeStatefulSet(this.scope, index === 0 ? 'StatefulSet' : `StatefulSet${index}`, {
      metadata: { name: group.name, labels: podLabels, annotations },
      spec: {
        replicas: group.replicas,
        serviceName: this.headlessServiceName,
        selector: { matchLabels: selector },
        podManagementPolicy: props.podManagementPolicy ?? this.replication?.podManagementPolicy ?? PodManagementPolicy.ORDERED_READY,
        updateStrategy: updateStrategy.strategyType === 'OnDelete' ? { type: 'OnDelete' }
          : { type: 'RollingUpdate', rollingUpdate: { partition: updateStrategy.partition } },
        minReadySeconds: (props.minReady ?? Duration.seconds(0)).toSeconds(),
        persistentVolumeClaimRetentionPolicy: {
          whenDeleted: props.pvcRetentionWhenDeleted ?? PvcRetention.RETAIN,
          whenScaled: props.pvcRetentionWhenScaled ?? PvcRetention.RETAIN,
        },
        template: {
          metadata: {
            labels: podLabels,
            annotations: {
              ...props.annotations,
              [ANNOTATION_CONFIG_CHECKSUM]: checksum(JSON.stringify([
                this.replication?.restartInput?.(configData) ?? configData, exporterConfig, props.initScripts ?? {},
              ])),
            },
          },
          spec: {
            ...podSpec,
            serviceAccountName: this.options.name,
            topologySpreadConstraints,
          },
        },
        volumeClaimTemplates: [claimTemplate],
      },
    });
  }

  private service(id: string, name: string, ports: EnginePort[], selector: Record<string, string>, headless: boolean, component = 'database'): void {
    new k8s.KubeService(this.scope, id, {
      metadata: { name, labels: this.labels.forComponent(component) },
      spec: {
        type: 'ClusterIP',
        ...(headless ? { clusterIp: 'None', publishNotReadyAddresses: true } : {}),
        selector,
        ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromString(p.name), protocol: 'TCP' })),
      },
    });
  }

  private networkPolicy(name: string, ports: EnginePort[], monitoringNamespace: string, exporterOn: boolean): void {
    const portsOf = (...roles: PortRole[]) => ports.filter((p) => roles.includes(p.role)).map((p) => ({ protocol: 'TCP', port: p.port }));
    const members = this.options.groups.reduce((n, g) => n + g.replicas, 0);
    // A plain ApiObject: the peer lists are read at synth time, after every allowFrom call.
    new ApiObject(this.scope, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, labels: this.labels.common },
      spec: {
        podSelector: { matchLabels: this.labels.selector },
        // Ingress only: listing it with these rules denies every other ingress to the pods.
        policyTypes: ['Ingress'],
        ingress: {
          resolve: () => {
            const rules: unknown[] = [];
            const add = (from: unknown[], rulePorts: unknown[]) => {
              if (rulePorts.length > 0 && from.length > 0) rules.push({ from, ports: rulePorts });
            };
            add(this.connections._clientPeers(), portsOf(PortRole.CLIENT));
            // Members reach each other on the data plane: replication uses the client port too.
            const peerRoles = members > 1 ? [PortRole.CLIENT, PortRole.PEER] : [PortRole.PEER];
            add([{ podSelector: { matchLabels: this.labels.selector } }], portsOf(...peerRoles));
            add(this.connections._adminPeers(), portsOf(PortRole.ADMIN));
            if (exporterOn) add([namespacePeer(monitoringNamespace)], portsOf(PortRole.METRICS));
            return rules;
          },
        },
      },
    });
  }

  /** An engine's Job, run by the database image; it reaches the database on its client port, like any application. */
  private job(jobName: string, id: string, job: EngineJob, initScriptsConfigMap?: string): void {
    const scripts = job.initScriptsPath && initScriptsConfigMap ? { configMap: initScriptsConfigMap, mountPath: job.initScriptsPath } : undefined;
    databaseClientJob(this.scope, id, {
      name: jobName,
      labels: this.labels.forComponent(id.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()),
      serviceAccountLabels: this.labels.common,
      connections: this.connections,
      image: this.image,
      script: job.script,
      env: job.env,
      runAsUser: job.runAsUser,
      imagePullSecrets: this.props.imagePullSecrets,
      cpuMillis: 250,
      memoryMebibytes: 256,
      configMapMount: scripts,
      mountedContent: scripts ? this.props.initScripts : undefined,
    });
  }

  private certificate(name: string, secretName: string, namespace?: string): void {
    const tls = this.props.tls!;
    const suffixes = namespace ? ['', `.${namespace}`, `.${namespace}.svc`] : [''];
    const hosts = this.readerHost ? [name, `${name}-ro`] : [name];
    new ApiObject(this.scope, 'Certificate', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name, labels: this.labels.common },
      spec: {
        secretName,
        dnsNames: [
          ...hosts.flatMap((h) => suffixes.map((s) => `${h}${s}`)),
          ...suffixes.map((s) => `*.${this.headlessServiceName}${s}`),
        ],
        duration: `${(tls.duration ?? Duration.days(90)).toHours()}h`,
        renewBefore: `${(tls.renewBefore ?? Duration.days(30)).toHours()}h`,
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        // Members are clients of each other too (MySQL's XCom verifies its peers' certificates as client
        // certificates, replication and gossip connections present them): both extended key usages.
        usages: ['server auth', 'client auth', 'digital signature', 'key encipherment'],
        issuerRef: { name: tls.issuerName, kind: tls.issuerKind ?? 'Issuer', group: 'cert-manager.io' },
        ...(this.def.tlsNeedsCombinedPem ? { additionalOutputFormats: [{ type: 'CombinedPEM' }] } : {}),
      },
    });
  }

  private serviceMonitor(name: string, metricsPort: EnginePort): void {
    new ApiObject(this.scope, 'ServiceMonitor', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name, labels: this.labels.common },
      spec: {
        selector: { matchLabels: { ...this.labels.selector, 'app.kubernetes.io/component': 'metrics' } },
        endpoints: [{ port: metricsPort.name, interval: '30s', path: '/metrics' }],
      },
    });
  }
}
