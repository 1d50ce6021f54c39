import { Size } from 'cdk8s';
import { CassandraEngineProps, cassandraDefinition } from './cassandra';
import { CustomEngineProps, customDefinition } from './custom';
import { EngineDefinition } from './engine-definition';
import { EnginePort } from './engine-port';
import { MongoDbEngineProps, mongoDbDefinition } from './mongodb';
import { MysqlEngineProps, mysqlDefinition } from './mysql';
import { PostgresEngineProps, postgresDefinition } from './postgres';
import { RedisEngineProps, ValkeyEngineProps, redisDefinition, valkeyDefinition } from './redis';

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
    return new Engine(postgresDefinition(props));
  }

  /** MySQL from the official `mysql` image. */
  public static mysql(props: MysqlEngineProps): Engine {
    return new Engine(mysqlDefinition(props));
  }

  /** MongoDB Community from the official `mongo` image. */
  public static mongodb(props: MongoDbEngineProps): Engine {
    return new Engine(mongoDbDefinition(props));
  }

  /** Redis from the official `redis` image. */
  public static redis(props: RedisEngineProps): Engine {
    return new Engine(redisDefinition(props));
  }

  /** Valkey (the BSD-licensed Redis fork) from the official `valkey/valkey` image. */
  public static valkey(props: ValkeyEngineProps): Engine {
    return new Engine(valkeyDefinition(props));
  }

  /** Apache Cassandra from the official `cassandra` image. */
  public static cassandra(props: CassandraEngineProps): Engine {
    return new Engine(cassandraDefinition(props));
  }

  /** Any other database image, described by its ports, paths, user and commands. */
  public static custom(props: CustomEngineProps): Engine {
    return new Engine(customDefinition(props));
  }

  /** Engine family, e.g. `postgresql`; used as `app.kubernetes.io/name`. */
  public readonly family: string;
  /** Engine version (the image tag). */
  public readonly version: string;
  /** Full image reference, e.g. `docker.io/library/postgres:16.6`. */
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
    this.image = `${definition.registry}/${definition.repository}:${definition.tag}`;
    this.ports = definition.ports;
    this.runAsUser = definition.runAsUser;
    this.dataPath = definition.dataPath;
    this.minimumMemory = Size.mebibytes(Math.ceil(definition.minMemoryBytes / (1024 * 1024)));
    this.hasMetricsExporter = definition.exporter !== undefined;
    this.supportsInitScripts = definition.initScriptsPath !== undefined;
  }
}
