import { EngineContext, EngineDefinition } from './engine-definition';
import { PortRole } from './engine-port';
import { postgresApplicationUserJob } from './postgres-application-user';
import { SPILO_IMAGE, SPILO_MAJORS, patroniPlan } from './postgres-patroni';
import { GIB, MIB, plainEnv, secretEnv, shellProbe } from './probes';

/**
 * PostgreSQL versions, as tags of the official `postgres` image.
 * @see https://hub.docker.com/_/postgres
 */
export class PostgresVersion {
  public static readonly V15 = new PostgresVersion('15.10');
  public static readonly V16 = new PostgresVersion('16.6');
  public static readonly V17 = new PostgresVersion('17.2');
  /**
   * Any other release tag of the official image, e.g. `16.4-bookworm`, optionally pinned by digest:
   * `16.6@sha256:<64 hex digits>`. Floating tags (`16`, `latest`) are refused by the database that binds the engine.
   */
  public static of(version: string): PostgresVersion {
    return new PostgresVersion(version);
  }
  private constructor(public readonly version: string) {}
}

/** Options of the PostgreSQL engine profile. */
export interface PostgresEngineProps {
  /** PostgreSQL version (image tag). */
  readonly version: PostgresVersion;
}

const PORT = 5432;
const METRICS_PORT = 9187;
const MOUNT = '/var/lib/postgresql/data';
// initdb refuses a non-empty directory, and a fresh ext4 volume holds lost+found: use a
// subdirectory, as the image documentation advises for mounted volumes.
const PGDATA = `${MOUNT}/pgdata`;
const GRACE_SECONDS = 60;

/** Profile of the official PostgreSQL image (Debian variant: user `postgres`, uid 999). */
export function postgresDefinition(props: PostgresEngineProps): EngineDefinition {
  const version = props.version.version;
  const major = version.split('.')[0];
  const spilo = SPILO_MAJORS.includes(major);
  return {
    family: 'postgresql',
    version,
    registry: 'docker.io',
    repository: 'library/postgres',
    tag: version,
    ports: [
      { name: 'postgresql', port: PORT, role: PortRole.CLIENT },
      { name: 'metrics', port: METRICS_PORT, role: PortRole.METRICS },
    ],
    runAsUser: 999,
    fsGroup: 999,
    dataPath: MOUNT,
    // Unix socket directory, temp files, and a memory-backed /dev/shm: the container
    // runtime's 64 MiB default is too small for parallel queries' dynamic shared memory.
    writablePaths: [{ path: '/var/run/postgresql' }, { path: '/tmp' }, { path: '/dev/shm', memory: true }],
    minMemoryBytes: 256 * MIB,
    defaultMemoryBytes: 1 * GIB,
    terminationGracePeriodSeconds: GRACE_SECONDS,
    defaultUsername: 'postgres',
    initScriptsPath: '/docker-entrypoint-initdb.d',
    supportsDatabaseName: true,
    supportsApplicationUser: true,
    applicationUserJob: (ctx) => postgresApplicationUserJob(ctx, { runAsUser: 999 })!,
    secretSettings: ['password', 'ssl_passphrase_command'],
    configFileName: 'postgresql.conf',
    configPath: '/etc/postgresql',
    renderConfig: renderConfig,
    replication: spilo ? (ctx) => patroniPlan(ctx, major) : undefined,
    replicationUnsupported: spilo ? undefined
      : `replicas run on Patroni from the Spilo image ${SPILO_IMAGE.repository}:${SPILO_IMAGE.tag}, which carries PostgreSQL ${SPILO_MAJORS.join(', ')}; choose one of those majors`,
    container: (ctx) => ({
      // The entrypoint prepends `postgres` to arguments that start with '-'.
      args: ['-c', `config_file=${ctx.configPath}/postgresql.conf`],
      env: [
        plainEnv('PGDATA', PGDATA),
        secretEnv('POSTGRES_USER', ctx.credentials.secretName, ctx.credentials.usernameKey),
        secretEnv('POSTGRES_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
        ...(ctx.databaseName ? [plainEnv('POSTGRES_DB', ctx.databaseName)] : []),
      ],
      // pg_isready only asks whether the server accepts connections; it needs no password.
      // The entrypoint's first-run server listens on the socket only, so TCP readiness waits for the real one.
      startupProbe: shellProbe(`pg_isready -h 127.0.0.1 -p ${PORT}`, { period: 10, timeout: 5, failureThreshold: 90 }),
      readinessProbe: shellProbe(`pg_isready -h 127.0.0.1 -p ${PORT}`, { period: 10, timeout: 5, failureThreshold: 3 }),
      livenessProbe: shellProbe(`pg_isready -h 127.0.0.1 -p ${PORT}`, { period: 10, timeout: 5, failureThreshold: 6 }),
      // Kubernetes sends SIGTERM, which is PostgreSQL's "smart" shutdown (waits for every client).
      // A fast shutdown rolls back open transactions and checkpoints within the grace period.
      // https://www.postgresql.org/docs/current/server-shutdown.html
      preStop: ['pg_ctl', 'stop', '-D', PGDATA, '-m', 'fast', '-w', '-t', String(GRACE_SECONDS - 10)],
    }),
    exporter: (ctx) => ({
      // https://github.com/prometheus-community/postgres_exporter#environment-variables
      image: 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0',
      args: [`--web.listen-address=:${METRICS_PORT}`],
      env: [
        plainEnv('DATA_SOURCE_URI', `127.0.0.1:${PORT}/postgres?sslmode=${ctx.tlsPath ? 'require' : 'disable'}`),
        secretEnv('DATA_SOURCE_USER', ctx.credentials.secretName, ctx.credentials.usernameKey),
        secretEnv('DATA_SOURCE_PASS', ctx.credentials.secretName, ctx.credentials.passwordKey),
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
    listen_addresses: "'*'",
    port: String(PORT),
    unix_socket_directories: "'/var/run/postgresql'",
    max_connections: '100',
    // Memory sizing after the PostgreSQL wiki "Tuning Your PostgreSQL Server":
    // shared_buffers ~25 % of memory, effective_cache_size ~75 %.
    shared_buffers: `${Math.max(32, Math.floor(mib / 4))}MB`,
    effective_cache_size: `${Math.max(64, Math.floor((mib * 3) / 4))}MB`,
    password_encryption: 'scram-sha-256',
    wal_level: 'replica',
    log_destination: "'stderr'",
    ...(ctx.tlsPath ? {
      ssl: 'on',
      ssl_cert_file: `'${ctx.tlsPath}/tls.crt'`,
      ssl_key_file: `'${ctx.tlsPath}/tls.key'`,
      ssl_ca_file: `'${ctx.tlsPath}/ca.crt'`,
    } : {}),
    ...ctx.settings,
  };
  return Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
}
