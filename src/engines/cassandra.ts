import { cassandraApplicationUserJob } from './cassandra-application-user';
import { ringPlan } from './cassandra-ring';
import { EngineContainer, EngineContext, EngineDefinition, EngineJob } from './engine-definition';
import { PortRole } from './engine-port';
import { GIB, MIB, plainEnv, secretEnv, tcpProbe } from './probes';
import { toProperties, toYaml, typedScalar, YamlValue } from '../private/config-format';

/**
 * Apache Cassandra versions, as tags of the official `cassandra` image.
 * @see https://hub.docker.com/_/cassandra
 */
export class CassandraVersion {
  public static readonly V4_1 = new CassandraVersion('4.1.7');
  public static readonly V5_0 = new CassandraVersion('5.0.2');
  /**
   * Any other release tag of the official image, e.g. `4.1.6`, optionally pinned by digest:
   * `5.0.2@sha256:<64 hex digits>`. Floating tags (`5.0`, `latest`) are refused by the database that binds the engine.
   */
  public static of(version: string): CassandraVersion {
    return new CassandraVersion(version);
  }
  private constructor(public readonly version: string) {}
}

/** Options of the Cassandra engine profile. */
export interface CassandraEngineProps {
  /** Cassandra version (image tag). */
  readonly version: CassandraVersion;
  /**
   * Datacenter name given to the nodes (GossipingPropertyFileSnitch): at most 63 letters, digits, '_', '.' and '-',
   * starting with a letter or digit.
   * @default 'dc1'
   */
  readonly datacenter?: string;
  /**
   * Rack name given to a single node (GossipingPropertyFileSnitch); a ReplicatedDatabase names its racks itself.
   * The same characters as `datacenter`.
   * @default 'rack1'
   */
  readonly rack?: string;
}

export const CQL_PORT = 9042;
const STORAGE_PORT = 7000;
const METRICS_PORT = 8080;
const DATA = '/var/lib/cassandra';
const GRACE_SECONDS = 120;
export const RACKDC_FILE = 'cassandra-rackdc.properties';

/** Datacenter and rack names: what nodetool, CQL replication maps and the snitch's properties file all take as plain text. */
const TOPOLOGY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** What is wrong with a datacenter or rack name, for the database binding the engine to report (a factory has no scope). */
function topologyProblem(prop: string, value: unknown): string | undefined {
  return typeof value === 'string' && TOPOLOGY_NAME.test(value) ? undefined
    : `\`engine\`: \`Engine.cassandra()\` \`${prop}\` "${value}" must be at most 63 letters, digits, '_', '.' and '-', starting with a letter or digit, e.g. "${prop === 'rack' ? 'rack1' : 'dc1'}": it names the ${prop} in the snitch's properties file and in CQL replication settings.`;
}

