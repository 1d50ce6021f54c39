import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { EngineContainer, EngineContext, EngineDefinition } from './engine-definition';
import { EnginePort, PortRole, ReplicationMode } from './engine-port';
import { MIB, execProbe, secretEnv, tcpProbe } from './probes';
import { isInstanceOf } from '../private/value-types';

/** Options of a custom engine: any database image, described by what the construct needs to run it well. */
export interface CustomEngineProps {
  /**
   * Engine family, used as `app.kubernetes.io/name` and as the container name: at most 63 lower-case letters,
   * digits and '-' (e.g. `clickhouse`).
   */
  readonly name: string;
  /** Image without tag or digest, e.g. `docker.io/clickhouse/clickhouse-server`. */
  readonly image: string;
  /**
   * Image tag starting with a version number, optionally pinned by digest: `24.8.4.13` or
   * `24.8.4.13@sha256:<64 hex digits>`. Floating tags such as `latest` are refused.
   */
  readonly version: string;
  /** Ports; exactly one must have the CLIENT role, and a METRICS port (named `metrics`) goes with `exporterImage`. */
  readonly ports: EnginePort[];
  /** Where the data volume is mounted. */
  readonly dataPath: string;
  /** Numeric user id the image runs as (1 to 2147483647: restricted pods never run as root). */
  readonly runAsUser: number;
  /**
   * Group that owns the data volume (0 to 2147483647).
   * @default - the same as `runAsUser`
   */
  readonly fsGroup?: number;
  /**
   * Container command.
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * Container arguments.
   * @default - the image's default command
   */
  readonly args?: string[];
  /**
   * Env var that receives the username from the credentials Secret; `credentials` with a username need it.
   * @default - the username is not passed
   */
  readonly usernameEnv?: string;
  /**
   * Env var that receives the password from the credentials Secret; `credentials` need it or `usernameEnv`.
   * @default - the password is not passed
   */
  readonly passwordEnv?: string;
  /**
   * Command of the readiness probe.
   * @default - a TCP check of the client port
   */
  readonly readinessCommand?: string[];
  /**
   * Command of the liveness and startup probes.
   * @default - a TCP check of the client port
   */
  readonly livenessCommand?: string[];
  /**
   * Command of the preStop hook.
   * @default - none: the engine must stop cleanly on SIGTERM
   */
  readonly preStopCommand?: string[];
  /**
   * Directories the engine writes outside its data volume (emptyDirs keep the root filesystem read-only):
   * absolute, distinct, and apart from `dataPath`, `configPath` and `initScriptsPath`.
   * @default ['/tmp']
   */
  readonly writablePaths?: string[];
  /**
   * The least memory the engine runs with.
   * @default Size.mebibytes(128)
   */
  readonly minimumMemory?: Size;
  /**
   * How long a clean shutdown may take.
   * @default Duration.seconds(60)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Directory of the configuration file; `config` settings are written there as `key = value` lines.
   * @default '/etc/database'
   */
  readonly configPath?: string;
  /**
   * Name of the configuration file.
   * @default 'database.conf'
   */
  readonly configFileName?: string;
  /**
   * Directory where the image runs init scripts on first start.
   * @default - the engine has no init scripts
   */
  readonly initScriptsPath?: string;
  /**
   * Full image of a Prometheus exporter sidecar listening on the METRICS port (which it needs), pinned by a
   * versioned tag or a digest, e.g. `docker.io/example/exporter:1.2.0`.
   * @default - no exporter
   */
  readonly exporterImage?: string;
  /**
   * How the engine replicates when run as a ReplicatedDatabase: its own members find each other through
   * the headless Service (peer ports are open between members).
   * @default - no replicated topology: ReplicatedDatabase refuses the engine
   */
  readonly replicationMode?: ReplicationMode;
  /**
   * Pod label the engine itself sets to tell the primary from replicas (PRIMARY_REPLICA engines), so
   * Services can follow roles and `roleBudgets` can be used.
   * @default - no role label
   */
  readonly roleLabelKey?: string;
  /**
   * Value of `roleLabelKey` on the primary.
   * @default 'primary'
   */
  readonly primaryRoleValue?: string;
  /**
   * Value of `roleLabelKey` on replicas.
   * @default 'replica'
   */
  readonly replicaRoleValue?: string;
}

