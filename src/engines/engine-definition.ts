import { k8s } from 'cdk8s-plus-28';
import type { CustomEngineProps } from './custom';
import { EnginePort, ReplicationMode } from './engine-port';
import type { YamlValue } from '../private/config-format';

/** Where the credentials live, as the engine needs to reference them. */
export interface CredentialsRef {
  readonly secretName: string;
  readonly usernameKey: string;
  readonly passwordKey: string;
}

/** The application user's Secret, and the database it owns where the engine has named databases. */
export interface ApplicationRef extends CredentialsRef {
  /** Database the application user owns (`databaseName`, else `app`), for engines with named databases. */
  readonly database?: string;
}

/** What the construct knows when it asks an engine to render itself. */
export interface EngineContext {
  /** StatefulSet name (also the client Service name). */
  readonly name: string;
  /** Headless Service name. */
  readonly headlessService: string;
  /** Namespace of the chart, when it has one. */
  readonly namespace?: string;
  readonly credentials: CredentialsRef;
  /** The application user to create, unless applications get the superuser (`ApplicationUser.superuser()`). */
  readonly application?: ApplicationRef;
  readonly databaseName?: string;
  /** The `initScripts` files, for engines that run them other than through the image (Patroni's init Job). */
  readonly initScripts?: Record<string, string>;
  /** Mount path of the TLS secret when TLS is on. */
  readonly tlsPath?: string;
  /** Directory where the engine's ConfigMap is mounted. */
  readonly configPath: string;
  readonly memoryBytes: number;
  readonly cpuMillis: number;
  /** Extra settings given by the user (`config` prop), already checked. */
  readonly settings: Record<string, string>;
}

/** The main container as the engine wants it; the construct adds resources, security and mounts. */
export interface EngineContainer {
  readonly command?: string[];
  readonly args?: string[];
  readonly env: k8s.EnvVar[];
  readonly startupProbe: k8s.Probe;
  readonly readinessProbe: k8s.Probe;
  readonly livenessProbe: k8s.Probe;
  /** Command run by the preStop hook to stop the engine cleanly. */
  readonly preStop?: string[];
}

/** A sidecar that exports Prometheus metrics. */
export interface EngineExporter {
  readonly image: string;
  readonly args?: string[];
  readonly env: k8s.EnvVar[];
  readonly port: number;
  readonly cpuMillis: number;
  readonly memoryMebibytes: number;
  /** Extra files the exporter needs, rendered into the engine ConfigMap and mounted at `configMountPath`. */
  readonly configFiles?: Record<string, string>;
  readonly configMountPath?: string;
  /** Writable directories the exporter needs on a read-only root filesystem. */
  readonly writablePaths?: string[];
}

/** A one-off Job the engine needs beside the StatefulSet, run with the engine's own image (e.g. Cassandra's role bootstrap). */
export interface EngineJob {
  /** Suffix appended to the database name. */
  readonly suffix: string;
  readonly script: string;
  readonly env: k8s.EnvVar[];
  readonly runAsUser: number;
  /** Where the Job mounts the `initScripts` ConfigMap, when it runs them. */
  readonly initScriptsPath?: string;
}

/** One more one-off Job an engine asks for beside bootstrap, formation and application user (MongoDB's featureCompatibilityVersion). */
export interface ExtraEngineJob extends EngineJob {
  /** Construct id, PascalCase and unique in the database; kebab-cased, the Job's `app.kubernetes.io/component`. */
  readonly id: string;
}

/** A directory the engine writes to outside its data volume. */
export interface WritablePath {
  readonly path: string;
  /** Memory-backed (for /dev/shm). */
  readonly memory?: boolean;
}

