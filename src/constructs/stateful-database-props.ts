import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Restore } from '../backup/restore';
import { Engine } from '../engines/engine';
import { DatabaseMigrations } from '../migrations/migrations';
import { DatabaseToleration, DedicatedNodes, NodeRequirement } from '../pod/placement';
import { QosClass } from '../pod/resources';
import { PodManagementPolicy, UpdateStrategy } from '../pod/update-strategy';
import { ApplicationUser } from '../security/application-user';
import { Credentials } from '../security/credentials';
import { TlsOptions } from '../security/tls';
import { PvcRetention, StorageAccessMode, VolumeMode } from '../storage/volume';

/** Properties of a `StatefulDatabase`. */
export interface StatefulDatabaseProps {
  /** The engine profile, with an explicit version: `Engine.postgres({ version: PostgresVersion.V16 })`. */
  readonly engine: Engine;

  /**
   * Name of the StatefulSet and of the client Service (the database's host name). At most 52
   * characters: pods carry a `controller-revision-hash` label of the name plus 11 characters.
   * @default - derived from the construct path
   */
  readonly name?: string;

  /**
   * Size of each data volume.
   * @default Size.gibibytes(10)
   */
  readonly storageSize?: Size;
  /**
   * The size the data volumes were created with. When raising `storageSize` on an existing database, set this to the
   * size it was created with (its previous `storageSize`) and keep it for the life of the database: a StatefulSet's
   * claim template cannot change, so it keeps this size, and each member's claim is emitted at `storageSize`, which
   * `kubectl apply` grows in place (the StorageClass must allow volume expansion). Volumes never shrink.
   * @default - storageSize: the claim template asks for `storageSize` and no claim is emitted
   * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#expanding-persistent-volumes-claims
   */
  readonly originalStorageSize?: Size;
  /**
   * StorageClass of the data volume (see `DatabaseStorageClass`).
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * @default StorageAccessMode.READ_WRITE_ONCE
   */
  readonly storageAccessMode?: StorageAccessMode;
  /**
   * @default VolumeMode.FILESYSTEM
   */
  readonly volumeMode?: VolumeMode;
  /**
   * What happens to the data volumes when the StatefulSet is deleted.
   * @default PvcRetention.RETAIN
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#persistentvolumeclaim-retention
   */
  readonly pvcRetentionWhenDeleted?: PvcRetention;
  /**
   * What happens to the data volumes of removed replicas when the StatefulSet scales down.
   * @default PvcRetention.RETAIN
   */
  readonly pvcRetentionWhenScaled?: PvcRetention;

  /**
   * CPU of the database container (request, and limit under Guaranteed QoS).
   * @default Cpu.units(1)
   */
  readonly cpu?: kplus.Cpu;
  /**
   * Memory of the database container (request and limit). Engine memory settings
   * (shared_buffers, buffer pool, WiredTiger cache, maxmemory, heap) are sized from it.
   * @default - the engine's default: 1 GiB (PostgreSQL, MySQL, Redis, Valkey), 2 GiB (MongoDB), 4 GiB (Cassandra)
   */
  readonly memory?: Size;
  /**
   * QoS class of the pods. Burstable must be asked for: it drops CPU limits.
   * @default QosClass.GUARANTEED
   * @see https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/
   */
  readonly qosClass?: QosClass;
  /**
   * PriorityClass of the pods (see `DatabasePriorityClass`).
   * @default - none (priority 0)
   */
  readonly priorityClassName?: string;

  /**
   * @default PodManagementPolicy.ORDERED_READY
   */
  readonly podManagementPolicy?: PodManagementPolicy;
  /**
   * @default UpdateStrategy.rollingUpdate()
   */
  readonly updateStrategy?: UpdateStrategy;
  /**
   * How long a new pod must be ready before it counts as available.
   * @default Duration.seconds(0)
   */
  readonly minReady?: Duration;
  /**
   * Time for a clean shutdown after the preStop hook starts.
   * @default - the engine's: 60 s (PostgreSQL, MongoDB, Redis, Valkey), 90 s (MySQL), 120 s (Cassandra); replicated:
   *   180 s (MongoDB: step down and quorum wait), 3600 s (Cassandra ring: one node at a time, decommission)
   */
  readonly terminationGracePeriod?: Duration;

