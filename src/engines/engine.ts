import { Size } from 'cdk8s';
import { CassandraEngineProps, cassandraDefinition } from './cassandra';
import { CustomEngineProps, customDefinition } from './custom';
import { EngineDefinition } from './engine-definition';
import { EnginePort } from './engine-port';
import { MongoDbEngineProps, mongoDbDefinition } from './mongodb';
import { MysqlEngineProps, mysqlDefinition } from './mysql';
import { PostgresEngineProps, postgresDefinition } from './postgres';
import { RedisEngineProps, ValkeyEngineProps, redisDefinition, valkeyDefinition } from './redis';
import { imageFor, splitVersion } from '../private/images';

/**
 * A database engine profile: the official image at an explicit version, and everything needed to
 * run it well on Kubernetes (ports, user, writable paths, probes, clean shutdown, configuration,
 * credentials wiring, metrics exporter).
 *
 * Choose one with a static factory, e.g. `Engine.postgres({ version: PostgresVersion.V16 })`.
 */
export class Engine {
  /** PostgreSQL from the official `postgres` image. */
  public static postgres(props: PostgresEngineProps): Engine {
    return new Engine(builtIn('postgres', 'postgresql', 'PostgresVersion.V16', props, () => postgresDefinition(props)));
  }

  /** MySQL from the official `mysql` image. */
  public static mysql(props: MysqlEngineProps): Engine {
    return new Engine(builtIn('mysql', 'mysql', 'MysqlVersion.V8_4', props, () => mysqlDefinition(props)));
  }

  /** MongoDB Community from the official `mongo` image. */
  public static mongodb(props: MongoDbEngineProps): Engine {
    return new Engine(builtIn('mongodb', 'mongodb', 'MongoDbVersion.V8_0', props, () => mongoDbDefinition(props)));
  }

  /** Redis from the official `redis` image. */
  public static redis(props: RedisEngineProps): Engine {
    return new Engine(builtIn('redis', 'redis', 'RedisVersion.V7_2', props, () => redisDefinition(props)));
  }

  /** Valkey (the BSD-licensed Redis fork) from the official `valkey/valkey` image. */
  public static valkey(props: ValkeyEngineProps): Engine {
    return new Engine(builtIn('valkey', 'valkey', 'ValkeyVersion.V8_0', props, () => valkeyDefinition(props)));
  }

  /** Apache Cassandra from the official `cassandra` image. */
  public static cassandra(props: CassandraEngineProps): Engine {
    return new Engine(builtIn('cassandra', 'cassandra', 'CassandraVersion.V5_0', props, () => cassandraDefinition(props)));
  }

  /** Any other database image, described by its ports, paths, user and commands. */
  public static custom(props: CustomEngineProps): Engine {
    if (typeof props !== 'object' || props === null) {
      return new Engine(standIn('custom', '`engine`: `Engine.custom()` needs its props: `name`, `image`, `version`, `ports`, `dataPath` and `runAsUser`.'));
    }
    return new Engine(define('custom', 'custom', () => customDefinition(props)));
  }

  /** Engine family, e.g. `postgresql`; used as `app.kubernetes.io/name`. */
  public readonly family: string;
  /** Engine version: the image tag, with its digest when pinned by one (`16.6@sha256:...`). */
  public readonly version: string;
  /** Full image reference, e.g. `docker.io/library/postgres:16.6` (or `...:16.6@sha256:...`). */
  public readonly image: string;
  /** Ports with their roles. */
  public readonly ports: EnginePort[];
  /** Numeric user id the engine runs as. */
  public readonly runAsUser: number;
  /** Mount path of the data volume. */
  public readonly dataPath: string;
  /** The least memory the engine runs with. */
  public readonly minimumMemory: Size;
  /** Whether the profile has a Prometheus exporter sidecar. */
  public readonly hasMetricsExporter: boolean;
  /** Whether the image runs init scripts on first start. */
  public readonly supportsInitScripts: boolean;

  /** @internal */
  public readonly _definition: EngineDefinition;

  private constructor(definition: EngineDefinition) {
    this._definition = definition;
    this.family = definition.family;
    this.version = definition.version;
    this.image = imageFor(definition);
    this.ports = definition.ports;
    this.runAsUser = definition.runAsUser;
    this.dataPath = definition.dataPath;
    this.minimumMemory = Size.mebibytes(Math.ceil(definition.minMemoryBytes / (1024 * 1024)));
    this.hasMetricsExporter = definition.exporter !== undefined;
    this.supportsInitScripts = definition.initScriptsPath !== undefined;
  }
}

/**
 * Builds a definition without ever throwing: what the factory cannot read becomes a problem sentence, which the
 * database construct binding the engine reports as a DatabaseConfigError with its path (a factory has no scope).
 */
function define(factory: string, family: string, build: () => EngineDefinition): EngineDefinition {
  try {
    const def = build();
    return typeof def.tag === 'string' ? { ...def, ...splitVersion(def.tag) } : def;
  } catch (e) {
    return standIn(family, `\`engine\`: \`Engine.${factory}()\` could not read its props (${e instanceof Error ? e.message : String(e)}): give them as documented.`);
  }
}

/** A built-in engine needs its version object (JavaScript callers may leave it out). */
function builtIn(factory: string, family: string, example: string, props: unknown, build: () => EngineDefinition): EngineDefinition {
  const version = (props as { version?: { version?: unknown } } | undefined)?.version?.version;
  if (typeof version !== 'string') {
    return standIn(family, `\`engine\`: \`Engine.${factory}()\` needs a \`version\`, e.g. \`Engine.${factory}({ version: ${example} })\`.`);
  }
  return define(factory, family, build);
}

/** Stands in for a definition that could not be built; the binding database refuses it before rendering anything. */
function standIn(family: string, problem: string): EngineDefinition {
  return {
    family,
    version: 'unknown',
    registry: 'docker.io',
    repository: 'unknown',
    tag: 'unknown',
    problem,
    ports: [],
    runAsUser: 0,
    fsGroup: 0,
    dataPath: '/',
    writablePaths: [],
    minMemoryBytes: 0,
    defaultMemoryBytes: 0,
    terminationGracePeriodSeconds: 0,
    defaultUsername: 'unknown',
    supportsDatabaseName: false,
    secretSettings: [],
    configFileName: 'unknown',
    configPath: '/',
    // Read inside "<engine> has no replicated topology here: <reason>." where a layout is checked first.
    replicationUnsupported: problem.replace(/\.$/, ''),
    renderConfig: () => '',
    container: () => ({ env: [], startupProbe: {}, readinessProbe: {}, livenessProbe: {} }),
  };
}