/** Splits `registry/repository` the way container runtimes do: the first part is a registry host when it has a dot, a colon, or is localhost. */
export function splitImage(image: string): { registry: string; repository: string } {
  const [first, ...rest] = image.split('/');
  if (rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    return { registry: first, repository: rest.join('/') };
  }
  return { registry: 'docker.io', repository: rest.length > 0 ? image : `library/${image}` };
}

/**
 * The definition of a custom engine. It converts nothing that could throw (the props are checked, with the
 * construct path, when a database binds the engine), so `Engine.custom()` itself never fails.
 */
export function customDefinition(props: CustomEngineProps): EngineDefinition {
  // JavaScript callers may pass anything: read what is there, and leave the refusal to the binding database.
  const { registry, repository } = splitImage(typeof props.image === 'string' ? props.image : '');
  const ports = Array.isArray(props.ports) ? props.ports : [];
  const client = ports.find((p) => p.role === PortRole.CLIENT);
  const metrics = ports.find((p) => p.role === PortRole.METRICS);
  const timing = { period: 10, timeout: 5 };
  const probe = (command: string[] | undefined, failureThreshold: number) =>
    command ? execProbe(command, { ...timing, failureThreshold }) : tcpProbe(client?.port ?? 0, { ...timing, failureThreshold });
  const container = (ctx: EngineContext): EngineContainer => ({
    command: props.command,
    args: props.args,
    env: [
      ...(props.usernameEnv ? [secretEnv(props.usernameEnv, ctx.credentials.secretName, ctx.credentials.usernameKey)] : []),
      ...(props.passwordEnv ? [secretEnv(props.passwordEnv, ctx.credentials.secretName, ctx.credentials.passwordKey)] : []),
    ],
    startupProbe: probe(props.livenessCommand, 60),
    readinessProbe: probe(props.readinessCommand, 3),
    livenessProbe: probe(props.livenessCommand, 6),
    preStop: props.preStopCommand,
  });
  // Fractions are kept (not rounded, not thrown), and what is not a Size or Duration is read as NaN: the binding
  // database refuses them with its path.
  const minimumMemory = props.minimumMemory ?? Size.mebibytes(128);
  const minMebibytes = isInstanceOf(minimumMemory, Size) ? minimumMemory.toMebibytes({ rounding: SizeRoundingBehavior.NONE }) : NaN;
  const gracePeriod = props.terminationGracePeriod ?? Duration.seconds(60);
  const mode = props.replicationMode;
  return {
    family: props.name,
    version: props.version,
    registry,
    repository,
    tag: props.version,
    custom: props,
    ports,
    runAsUser: props.runAsUser,
    fsGroup: props.fsGroup ?? props.runAsUser,
    dataPath: props.dataPath,
    writablePaths: (props.writablePaths ?? ['/tmp']).map((path) => ({ path })),
    minMemoryBytes: minMebibytes * MIB,
    defaultMemoryBytes: Math.max(1024, minMebibytes) * MIB,
    terminationGracePeriodSeconds: isInstanceOf(gracePeriod, Duration) ? gracePeriod.toSeconds({ integral: false }) : NaN,
    defaultUsername: 'admin',
    initScriptsPath: props.initScriptsPath,
    supportsDatabaseName: false,
    secretSettings: [],
    configFileName: props.configFileName ?? 'database.conf',
    configPath: props.configPath ?? '/etc/database',
    renderConfig: (ctx) => Object.entries(ctx.settings).map(([k, v]) => `${k} = ${v}\n`).join(''),
    container,
    replication: mode ? (ctx) => ({
      mode,
      // Majority for consensus engines; a primary/replica engine needs its primary only.
      quorum: mode === ReplicationMode.CONSENSUS || mode === ReplicationMode.RING ? Math.floor(ctx.replicas / 2) + 1 : 1,
      container: container(ctx),
      extraPorts: [],
      configFiles: {},
      roleLabel: props.roleLabelKey !== undefined ? {
        key: props.roleLabelKey, primaryValue: props.primaryRoleValue ?? 'primary', replicaValue: props.replicaRoleValue ?? 'replica',
      } : undefined,
      failoverNotes: `Failover is the ${props.name} image's own; the library only places, protects and connects the members.`,
    }) : undefined,
    // Without a METRICS port the binding database refuses `exporterImage` rather than dropping it.
    exporter: props.exporterImage ? () => ({
      image: props.exporterImage!,
      env: [],
      port: metrics?.port ?? 0,
      cpuMillis: 100,
      memoryMebibytes: 64,
    }) : undefined,
  };
}
