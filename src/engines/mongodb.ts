import { EngineContext, EngineDefinition } from './engine-definition';
import { PortRole } from './engine-port';
import { mongoApplicationUserJob } from './mongodb-application-user';
import { ANNOTATION_FEATURE_COMPATIBILITY_VERSION, featureCompatibilityJob, featureCompatibilityProblem } from './mongodb-feature-compatibility';
import { replicaSetPlan } from './mongodb-replica-set';
import { GIB, MIB, plainEnv, secretEnv, shellProbe } from './probes';
import { setDotted, toYaml, typedScalar, YamlValue } from '../private/config-format';

/**
 * MongoDB Community versions, as tags of the official `mongo` image.
 * @see https://hub.docker.com/_/mongo
 */
export class MongoDbVersion {
  public static readonly V6_0 = new MongoDbVersion('6.0.18');
  public static readonly V7_0 = new MongoDbVersion('7.0.14');
  public static readonly V8_0 = new MongoDbVersion('8.0.3');
  /**
   * Any other release tag of the official image, e.g. `7.0.12`, optionally pinned by digest:
   * `8.0.3@sha256:<64 hex digits>`. Floating tags (`7.0`, `latest`) are refused by the database that binds the engine.
   */
  public static of(version: string): MongoDbVersion {
    return new MongoDbVersion(version);
  }
  private constructor(public readonly version: string) {}
}

/** Options of the MongoDB engine profile. */
export interface MongoDbEngineProps {
  /** MongoDB version (image tag). */
  readonly version: MongoDbVersion;
  /**
   * The featureCompatibilityVersion the database runs with, e.g. `'7.0'`: the binary's release or the one before it.
   * When set, a one-off Job reads it on the primary and runs `setFeatureCompatibilityVersion` when it differs, once
   * every member runs a binary that accepts it. A major upgrade needs it at the running release first: set it,
   * apply, then change `version`, apply, and raise it in a third apply (docs/upgrades.md).
   * @default - left as the server has it: a new deployment starts at its binary's release, an upgraded one keeps the
   *   older featureCompatibilityVersion until it is raised
   * @see https://www.mongodb.com/docs/manual/reference/command/setFeatureCompatibilityVersion/
   */
  readonly featureCompatibilityVersion?: string;
}

const PORT = 27017;
const METRICS_PORT = 9216;
const DBPATH = '/data/db';
const GRACE_SECONDS = 60;

