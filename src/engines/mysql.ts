import { EngineContext, EngineDefinition } from './engine-definition';
import { PortRole } from './engine-port';
import { mysqlApplicationUserJob } from './mysql-application-user';
import { groupReplicationPlan, groupReplicationUnsupported } from './mysql-group-replication';
import { GIB, MIB, execProbe, plainEnv, secretEnv, shellProbe } from './probes';

/**
 * MySQL versions, as tags of the official `mysql` image (Oracle Linux based).
 * @see https://hub.docker.com/_/mysql
 */
export class MysqlVersion {
  public static readonly V8_0 = new MysqlVersion('8.0.40');
  /** The 8.4 long-term-support series. */
  public static readonly V8_4 = new MysqlVersion('8.4.3');
  /**
   * Any other release tag of the official image, e.g. `8.0.39`, optionally pinned by digest:
   * `8.4.3@sha256:<64 hex digits>`. Floating tags (`8.4`, `lts`, `latest`) are refused by the database that binds the engine.
   */
  public static of(version: string): MysqlVersion {
    return new MysqlVersion(version);
  }
  private constructor(public readonly version: string) {}
}

/** Options of the MySQL engine profile. */
export interface MysqlEngineProps {
  /** MySQL version (image tag). */
  readonly version: MysqlVersion;
}

const PORT = 3306;
const METRICS_PORT = 9104;
const MOUNT = '/var/lib/mysql';
// `mysqld --initialize` refuses a directory holding lost+found: keep the data one level down.
const DATADIR = `${MOUNT}/data`;
const SOCKET = '/var/run/mysqld/mysqld.sock';
const GRACE_SECONDS = 90;
// The credentials Secret holds the root password; the client reads it from MYSQL_PWD so it never
// shows on a command line.
const AS_ROOT = 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD"';

/** Profile of the official MySQL image (user `mysql`, uid 999). */
export function mysqlDefinition(props: MysqlEngineProps): EngineDefinition {
  const version = props.version.version;
  const replicationUnsupported = groupReplicationUnsupported(version);
  return {
    family: 'mysql',
    version,
    registry: 'docker.io',
    repository: 'library/mysql',
    tag: version,
    ports: [
      { name: 'mysql', port: PORT, role: PortRole.CLIENT },
      { name: 'metrics', port: METRICS_PORT, role: PortRole.METRICS },
    ],
    runAsUser: 999,
    fsGroup: 999,
    dataPath: MOUNT,
    writablePaths: [{ path: '/var/run/mysqld' }, { path: '/tmp' }],
    minMemoryBytes: 512 * MIB,
    defaultMemoryBytes: 1 * GIB,
    terminationGracePeriodSeconds: GRACE_SECONDS,
    defaultUsername: 'root',
    initScriptsPath: '/docker-entrypoint-initdb.d',
    supportsDatabaseName: true,
    // `'<user>'@'%'` with ALL on its database only (mysql-application-user.ts).
    supportsApplicationUser: true,
    applicationUserJob: (ctx) => mysqlApplicationUserJob(ctx)!,
    secretSettings: ['password', 'ssl-cipher'],
    configFileName: 'cdk8s-databases.cnf',
    // The image's /etc/my.cnf ends with `!includedir /etc/mysql/conf.d/`.
    configPath: '/etc/mysql/conf.d',
    renderConfig: renderConfig,
    replication: replicationUnsupported ? undefined : (ctx) => groupReplicationPlan(ctx, {
      configFile: 'cdk8s-databases.cnf', config: renderConfig(ctx), databaseName: ctx.databaseName,
    }),
    replicationUnsupported,
    container: (ctx) => ({
      env: [
        secretEnv('MYSQL_ROOT_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
        ...(ctx.databaseName ? [plainEnv('MYSQL_DATABASE', ctx.databaseName)] : []),
      ],
      // `mysqladmin ping` exits 0 whenever the server answers, even "access denied": right for
      // liveness. The entrypoint's first-run server uses --skip-networking, so TCP probes wait for the real one.
      startupProbe: execProbe(['mysqladmin', 'ping', '-h', '127.0.0.1'], { period: 10, timeout: 5, failureThreshold: 90 }),
      readinessProbe: shellProbe(`${AS_ROOT} mysql -uroot -h127.0.0.1 -e 'SELECT 1'`, { period: 10, timeout: 5, failureThreshold: 3 }),
      livenessProbe: execProbe(['mysqladmin', 'ping', '-h', '127.0.0.1'], { period: 10, timeout: 5, failureThreshold: 6 }),
      // A normal shutdown through the server itself flushes InnoDB cleanly.
      // https://dev.mysql.com/doc/refman/8.4/en/mysqladmin.html (shutdown)
      preStop: ['sh', '-c', `${AS_ROOT} mysqladmin -uroot --socket=${SOCKET} shutdown`],
    }),
    exporter: (ctx) => ({
      // mysqld_exporter >= 0.15 takes the address and user as flags and the password from
      // MYSQLD_EXPORTER_PASSWORD. https://github.com/prometheus/mysqld_exporter#running
      image: 'quay.io/prometheus/mysqld-exporter:v0.15.1',
      args: [`--mysqld.address=127.0.0.1:${PORT}`, '--mysqld.username=root', `--web.listen-address=:${METRICS_PORT}`],
      env: [secretEnv('MYSQLD_EXPORTER_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey)],
      port: METRICS_PORT,
      cpuMillis: 100,
      memoryMebibytes: 64,
    }),
  };
}

function renderConfig(ctx: EngineContext): string {
  const mib = Math.floor(ctx.memoryBytes / MIB);
  const settings: Record<string, string> = {
    'datadir': DATADIR,
    'socket': SOCKET,
    'pid-file': '/var/run/mysqld/mysqld.pid',
    'port': String(PORT),
    'bind-address': '0.0.0.0',
    // Nothing listens that the Services do not publish: the X Protocol port stays closed.
    'mysqlx': '0',
    // LOAD DATA / SELECT INTO OUTFILE off: the root filesystem is read-only anyway.
    'secure-file-priv': 'NULL',
    // The InnoDB buffer pool takes half the memory, leaving room for connections and sorts.
    'innodb_buffer_pool_size': `${Math.max(128, Math.floor(mib / 2))}M`,
    'skip-name-resolve': 'ON',
    ...(ctx.tlsPath ? {
      ssl_ca: `${ctx.tlsPath}/ca.crt`,
      ssl_cert: `${ctx.tlsPath}/tls.crt`,
      ssl_key: `${ctx.tlsPath}/tls.key`,
      require_secure_transport: 'ON',
    } : {}),
    ...ctx.settings,
  };
  return '[mysqld]\n' + Object.entries(settings).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}
