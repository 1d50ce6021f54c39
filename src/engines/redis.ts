import { EngineContext, EngineDefinition } from './engine-definition';
import { PortRole } from './engine-port';
import { GIB, MIB, plainEnv, secretEnv, shellProbe } from './probes';
import { redisApplicationUser } from './redis-application-user';
import { sentinelPlan } from './redis-sentinel';

/**
 * Redis versions, as tags of the official `redis` image.
 * Redis 7.4 and later are under RSALv2/SSPLv1; Valkey is the BSD-licensed fork.
 * @see https://hub.docker.com/_/redis
 */
export class RedisVersion {
  public static readonly V7_2 = new RedisVersion('7.2.6');
  public static readonly V7_4 = new RedisVersion('7.4.1');
  /**
   * Any other release tag of the official image, e.g. `7.2.5`, optionally pinned by digest:
   * `7.2.6@sha256:<64 hex digits>`. Floating tags (`7.2`, `latest`) are refused by the database that binds the engine.
   */
  public static of(version: string): RedisVersion {
    return new RedisVersion(version);
  }
  private constructor(public readonly version: string) {}
}

/**
 * Valkey versions, as tags of the official `valkey/valkey` image.
 * @see https://hub.docker.com/r/valkey/valkey
 */
export class ValkeyVersion {
  public static readonly V7_2 = new ValkeyVersion('7.2.7');
  public static readonly V8_0 = new ValkeyVersion('8.0.1');
  /**
   * Any other release tag of the official image, e.g. `8.0.2`, optionally pinned by digest:
   * `8.0.1@sha256:<64 hex digits>`. Floating tags (`8.0`, `latest`) are refused by the database that binds the engine.
   */
  public static of(version: string): ValkeyVersion {
    return new ValkeyVersion(version);
  }
  private constructor(public readonly version: string) {}
}

/** Options of the Redis engine profile. */
export interface RedisEngineProps {
  /** Redis version (image tag). */
  readonly version: RedisVersion;
}

/** Options of the Valkey engine profile. */
export interface ValkeyEngineProps {
  /** Valkey version (image tag). */
  readonly version: ValkeyVersion;
}

const PORT = 6379;
const METRICS_PORT = 9121;
const GRACE_SECONDS = 60;

interface Flavour {
  readonly family: string;
  readonly repository: string;
  readonly cli: string;
  readonly configPath: string;
  readonly configFileName: string;
}

export function redisDefinition(props: RedisEngineProps): EngineDefinition {
  return keyValueStore(props.version.version, {
    family: 'redis', repository: 'library/redis', cli: 'redis-cli', configPath: '/etc/redis', configFileName: 'redis.conf',
  });
}

export function valkeyDefinition(props: ValkeyEngineProps): EngineDefinition {
  return keyValueStore(props.version.version, {
    family: 'valkey', repository: 'valkey/valkey', cli: 'valkey-cli', configPath: '/etc/valkey', configFileName: 'valkey.conf',
  });
}