/** Everything the construct needs from an engine profile. */
export interface EngineDefinition {
  /** Engine family, used as `app.kubernetes.io/name` (e.g. `postgresql`). */
  readonly family: string;
  readonly version: string;
  /** Image registry host, e.g. `docker.io`; replaced by `imageRegistry`. */
  readonly registry: string;
  /** Image repository below the registry, e.g. `library/postgres`. */
  readonly repository: string;
  readonly tag: string;
  /** `sha256:<hex>` when the version pins the image by digest (`16.6@sha256:...`). */
  readonly digest?: string;
  /**
   * What the factory could not read (e.g. a missing version), for the database construct to report with its path;
   * the rest of the definition is then a stand-in.
   */
  readonly problem?: string;
  /** The props a custom engine was made from, checked when a database binds it. */
  readonly custom?: CustomEngineProps;
  readonly ports: EnginePort[];
  readonly runAsUser: number;
  readonly fsGroup: number;
  readonly dataPath: string;
  readonly writablePaths: WritablePath[];
  readonly minMemoryBytes: number;
  readonly defaultMemoryBytes: number;
  readonly terminationGracePeriodSeconds: number;
  /** Username used when the library generates the credentials Secret. */
  readonly defaultUsername: string;
  /** Directory the engine runs `*.sql`/`*.sh`/`*.js` scripts from on first start, if it has one. */
  readonly initScriptsPath?: string;
  readonly supportsDatabaseName: boolean;
  /** The TLS secret must carry a combined key+certificate PEM (cert-manager `CombinedPEM`). */
  readonly tlsNeedsCombinedPem?: boolean;
  /** Setting names the engine refuses in `config` because they would carry a secret. */
  readonly secretSettings: string[];
  /** File name of the engine configuration inside `configPath`. */
  readonly configFileName: string;
  readonly configPath: string;
  /** Why this engine version has no replicated topology, when it has none. */
  readonly replicationUnsupported?: string;
  /**
   * The engine has ordinary roles an application user can be (every built-in engine but the custom one); the user
   * is created by `applicationUserJob` or, where the engine keeps users in its configuration (Redis ACL), at start.
   */
  readonly supportsApplicationUser?: boolean;
  /**
   * Annotations on each StatefulSet (not its pod template: they restart nothing) recording what the engine was
   * declared with, for the apply-safety rules (MongoDB's featureCompatibilityVersion).
   */
  readonly statefulSetAnnotations?: Record<string, string>;
  renderConfig(ctx: EngineContext): string;
  /** More files for the same ConfigMap. */
  extraConfigFiles?(ctx: EngineContext): Record<string, string>;
  container(ctx: EngineContext): EngineContainer;
  exporter?(ctx: EngineContext): EngineExporter;
  bootstrapJob?(ctx: EngineContext): EngineJob;
  /** Creates `ctx.application` against a single instance, and sets its password; safe to run again. */
  applicationUserJob?(ctx: EngineContext): EngineJob;
  /** More one-off Jobs against a single instance (a replicated topology gives its own in `ReplicationPlan.extraJobs`). */
  extraJobs?(ctx: EngineContext): ExtraEngineJob[];
  /** The engine's replicated topology, where it has one. */
  replication?(ctx: ReplicationContext): ReplicationPlan;
}

/** Pod label that tells primaries from replicas, written by the engine itself. */
export interface RoleLabel {
  readonly key: string;
  readonly primaryValue: string;
  readonly replicaValue: string;
}

/** A rack of a ring engine: one StatefulSet, pinned to one zone. */
export interface RackPlan {
  readonly name: string;
  readonly zone?: string;
  readonly replicas: number;
  /** StatefulSet name of the rack. */
  readonly statefulSetName: string;
}

/** What the construct knows when it asks an engine for its replicated topology. */
export interface ReplicationContext extends EngineContext {
  readonly replicas: number;
  /** DNS names of the members, in ordinal order (per rack for ring engines). */
  readonly members: string[];
  /** Labels every member carries (the database selector). */
  readonly selectorLabels: Record<string, string>;
  readonly synchronousStandbys?: number;
  readonly memberPriorities?: number[];
  readonly racks?: RackPlan[];
  readonly replicationFactor?: number;
  readonly datacenter?: string;
  /** One site of a DRPair: how this database replicates with the other site's. */
  readonly crossSite?: CrossSiteReplication;
}

/** What a site of a DRPair adds to its database's replication (src/constructs/dr-pair.ts). */
export interface CrossSiteReplication {
  /** The passive site: it follows the peer and writes nothing of its own (no init, user or migration Jobs). */
  readonly passive: boolean;
  /** Patroni's `standby_cluster` block for a passive site that follows the peer by streaming. */
  readonly standbyCluster?: Record<string, YamlValue>;
  /** The permanent replication slot this site keeps for the peer, whichever site leads. */
  readonly peerSlot?: string;
  /** Bound of the WAL that slot may hold (PostgreSQL `max_slot_wal_keep_size`), e.g. `4096MB`. */
  readonly maxSlotWalKeepSize?: string;
  /** libpq sslmode of replication connections (the standby's to the peer), e.g. `verify-ca`. */
  readonly replicationSslMode?: string;
}

