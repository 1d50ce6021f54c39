import { Duration, Size } from 'cdk8s';
import * as fc from 'fast-check';
import { edgeDuration, edgeNumber, edgeSize, edgeString, labelled } from './suspicious';
import {
  CassandraVersion, Engine, MongoDbVersion, MysqlVersion, PortRole, PostgresVersion, RedisVersion, ReplicationMode, ValkeyVersion,
} from '../../src';

/** The built-in engine families. */
export type Family = 'postgres' | 'mysql' | 'mongodb' | 'redis' | 'valkey' | 'cassandra' | 'custom';
export const FAMILIES: Family[] = ['postgres', 'mysql', 'mongodb', 'redis', 'valkey', 'cassandra', 'custom'];

/** An engine and the family it belongs to (family-specific props depend on it). */
export interface EngineChoice { readonly family: Family; readonly engine: Engine }

const VERSIONS: Record<Exclude<Family, 'custom'>, string[]> = {
  postgres: ['15.10', '16.6', '17.2'],
  mysql: ['8.0.40', '8.4.3'],
  mongodb: ['6.0.18', '7.0.14', '8.0.3'],
  redis: ['7.2.6', '7.4.1'],
  valkey: ['7.2.7', '8.0.1'],
  cassandra: ['4.1.7', '5.0.2'],
};

function builtIn(family: Exclude<Family, 'custom'>, version: string, extra: Record<string, string> = {}): EngineChoice {
  const extraText = Object.entries(extra).map(([k, v]) => `, ${k}: ${JSON.stringify(v)}`).join('');
  const code = (cls: string) => `Engine.${family}({ version: ${cls}.of(${JSON.stringify(version)})${extraText} })`;
  const make: Record<typeof family, () => [Engine, string]> = {
    postgres: () => [Engine.postgres({ version: PostgresVersion.of(version) }), code('PostgresVersion')],
    mysql: () => [Engine.mysql({ version: MysqlVersion.of(version) }), code('MysqlVersion')],
    mongodb: () => [Engine.mongodb({ version: MongoDbVersion.of(version) }), code('MongoDbVersion')],
    redis: () => [Engine.redis({ version: RedisVersion.of(version) }), code('RedisVersion')],
    valkey: () => [Engine.valkey({ version: ValkeyVersion.of(version) }), code('ValkeyVersion')],
    cassandra: () => [Engine.cassandra({ version: CassandraVersion.of(version), ...extra }), code('CassandraVersion')],
  };
  const [engine, label] = make[family]();
  return { family, engine: labelled(engine, label) };
}

/** Props of a custom engine: a ClickHouse-like image, valid unless one field is swapped. */
const customFields = {
  name: { valid: fc.constantFrom('clickhouse', 'keydb'), edge: edgeString() },
  image: { valid: fc.constantFrom('docker.io/clickhouse/clickhouse-server', 'registry.example.com:5000/db/engine'), edge: edgeString() },
  version: { valid: fc.constantFrom('24.8.4.13', '1.0.0'), edge: fc.oneof(edgeString(), fc.constant('latest')) },
  port: { valid: fc.integer({ min: 1024, max: 65535 }), edge: edgeNumber() },
  portName: { valid: fc.constantFrom('http', 'native'), edge: edgeString() },
  dataPath: { valid: fc.constantFrom('/var/lib/clickhouse', '/data'), edge: fc.oneof(edgeString(), fc.constant('/')) },
  runAsUser: { valid: fc.integer({ min: 1, max: 65534 }), edge: edgeNumber() },
  fsGroup: { valid: fc.integer({ min: 1, max: 65534 }), edge: edgeNumber() },
  command: { valid: fc.constant(['/entrypoint.sh']), edge: edgeString().map((s) => [s]) },
  args: { valid: fc.constant(['--config', '/etc/database/database.conf']), edge: edgeString().map((s) => ['--x', s]) },
  usernameEnv: { valid: fc.constant('CLICKHOUSE_USER'), edge: edgeString() },
  passwordEnv: { valid: fc.constant('CLICKHOUSE_PASSWORD'), edge: edgeString() },
  readinessCommand: { valid: fc.constant(['clickhouse-client', '--query', 'SELECT 1']), edge: edgeString().map((s) => ['sh', '-c', s]) },
  livenessCommand: { valid: fc.constant(['clickhouse-client', '--query', 'SELECT 1']), edge: edgeString().map((s) => [s]) },
  preStopCommand: { valid: fc.constant(['sh', '-c', 'sleep 5']), edge: edgeString().map((s) => ['sh', '-c', s]) },
  writablePaths: { valid: fc.constant(['/tmp', '/var/log/clickhouse-server']), edge: edgeString().map((s) => ['/tmp', s]) },
  minimumMemory: { valid: fc.integer({ min: 64, max: 1024 }).map((m) => labelled(Size.mebibytes(m), `Size.mebibytes(${m})`)), edge: edgeSize() },
  terminationGracePeriod: { valid: fc.integer({ min: 1, max: 600 }).map((s) => labelled(Duration.seconds(s), `Duration.seconds(${s})`)), edge: edgeDuration() },
  configPath: { valid: fc.constant('/etc/clickhouse-server/config.d'), edge: edgeString() },
  configFileName: { valid: fc.constant('custom.conf'), edge: edgeString() },
  initScriptsPath: { valid: fc.constant('/docker-entrypoint-initdb.d'), edge: edgeString() },
  exporterImage: { valid: fc.constant('docker.io/f1yegor/clickhouse-exporter:v0.1.0'), edge: fc.oneof(edgeString(), fc.constant('exporter:latest')) },
  replicationMode: { valid: fc.constantFrom(...Object.values(ReplicationMode)), edge: edgeString() },
  roleLabelKey: { valid: fc.constant('example.com/role'), edge: edgeString() },
  primaryRoleValue: { valid: fc.constant('leader'), edge: edgeString() },
  replicaRoleValue: { valid: fc.constant('follower'), edge: edgeString() },
} satisfies Record<string, { valid: fc.Arbitrary<unknown>; edge: fc.Arbitrary<unknown> }>;
export type CustomFields = typeof customFields;
export { customFields };