/** Profile of the official Cassandra image (user `cassandra`, uid 999). */
export function cassandraDefinition(props: CassandraEngineProps): EngineDefinition {
  const version = props.version.version;
  const dc = props.datacenter ?? 'dc1';
  const rack = props.rack ?? 'rack1';
  const problem = topologyProblem('datacenter', dc) ?? topologyProblem('rack', rack);

  function containerFor(ctx: EngineContext, rackFile: string): EngineContainer {
    // cassandra-env.sh sizes the heap from /proc/meminfo, which shows the node's memory, not the
    // container limit: set it from the limit (half, as cassandra-env.sh itself would, capped at 31 GiB
    // for compressed oops). Both variables must be set together.
    const heapMib = Math.min(31 * 1024, Math.floor(ctx.memoryBytes / MIB / 2));
    return {
      // The image's entrypoint edits /etc/cassandra in place with sed, impossible on a read-only
      // root filesystem: start Cassandra directly with its configuration from the ConfigMap.
      command: ['cassandra', '-f'],
      env: [
        plainEnv('MAX_HEAP_SIZE', `${heapMib}M`),
        plainEnv('HEAP_NEWSIZE', `${Math.max(64, Math.floor(heapMib / 4))}M`),
        plainEnv('CASSANDRA_HEAPDUMP_DIR', '/var/log/cassandra'),
        // -Dcassandra.config and -Dcassandra-rackdc.properties are read by Config/SnitchProperties.
        plainEnv('JVM_EXTRA_OPTS',
          `-Dcassandra.config=file://${ctx.configPath}/cassandra.yaml -Dcassandra-rackdc.properties=file://${ctx.configPath}/${rackFile}`),
      ],
      // Probes are TCP checks: a nodetool JVM per probe would run inside the container's memory limit.
      // The CQL port opens when the node has joined and serves clients.
      startupProbe: tcpProbe(CQL_PORT, { period: 10, timeout: 5, failureThreshold: 180 }),
      readinessProbe: tcpProbe(CQL_PORT, { period: 10, timeout: 5, failureThreshold: 3 }),
      livenessProbe: tcpProbe(STORAGE_PORT, { period: 15, timeout: 5, failureThreshold: 8 }),
      // `nodetool drain` flushes memtables and stops accepting writes before the JVM exits.
      // https://cassandra.apache.org/doc/latest/cassandra/managing/tools/nodetool/drain.html
      preStop: ['nodetool', 'drain'],
    };
  }

  /**
   * PasswordAuthenticator starts with the well-known superuser cassandra/cassandra. This Job creates
   * the superuser role from the Secret, then gives `cassandra` a random password; a ring first gives
   * system_auth the datacenter's replication factor, so logins survive a node loss.
   * https://cassandra.apache.org/doc/latest/cassandra/managing/operating/security.html#password-authentication
   */
  function rolesJob(ctx: EngineContext, firstCql?: string): EngineJob {
    return {
      suffix: 'roles',
      runAsUser: 999,
      env: [
        // In-cluster only; the Job does not mount the CA, so cqlsh encrypts without verifying.
        ...(ctx.tlsPath ? [plainEnv('SSL_VALIDATE', 'false')] : []),
        plainEnv('CQL_HOST', ctx.name),
        secretEnv('DB_USER', ctx.credentials.secretName, ctx.credentials.usernameKey),
        secretEnv('DB_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
        // Statements reach the script as data: no name in them can change the script.
        ...(firstCql ? [plainEnv('FIRST_CQL', firstCql)] : []),
      ],
      script: [
        'set -u',
        `cql() { cqlsh "$CQL_HOST" ${CQL_PORT}${ctx.tlsPath ? ' --ssl' : ''} "$@"; }`,
        'quote() { printf %s "$1" | sed "s/\'/\'\'/g"; }',
        'until cql -u "$DB_USER" -p "$DB_PASSWORD" -e "SELECT now() FROM system.local" >/dev/null 2>&1; do',
        ...(firstCql ? ['  cql -u cassandra -p cassandra -e "$FIRST_CQL" || true'] : []),
        '  if cql -u cassandra -p cassandra -e "CREATE ROLE IF NOT EXISTS \\"$(quote "$DB_USER")\\" WITH PASSWORD = \'$(quote "$DB_PASSWORD")\' AND SUPERUSER = true AND LOGIN = true"; then',
        '    RANDOM_PW=$(head -c 48 /dev/urandom | base64 | tr -dc A-Za-z0-9 | head -c 32)',
        '    cql -u "$DB_USER" -p "$DB_PASSWORD" -e "ALTER ROLE cassandra WITH PASSWORD = \'$RANDOM_PW\'" && break',
        '  fi',
        `  echo "waiting for Cassandra at $CQL_HOST:${CQL_PORT}"; sleep 10`,
        'done',
        'echo "role $DB_USER can log in"',
      ].join('\n'),
    };
  }

  function renderYaml(ctx: EngineContext, seeds: string): string {
    // Every setting Cassandra has no default for, plus paths and auth; the rest keep Cassandra's defaults.
    // listen_address and rpc_address stay unset: Cassandra then uses the pod's own address.
    const conf: { [key: string]: YamlValue } = {
      cluster_name: ctx.name,
      num_tokens: 16,
      allocate_tokens_for_local_replication_factor: 3,
      partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
      endpoint_snitch: 'GossipingPropertyFileSnitch',
      seed_provider: [{ class_name: 'org.apache.cassandra.locator.SimpleSeedProvider', parameters: [{ seeds }] }],
      commitlog_sync: 'periodic',
      commitlog_sync_period: '10000ms',
      data_file_directories: [`${DATA}/data`],
      commitlog_directory: `${DATA}/commitlog`,
      saved_caches_directory: `${DATA}/saved_caches`,
      hints_directory: `${DATA}/hints`,
      storage_port: STORAGE_PORT,
      native_transport_port: CQL_PORT,
      authenticator: 'PasswordAuthenticator',
      authorizer: 'CassandraAuthorizer',
      role_manager: 'CassandraRoleManager',
      ...(ctx.tlsPath ? {
        client_encryption_options: {
          enabled: true,
          optional: false,
          keystore: `${ctx.tlsPath}/tls-combined.pem`,
          ssl_context_factory: { class_name: 'org.apache.cassandra.security.PEMBasedSslContextFactory' },
        } as YamlValue,
      } : {}),
    };
    for (const [key, value] of Object.entries(ctx.settings)) conf[key] = typedScalar(value);
    return toYaml(conf);
  }

  return {
    ...(problem !== undefined ? { problem } : {}),
    family: 'cassandra',
    version,
    registry: 'docker.io',
    repository: 'library/cassandra',
    tag: version,
    ports: [
      { name: 'cql', port: CQL_PORT, role: PortRole.CLIENT },
      { name: 'intra-node', port: STORAGE_PORT, role: PortRole.PEER },
      { name: 'metrics', port: METRICS_PORT, role: PortRole.METRICS },
    ],
    runAsUser: 999,
    fsGroup: 999,
    dataPath: DATA,
    writablePaths: [{ path: '/tmp' }, { path: '/var/log/cassandra' }],
    minMemoryBytes: 2 * GIB,
    defaultMemoryBytes: 4 * GIB,
    terminationGracePeriodSeconds: GRACE_SECONDS,
    defaultUsername: 'admin',
    supportsDatabaseName: false,
    supportsApplicationUser: true,
    secretSettings: ['keystore_password', 'truststore_password'],
    configFileName: 'cassandra.yaml',
    configPath: '/etc/cassandra-k8s',
    renderConfig: (ctx) => renderYaml(ctx,
      ctx.namespace ? `${ctx.name}-0.${ctx.headlessService}.${ctx.namespace}.svc` : `${ctx.name}-0.${ctx.headlessService}`),
    // Read by GossipingPropertyFileSnitch through -Dcassandra-rackdc.properties.
    extraConfigFiles: () => ({ [RACKDC_FILE]: toProperties({ dc, rack }) }),
    // PEMBasedSslContextFactory reads key and certificate chain from one PEM file.
    tlsNeedsCombinedPem: true,
    container: (ctx) => containerFor(ctx, RACKDC_FILE),
    replication: (ctx) => ringPlan(ctx, {
      datacenter: dc,
      dataPath: DATA,
      cqlPort: CQL_PORT,
      container: (rackFile) => containerFor(ctx, rackFile),
      cassandraYaml: (seeds) => renderYaml(ctx, seeds),
      rolesJob: (firstCql) => rolesJob(ctx, firstCql),
      applicationUserJob: cassandraApplicationUserJob(ctx, CQL_PORT),
    }),
    exporter: () => ({
      // JMX exporter for Cassandra, reading the node's local JMX port (LOCAL_JMX=yes: 127.0.0.1:7199).
      // https://github.com/criteo/cassandra_exporter#config-file-example
      image: 'docker.io/criteord/cassandra_exporter:2.3.8',
      env: [plainEnv('JVM_OPTS', '-Xms64m -Xmx160m')],
      port: METRICS_PORT,
      cpuMillis: 200,
      memoryMebibytes: 256,
      configMountPath: '/etc/cassandra_exporter',
      configFiles: {
        'config.yml': toYaml({
          host: 'localhost:7199',
          ssl: false,
          listenAddress: '0.0.0.0',
          listenPort: METRICS_PORT,
          blacklist: ['java:lang:memorypool:.*usagethreshold.*', '.*:999thpercentile', '.*:95thpercentile', '.*:fifteenminuterate'],
          maxScrapeFrequencyInSec: { 50: ['.*'] },
        }),
      },
      writablePaths: ['/tmp'],
    }),
    bootstrapJob: (ctx) => rolesJob(ctx),
    // After the roles Job: it waits until the superuser from the Secret can log in.
    applicationUserJob: (ctx) => cassandraApplicationUserJob(ctx, CQL_PORT)!,
  };
}