/** A container the engine adds beside the database (e.g. Redis Sentinel); the construct adds resources and security. */
export interface EngineSidecar {
  readonly name: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly env: k8s.EnvVar[];
  readonly ports: k8s.ContainerPort[];
  readonly readinessProbe?: k8s.Probe;
  readonly livenessProbe?: k8s.Probe;
  /** Runs before the sidecar gets SIGTERM (e.g. stay up while the engine hands over). */
  readonly preStop?: string[];
  readonly volumeMounts: k8s.VolumeMount[];
  readonly cpuMillis: number;
  readonly memoryMebibytes: number;
  /**
   * A full image reference when the sidecar does not run the engine's image (the role labeller's API tools);
   * `imageRegistry` replaces its registry too.
   * @default - the engine's image
   */
  readonly image?: string;
  /**
   * This sidecar alone gets the ServiceAccount token (a projected volume at the standard path); the pod then
   * automounts none, so the engine's containers hold no token.
   * @default false
   */
  readonly apiToken?: boolean;
}

/** A replicated topology, as the engine's own documentation runs it. */
export interface ReplicationPlan {
  readonly mode: ReplicationMode;
  /**
   * How the StatefulSet starts members, unless the user sets `podManagementPolicy`. Parallel where members
   * must meet to agree on who leads after a full restart (Sentinel).
   * @default OrderedReady
   */
  readonly podManagementPolicy?: 'Parallel' | 'OrderedReady';
  /** Members that must be up for the database to accept writes (or, for rings, replicas of each range for QUORUM). */
  readonly quorum: number;
  /** A different image for replicated mode (e.g. Spilo, which carries Patroni). */
  readonly image?: { readonly registry: string; readonly repository: string; readonly tag: string };
  readonly runAsUser?: number;
  readonly fsGroup?: number;
  readonly dataPath?: string;
  readonly writablePaths?: WritablePath[];
  readonly terminationGracePeriodSeconds?: number;
  /** Replaces the engine container of the single-instance profile. */
  readonly container: EngineContainer;
  /** Per-rack env for ring engines (added to `container.env`). */
  readonly rackEnv?: (rack: RackPlan) => k8s.EnvVar[];
  /** Ports beyond the single-instance profile (peer, admin, sentinel). */
  readonly extraPorts: EnginePort[];
  readonly roleLabel?: RoleLabel;
  readonly sidecars?: EngineSidecar[];
  readonly initContainers?: EngineSidecar[];
  readonly extraVolumes?: k8s.Volume[];
  readonly extraMounts?: k8s.VolumeMount[];
  /** Files for the ConfigMap; replace the single-instance configuration when `replacesConfig`. */
  readonly configFiles: Record<string, string>;
  /**
   * Name of the engine ConfigMap, where `<name>-config` is one of the engine's own objects (Patroni keeps
   * `<scope>-config` in ConfigMap mode).
   * @default `<name>-config`
   */
  readonly configMapName?: string;
  /** libpq sslmode PostgreSQL clients need, for `connectionEnv()` (Spilo refuses non-TLS clients). */
  readonly clientSslMode?: 'require' | 'verify-full';
  readonly replacesConfig?: boolean;
  /**
   * The part of the ConfigMap a member reads only when it starts: the pod template's checksum covers this, so
   * changing it rolls the pods. The rest reaches running members through the plan's own sidecar (Patroni's
   * dynamic configuration), and changing it must not restart anything.
   * @default - every file
   */
  readonly restartInput?: (configFiles: Record<string, string>) => Record<string, string>;
  /** Kubernetes API rights the members need (Patroni keeps its state in ConfigMaps and labels pods). */
  readonly apiRules?: k8s.PolicyRule[];
  /** Extra random keys the generated credentials Secret must hold (key name to bytes of entropy). */
  readonly extraSecretKeys?: Record<string, number>;
  /**
   * Creates the application user against the writer of this topology (replaces the single instance's
   * `applicationUserJob`); none where the members create it at start.
   */
  readonly applicationUserJob?: EngineJob;
  /** A Job that forms the group once (replica set initiation, role bootstrap). */
  readonly formationJob?: EngineJob;
  /** More one-off Jobs against this topology (replaces the single instance's `extraJobs`). */
  readonly extraJobs?: ExtraEngineJob[];
  /** How an operator moves the primary away before draining its node. */
  readonly switchoverCommand?: (primaryPod: string) => string;
  /** What fails over by itself and what does not, for the report. */
  readonly failoverNotes: string;
  /**
   * What a member does when a rolling update stops it, and when it counts as Ready again, for the rollout plan in
   * the report (src/report/rollout-plan.ts).
   * @default - the plan says only what Kubernetes does: the member's preStop hook, if any, then SIGTERM
   */
  readonly rollout?: MemberRollout;
}

/** How one member of a replicated topology goes through a rolling update, as the engine's own hooks and probes run it. */
export interface MemberRollout {
  /** What the member's preStop does before the engine stops (the handover), one or two sentences. */
  readonly beforeStop: string;
  /** What its readiness probes require, so what the StatefulSet waits for before it stops the next member. */
  readonly readyWhen: string;
}