/** Builds a custom engine from field values (the ones not given take the valid defaults). */
export function customEngine(v: Record<string, any>, replicated: boolean): EngineChoice {
  const props: Record<string, any> = {
    name: v.name ?? 'clickhouse',
    image: v.image ?? 'docker.io/clickhouse/clickhouse-server',
    version: v.version ?? '24.8.4.13',
    ports: [
      { name: v.portName ?? 'http', port: v.port ?? 8123, role: PortRole.CLIENT },
      ...(v.exporterImage !== undefined ? [{ name: 'metrics', port: 9363, role: PortRole.METRICS }] : []),
    ],
    dataPath: v.dataPath ?? '/var/lib/clickhouse',
    runAsUser: v.runAsUser ?? 101,
    ...(replicated && v.replicationMode === undefined ? { replicationMode: ReplicationMode.CONSENSUS } : {}),
  };
  for (const k of Object.keys(customFields)) {
    if (['name', 'image', 'version', 'port', 'portName', 'dataPath', 'runAsUser'].includes(k)) continue;
    if (v[k] !== undefined) props[k] = v[k];
  }
  const text = Object.entries(props).map(([k, x]) => `${k}: ${fc.stringify(x)}`).join(', ');
  return { family: 'custom', engine: labelled(Engine.custom(props as any), `Engine.custom({ ${text} })`) };
}

/** A valid engine of `family`; custom engines with one field possibly suspicious are made in `customEngineSample`. */
export function validEngine(family: Family, replicated: boolean): fc.Arbitrary<EngineChoice> {
  if (family === 'custom') {
    const optional = Object.entries(customFields).map(([k, f]) => [k, fc.option(f.valid as fc.Arbitrary<unknown>, { freq: 3, nil: undefined })]);
    return fc.record(Object.fromEntries(optional)).map((v) => customEngine(v, replicated));
  }
  if (family === 'cassandra') {
    return fc.tuple(fc.constantFrom(...VERSIONS.cassandra), fc.option(fc.constantFrom('eu-west', 'dc2'), { nil: undefined }))
      .map(([v, dc]) => builtIn('cassandra', v, dc ? { datacenter: dc } : {}));
  }
  // Patroni (Spilo) carries PostgreSQL up to 16: 17 is a single-instance version.
  const versions = VERSIONS[family].filter((v) => !(replicated && family === 'postgres' && v.startsWith('17')));
  return fc.constantFrom(...versions).map((v) => builtIn(family, v));
}

/** An engine whose one option is suspicious: a floating or odd version tag, an odd datacenter, a custom field. */
export function suspiciousEngine(replicated: boolean): fc.Arbitrary<EngineChoice> {
  const families = FAMILIES.filter((f) => f !== 'custom') as Array<Exclude<Family, 'custom'>>;
  return fc.oneof(
    fc.tuple(fc.constantFrom(...families), fc.oneof(edgeString(), fc.constantFrom('latest', '9.6', '99.0', '16', '17.2'))).map(([f, v]) => builtIn(f, v)),
    edgeString().map((dc) => builtIn('cassandra', '5.0.2', { datacenter: dc })),
    edgeString().map((rack) => builtIn('cassandra', '5.0.2', { rack })),
    fc.oneof(...Object.entries(customFields).map(([k, f]) => f.edge.map((e) => customEngine({ [k]: e }, replicated)))),
  );
}