  /**
   * Superuser credentials.
   * @default Credentials.generate()
   */
  readonly credentials?: Credentials;
  /**
   * The account applications connect with (`connectionEnv()`): an ordinary role that owns the application's
   * database, created and kept in step with its Secret by the library. The superuser stays for the engine's own tools.
   * @default ApplicationUser.generate() (user `app`, Secret `<name>-app`) for every built-in engine;
   *   ApplicationUser.superuser() for a custom engine
   */
  readonly applicationUser?: ApplicationUser;
  /**
   * Database created on first start (PostgreSQL, MySQL, MongoDB).
   * @default - the engine's default database only
   */
  readonly databaseName?: string;
  /**
   * Scripts run once on first start (file name to content), from a ConfigMap mounted where the
   * image runs them (`/docker-entrypoint-initdb.d`).
   * @default - none
   */
  readonly initScripts?: Record<string, string>;
  /**
   * Start from a backup instead of an empty database: a VolumeSnapshot, a logical dump (checksum
   * verified, loaded once on first start), or a point in time (PostgreSQL on Patroni).
   * @default - an empty database
   */
  readonly restoreFrom?: Restore;
  /**
   * Extra engine settings, written into the engine's configuration file (ConfigMap). Settings that
   * would carry a secret are refused.
   * @default - the profile's settings only
   */
  readonly config?: Record<string, string>;

  /**
   * Run the engine's Prometheus exporter as a sidecar.
   * @default - true when the engine has an exporter
   */
  readonly metrics?: boolean;
  /**
   * Create a prometheus-operator ServiceMonitor for the metrics Service.
   * @default false
   */
  readonly serviceMonitor?: boolean;
  /**
   * Namespace allowed to scrape the metrics port.
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;

  /**
   * TLS for client connections.
   * @default - no TLS
   */
  readonly tls?: TlsOptions;

  /**
   * Emit a PodDisruptionBudget that blocks every voluntary eviction of the single instance. Node
   * drains then wait until someone moves the database by hand: a decision, recorded on the budget.
   * @default false
   */
  readonly blockEvictions?: boolean;

  /**
   * Run on dedicated database nodes (node selector and toleration).
   * @default - any node
   */
  readonly dedicatedNodes?: DedicatedNodes;
  /**
   * @default - none
   */
  readonly nodeSelector?: Record<string, string>;
  /**
   * @default - none
   */
  readonly tolerations?: DatabaseToleration[];
  /**
   * Node labels the pods require (required node affinity).
   * @default - none
   */
  readonly requiredNodeAffinity?: NodeRequirement[];

  /**
   * Registry host that replaces each image's registry, for air-gapped clusters (e.g. `registry.internal:5000`).
   * @default - the images' own registries
   */
  readonly imageRegistry?: string;
  /**
   * Names of image pull Secrets.
   * @default - none
   */
  readonly imagePullSecrets?: string[];

  /**
   * Extra labels on every object.
   * @default - none
   */
  readonly labels?: Record<string, string>;
  /**
   * Extra annotations on the pods.
   * @default - none
   */
  readonly annotations?: Record<string, string>;
  /**
   * Extra env vars of the database container. Names the engine sets itself are refused, and so is
   * anything that looks like a password: use a Secret.
   * @default - none
   */
  readonly env?: Record<string, string>;

  /**
   * Schema migrations: the user's migration image, run as a Job `<name>-migrate-<hash>` with the application user's
   * connection (what `connectionEnv()` gives applications), once per version (a new image tag is a new Job), restricted
   * and Guaranteed like every pod of the library. Order the application after it with `kubectl wait` on the Job's
   * `cdk8s-databases.io/migrations-version` label, or with `migrationsJob` (see docs/migrations.md).
   * @default - no migrations Job
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/job/
   */
  readonly migrations?: DatabaseMigrations;
}