/** Profile of the official MongoDB image (user `mongodb`, uid 999). */
export function mongoDbDefinition(props: MongoDbEngineProps): EngineDefinition {
  const version = props.version.version;
  const fcv = props.featureCompatibilityVersion;
  const fcvProblem = fcv === undefined ? undefined : featureCompatibilityProblem(fcv, version);
  return {
    ...(fcvProblem !== undefined ? { problem: fcvProblem } : {}),
    ...(fcv !== undefined ? { statefulSetAnnotations: { [ANNOTATION_FEATURE_COMPATIBILITY_VERSION]: fcv } } : {}),
    family: 'mongodb',
    version,
    registry: 'docker.io',
    repository: 'library/mongo',
    tag: version,
    ports: [
      { name: 'mongodb', port: PORT, role: PortRole.CLIENT },
      { name: 'metrics', port: METRICS_PORT, role: PortRole.METRICS },
    ],
    runAsUser: 999,
    fsGroup: 999,
    dataPath: DBPATH,
    // mongod puts its Unix socket in /tmp; the image declares /data/configdb as a volume.
    writablePaths: [{ path: '/tmp' }, { path: '/data/configdb' }],
    minMemoryBytes: 512 * MIB,
    defaultMemoryBytes: 2 * GIB,
    terminationGracePeriodSeconds: GRACE_SECONDS,
    defaultUsername: 'admin',
    initScriptsPath: '/docker-entrypoint-initdb.d',
    supportsDatabaseName: true,
    supportsApplicationUser: true,
    // The client Service reaches the single instance, the writer.
    applicationUserJob: (ctx) => mongoApplicationUserJob(ctx, { hosts: [`${ctx.name}:${PORT}`] })!,
    extraJobs: (ctx) => (fcv !== undefined ? [featureCompatibilityJob(ctx, fcv, { hosts: [`${ctx.name}:${PORT}`] })] : []),
    // mongod reads `net.tls.certificateKeyFile` as one PEM holding key and certificate.
    tlsNeedsCombinedPem: true,
    secretSettings: ['security.keyFile', 'net.tls.certificateKeyFilePassword', 'security.ldap.bind.queryPassword'],
    configFileName: 'mongod.conf',
    configPath: '/etc/mongo',
    renderConfig: renderConfig,
    replication: (ctx) => {
      const single = mongoDbDefinition(props).container(ctx);
      const plan = replicaSetPlan(ctx, {
        args: single.args!,
        env: single.env,
        tlsFlags: tlsFlags(ctx.tlsPath),
        localUriTls: ctx.tlsPath ? `&tls=true&tlsCAFile=${ctx.tlsPath}/ca.crt&tlsAllowInvalidHostnames=true` : '',
        dbPath: DBPATH,
      });
      if (fcv === undefined) return plan;
      // Every member, with the set's name: the driver finds the primary; the Job checks each member's binary.
      return { ...plan, extraJobs: [featureCompatibilityJob(ctx, fcv, { hosts: ctx.members.map((h) => `${h}:${PORT}`), replicaSet: ctx.name })] };
    },
    container: (ctx) => {
      // `ping` needs no authentication. mongosh keeps state under $HOME, set to /tmp below.
      const ping = `mongosh --quiet --host 127.0.0.1 --port ${PORT}${tlsFlags(ctx.tlsPath)} --eval "db.adminCommand('ping').ok" | grep -q 1`;
      return {
        // The entrypoint prepends `mongod` to arguments that start with '-' and adds --auth
        // when a root user is configured. https://hub.docker.com/_/mongo (Using a custom MongoDB configuration file)
        args: ['--config', `${ctx.configPath}/mongod.conf`],
        env: [
          plainEnv('HOME', '/tmp'),
          secretEnv('MONGO_INITDB_ROOT_USERNAME', ctx.credentials.secretName, ctx.credentials.usernameKey),
          secretEnv('MONGO_INITDB_ROOT_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
          ...(ctx.databaseName ? [plainEnv('MONGO_INITDB_DATABASE', ctx.databaseName)] : []),
        ],
        startupProbe: shellProbe(ping, { period: 10, timeout: 10, failureThreshold: 90 }),
        readinessProbe: shellProbe(ping, { period: 10, timeout: 10, failureThreshold: 3 }),
        livenessProbe: shellProbe(ping, { period: 20, timeout: 10, failureThreshold: 6 }),
        // `mongod --shutdown` stops the server that owns the dbpath cleanly (Linux only).
        // https://www.mongodb.com/docs/manual/tutorial/manage-mongodb-processes/#use---shutdown
        preStop: ['mongod', '--shutdown', '--dbpath', DBPATH],
      };
    },
    exporter: (ctx) => ({
      // https://github.com/percona/mongodb_exporter#flags (MONGODB_USER / MONGODB_PASSWORD env)
      image: 'docker.io/percona/mongodb_exporter:0.40.0',
      args: [
        `--mongodb.uri=mongodb://127.0.0.1:${PORT}/admin${ctx.tlsPath ? `?tls=true&tlsCAFile=${ctx.tlsPath}/ca.crt&tlsAllowInvalidHostnames=true` : ''}`,
        '--compatible-mode',
        `--web.listen-address=:${METRICS_PORT}`,
      ],
      env: [
        secretEnv('MONGODB_USER', ctx.credentials.secretName, ctx.credentials.usernameKey),
        secretEnv('MONGODB_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
      ],
      port: METRICS_PORT,
      cpuMillis: 100,
      memoryMebibytes: 128,
    }),
  };
}

function tlsFlags(tlsPath?: string): string {
  return tlsPath ? ` --tls --tlsCAFile ${tlsPath}/ca.crt --tlsAllowInvalidHostnames` : '';
}

function renderConfig(ctx: EngineContext): string {
  // WiredTiger's own default is 50 % of (RAM - 1 GiB), at least 256 MiB; computed from the
  // container limit here so that it never sizes itself from the node's memory.
  const cacheGb = Math.max(0.25, Math.floor(((ctx.memoryBytes - GIB) / 2 / GIB) * 100) / 100);
  const conf: { [key: string]: YamlValue } = {
    net: { port: PORT, bindIpAll: true },
    storage: { dbPath: DBPATH, wiredTiger: { engineConfig: { cacheSizeGB: cacheGb } } },
  };
  if (ctx.tlsPath) {
    setDotted(conf, 'net.tls.mode', 'requireTLS');
    setDotted(conf, 'net.tls.certificateKeyFile', `${ctx.tlsPath}/tls-combined.pem`);
    setDotted(conf, 'net.tls.CAFile', `${ctx.tlsPath}/ca.crt`);
    setDotted(conf, 'net.tls.allowConnectionsWithoutCertificates', true);
  }
  for (const [key, value] of Object.entries(ctx.settings)) setDotted(conf, key, typedScalar(value));
  return toYaml(conf);
}