/** Redis and Valkey share one profile: same protocol, configuration and tools (user `redis`/`valkey`, uid 999). */
function keyValueStore(version: string, flavour: Flavour): EngineDefinition {
  return {
    family: flavour.family,
    version,
    registry: 'docker.io',
    repository: flavour.repository,
    tag: version,
    ports: [
      { name: 'redis', port: PORT, role: PortRole.CLIENT },
      { name: 'metrics', port: METRICS_PORT, role: PortRole.METRICS },
    ],
    runAsUser: 999,
    fsGroup: 999,
    dataPath: '/data',
    writablePaths: [{ path: '/tmp' }],
    minMemoryBytes: 128 * MIB,
    defaultMemoryBytes: 1 * GIB,
    terminationGracePeriodSeconds: GRACE_SECONDS,
    defaultUsername: 'default',
    supportsDatabaseName: false,
    // An ACL user every member defines at start (ACL users are not replicated): no Job.
    supportsApplicationUser: true,
    // A password in redis.conf would land in a ConfigMap: it comes from the Secret instead.
    secretSettings: ['requirepass', 'masterauth', 'masteruser', 'user', 'tls-key-file-pass'],
    configFileName: flavour.configFileName,
    configPath: flavour.configPath,
    renderConfig: (ctx) => renderConfig(ctx),
    replication: (ctx) => sentinelPlan(ctx, {
      cli: flavour.cli, server: flavour.cli.replace('-cli', '-server'), configFile: flavour.configFileName, configPath: flavour.configPath,
    }, ctx.tlsPath !== undefined),
    container: (ctx) => {
      // The CLI reads the password from REDISCLI_AUTH (valkey-cli also from VALKEYCLI_AUTH), never from argv.
      const cli = `${flavour.cli} -h 127.0.0.1 -p ${PORT}${ctx.tlsPath ? ` --tls --cacert ${ctx.tlsPath}/ca.crt --insecure` : ''}`;
      const app = redisApplicationUser(ctx.application);
      const config = `${ctx.configPath}/${flavour.configFileName}`;
      return {
        ...(app ? {
          // The application user is defined before the server serves anyone (redis-application-user.ts). The
          // script does what the image's entrypoint does for a non-root user: umask 0077 when it is 0022, then the server.
          // https://github.com/valkey-io/valkey-container/blob/mainline/8.0/debian/docker-entrypoint.sh
          command: ['sh', '-c', [
            'set -eu',
            ...app.check,
            'if [ "$(umask)" = 0022 ]; then umask 0077; fi',
            `exec ${flavour.cli.replace('-cli', '-server')} ${config} --requirepass "$DB_PASSWORD"${app.stdinSuffix}`,
          ].join('\n')],
        } : {
          // The entrypoint runs the server when the first argument ends in .conf; Kubernetes
          // expands $(DB_PASSWORD) from the env var below, so the password is never in the ConfigMap.
          args: [config, '--requirepass', '$(DB_PASSWORD)'],
        }),
        env: [
          secretEnv('DB_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
          secretEnv('REDISCLI_AUTH', ctx.credentials.secretName, ctx.credentials.passwordKey),
          ...(flavour.family === 'valkey' ? [secretEnv('VALKEYCLI_AUTH', ctx.credentials.secretName, ctx.credentials.passwordKey)] : []),
          ...(app?.env ?? []),
        ],
        startupProbe: shellProbe(`${cli} ping | grep -Eq 'PONG|LOADING'`, { period: 5, timeout: 5, failureThreshold: 120 }),
        // Ready only when the dataset is loaded; alive while it loads.
        readinessProbe: shellProbe(`test "$(${cli} ping)" = PONG`, { period: 10, timeout: 5, failureThreshold: 3 }),
        livenessProbe: shellProbe(`${cli} ping | grep -Eq 'PONG|LOADING'`, { period: 10, timeout: 5, failureThreshold: 6 }),
        // SHUTDOWN writes the append-only file and a final RDB before exiting.
        // https://redis.io/docs/latest/commands/shutdown/
        preStop: ['sh', '-c', `${cli} shutdown || true`],
      };
    },
    exporter: (ctx) => ({
      // https://github.com/oliver006/redis_exporter#command-line-flags (REDIS_ADDR, REDIS_PASSWORD)
      image: 'docker.io/oliver006/redis_exporter:v1.66.0',
      env: [
        plainEnv('REDIS_ADDR', `${ctx.tlsPath ? 'rediss' : 'redis'}://127.0.0.1:${PORT}`),
        secretEnv('REDIS_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
        ...(ctx.tlsPath ? [plainEnv('REDIS_EXPORTER_SKIP_TLS_VERIFICATION', 'true')] : []),
      ],
      port: METRICS_PORT,
      cpuMillis: 100,
      memoryMebibytes: 64,
    }),
  };
}

function renderConfig(ctx: EngineContext): string {
  const mib = Math.floor(ctx.memoryBytes / MIB);
  const settings: Record<string, string> = {
    'bind': '0.0.0.0',
    'protected-mode': 'yes',
    ...(ctx.tlsPath ? {
      'port': '0',
      'tls-port': String(PORT),
      'tls-cert-file': `${ctx.tlsPath}/tls.crt`,
      'tls-key-file': `${ctx.tlsPath}/tls.key`,
      'tls-ca-cert-file': `${ctx.tlsPath}/ca.crt`,
      'tls-auth-clients': 'optional',
    } : { port: String(PORT) }),
    'dir': '/data',
    // A database, not a cache: persist every second and refuse writes rather than evict.
    'appendonly': 'yes',
    'appendfsync': 'everysec',
    // Leave a quarter of the limit for the copy-on-write fork of BGSAVE / AOF rewrite.
    'maxmemory': `${Math.max(32, Math.floor((mib * 3) / 4))}mb`,
    'maxmemory-policy': 'noeviction',
    ...ctx.settings,
  };
  return Object.entries(settings).map(([k, v]) => `${k} ${v}`).join('\n') + '\n';
}
