import { Duration, Size } from 'cdk8s';
import {
  CassandraVersion, Credentials, CustomEngineProps, DatabaseConfigError, Engine, MongoDbVersion, MysqlVersion, PortRole,
  PostgresVersion, RedisVersion, ReplicatedDatabase, StatefulDatabase, StatefulDatabaseProps, ValkeyVersion,
} from '../src';
import { customEngine } from './support/engines';
import { newChart, only, synthValid } from './support/synth';

const DIGEST = `sha256:${'ab12'.repeat(16)}`;
const postgres = (version: string) => Engine.postgres({ version: PostgresVersion.of(version) });

function build(props: Partial<StatefulDatabaseProps>): () => void {
  return () => new StatefulDatabase(newChart(), 'orders', { engine: postgres('16.6'), name: 'orders', ...props });
}

/** Expects a DatabaseConfigError with the database's path whose message holds every fragment (the prop, the value). */
function expectRefused(fn: () => void, ...fragments: string[]): void {
  expect(fn).toThrow(DatabaseConfigError);
  try {
    fn();
  } catch (e) {
    expect((e as DatabaseConfigError).message.startsWith('test/orders: ')).toBe(true);
    for (const f of fragments) expect((e as DatabaseConfigError).message).toContain(f);
  }
}

const custom = (overrides: Partial<Record<keyof CustomEngineProps, unknown>>) => customEngine(overrides as Record<string, unknown>);
const metricsPort = { name: 'metrics', port: 9363, role: PortRole.METRICS };
const withMetrics = { ports: [{ name: 'http', port: 8123, role: PortRole.CLIENT }, metricsPort] };

describe('engine factories never throw; the binding database reports what they could not read', () => {
  test.each([
    ['Engine.postgres() without props', () => (Engine.postgres as any)(), 'Engine.postgres()', 'PostgresVersion.V16'],
    ['Engine.postgres({})', () => Engine.postgres({} as any), 'Engine.postgres()', 'needs a `version`'],
    ['PostgresVersion.of(undefined)', () => Engine.postgres({ version: PostgresVersion.of(undefined as any) }), 'Engine.postgres()', 'needs a `version`'],
    ['Engine.mysql({})', () => Engine.mysql({} as any), 'Engine.mysql()', 'MysqlVersion.V8_4'],
    ['Engine.mongodb({})', () => Engine.mongodb({} as any), 'Engine.mongodb()', 'MongoDbVersion.V8_0'],
    ['Engine.redis({})', () => Engine.redis({} as any), 'Engine.redis()', 'RedisVersion.V7_2'],
    ['Engine.valkey({})', () => Engine.valkey({} as any), 'Engine.valkey()', 'ValkeyVersion.V8_0'],
    ['Engine.cassandra({})', () => Engine.cassandra({} as any), 'Engine.cassandra()', 'CassandraVersion.V5_0'],
    ['Engine.custom() without props', () => (Engine.custom as any)(), 'Engine.custom()', 'needs its props'],
  ])('%s', (_, make, factory, fix) => {
    let engine: Engine | undefined;
    expect(() => { engine = make(); }).not.toThrow();
    expectRefused(build({ engine }), '`engine`', factory, fix);
  });

  test('a fractional minimumMemory or grace period no longer throws in Engine.custom()', () => {
    let engine: Engine | undefined;
    expect(() => { engine = custom({ minimumMemory: Size.kibibytes(1500) }); }).not.toThrow();
    expectRefused(build({ engine }), '`engine.minimumMemory`');
    expect(() => { engine = custom({ terminationGracePeriod: Duration.millis(1500) }); }).not.toThrow();
    expectRefused(build({ engine }), '`engine.terminationGracePeriod`');
  });

  test('a ReplicatedDatabase refuses the unreadable engine with its path too', () => {
    expect(() => new ReplicatedDatabase(newChart(), 'orders', { engine: Engine.postgres({} as any), name: 'orders' }))
      .toThrow(DatabaseConfigError);
  });
});

describe('custom engine props', () => {
  test.each<[string, Partial<Record<keyof CustomEngineProps, unknown>>, string[]]>([
    ['name with capitals', { name: 'ClickHouse' }, ['`engine` name "ClickHouse"']],
    ['name with underscores', { name: 'click_house' }, ['`engine` name "click_house"']],
    ['name over 63 characters', { name: 'c'.repeat(64) }, ['`engine` name', 'at most 63']],
    ['name of a library container', { name: 'metrics-exporter' }, ['`engine` name "metrics-exporter"']],
    ['image with a tag', { image: 'docker.io/clickhouse/clickhouse-server:24.8' }, ['`engine` image', 'clickhouse-server:24.8:24.8.4.13']],
    ['image with a digest', { image: `docker.io/clickhouse/clickhouse-server@${DIGEST}` }, ['`engine` image', 'carries a tag or digest']],
    ['image not an image name', { image: 'Docker.io/ClickHouse' }, ['`engine` image "Docker.io/ClickHouse" is not an image name']],
    ['exporterImage without a tag', { ...withMetrics, exporterImage: 'docker.io/example/exporter' }, ['`engine` exporterImage', 'not pinned']],
    ['exporterImage :latest', { ...withMetrics, exporterImage: 'docker.io/example/exporter:latest' }, ['`engine` exporterImage', 'not pinned']],
    ['exporterImage without a METRICS port', { exporterImage: 'docker.io/example/exporter:1.2.0' }, ['`engine` exporterImage needs a port with PortRole.METRICS']],
    ['METRICS port not named like the exporter\'s', {
      ports: [{ name: 'http', port: 8123, role: PortRole.CLIENT }, { ...metricsPort, name: 'prom' }],
      exporterImage: 'docker.io/example/exporter:1.2.0',
    }, ['`engine` METRICS port "prom" must be named "metrics"']],
    ['port without a role', { ports: [{ name: 'http', port: 8123, role: PortRole.CLIENT }, { name: 'x', port: 9000 }] }, ['`engine` port', 'needs a `role`']],
    ['port number a fraction', { ports: [{ name: 'http', port: 8123.5, role: PortRole.CLIENT }] }, ['`engine.ports[0].port` (8123.5)']],
    ['runAsUser root', { runAsUser: 0 }, ['`engine.runAsUser` (0)', 'never run as root']],
    ['runAsUser fractional', { runAsUser: 1.5 }, ['`engine.runAsUser` (1.5)']],
    ['runAsUser over int32', { runAsUser: 2147483648 }, ['`engine.runAsUser` (2147483648)']],
    ['fsGroup negative', { fsGroup: -1 }, ['`engine.fsGroup` (-1)']],
    ['fsGroup fractional', { fsGroup: 0.5 }, ['`engine.fsGroup` (0.5)']],
    ['fsGroup over int32', { fsGroup: 2147483648 }, ['`engine.fsGroup` (2147483648)']],
    ['dataPath /tmp colliding with the default writable path', { dataPath: '/tmp' }, ['`engine` writablePaths "/tmp" is also `dataPath`']],
    ['dataPath /', { dataPath: '/' }, ['`engine` dataPath ("/")']],
    ['writablePaths /', { writablePaths: ['/'] }, ['`engine` writablePaths ("/")']],
    ['writablePaths relative', { writablePaths: ['tmp'] }, ['`engine` writablePaths ("tmp")']],
    ['writablePaths with ..', { writablePaths: ['/var/../tmp'] }, ['`engine` writablePaths ("/var/../tmp")']],
    ['writablePaths duplicate', { writablePaths: ['/tmp', '/tmp'] }, ['`engine` writablePaths "/tmp" is also `writablePaths`']],
    ['writablePaths same volume name', { writablePaths: ['/var/tmp', '/var_tmp'] }, ['`engine` writablePaths "/var_tmp" gives the volume name "var-tmp"']],
    ['writablePaths the data volume name', { writablePaths: ['/data'] }, ['`engine` writablePaths "/data" gives the volume name "data"']],
    ['writablePaths on the TLS mount', { writablePaths: ['/tls'] }, ['`engine` writablePaths "/tls" is also the TLS Secret\'s mount']],
    ['configPath relative', { configPath: 'etc' }, ['`engine` configPath ("etc")']],
    ['initScriptsPath is the data path', { initScriptsPath: '/var/lib/clickhouse' }, ['`engine` initScriptsPath "/var/lib/clickhouse" is also `dataPath`']],
    ['readinessCommand empty', { readinessCommand: [] }, ['`engine` readinessCommand']],
    ['livenessCommand empty program', { livenessCommand: [''] }, ['`engine` livenessCommand']],
    ['preStopCommand empty', { preStopCommand: [] }, ['`engine` preStopCommand']],
    ['usernameEnv not an env name', { usernameEnv: '1USER' }, ['`engine` usernameEnv "1USER"']],
    ['passwordEnv not an env name', { passwordEnv: 'PASS WORD' }, ['`engine` passwordEnv "PASS WORD"']],
    ['usernameEnv and passwordEnv the same', { usernameEnv: 'CH_AUTH', passwordEnv: 'CH_AUTH' }, ['`engine` usernameEnv and passwordEnv are both "CH_AUTH"']],
    ['configFileName with a slash', { configFileName: 'conf.d/x.conf' }, ['`engine` configFileName "conf.d/x.conf"']],
    ['replicationMode unknown', { replicationMode: 'multi-master' }, ['`engine` replicationMode "multi-master"']],
    ['minimumMemory zero', { minimumMemory: Size.mebibytes(0) }, ['`engine.minimumMemory` (0)']],
    ['version floating', { version: 'latest' }, ['`engine` version "latest" is not a pinned image tag']],
    ['version ending in -', { version: '24.8-' }, ['`engine` version "24.8-" is not an image tag']],
    ['version with a bad digest', { version: '24.8.4.13@sha256:abc' }, ['`engine` version "24.8.4.13@sha256:abc" is not an image tag']],
  ])('%s', (_, overrides, fragments) => {
    let engine: Engine | undefined;
    expect(() => { engine = custom(overrides); }).not.toThrow();
    expectRefused(build({ engine }), ...fragments);
  });

  test('credentials on a custom engine that reads neither username nor password', () => {
    expectRefused(build({ engine: custom({}), credentials: Credentials.fromSecretName('ch-admin') }), '`credentials` would be ignored');
  });

  test('a credentials username on a custom engine that reads only the password', () => {
    expectRefused(build({ engine: custom({ passwordEnv: 'CH_PASSWORD' }), credentials: Credentials.generate({ username: 'root' }) }),
      '`credentials` username "root" would be ignored');
  });
});

describe('built-in versions', () => {
  test.each([
    ['postgres major', () => postgres('16'), '"16"'],
    ['postgres major with variant', () => postgres('16-bookworm'), '"16-bookworm"'],
    ['postgres 9.6 line', () => postgres('9.6'), '"9.6"'],
    ['postgres latest', () => postgres('latest'), '"latest"'],
    ['postgres stable', () => postgres('stable'), '"stable"'],
    ['mysql 8.4 line', () => Engine.mysql({ version: MysqlVersion.of('8.4') }), '"8.4"'],
    ['mysql lts', () => Engine.mysql({ version: MysqlVersion.of('lts') }), '"lts"'],
    ['mongodb 7.0 line', () => Engine.mongodb({ version: MongoDbVersion.of('7.0') }), '"7.0"'],
    ['redis 7.2 line', () => Engine.redis({ version: RedisVersion.of('7.2') }), '"7.2"'],
    ['redis 7.2-alpine line', () => Engine.redis({ version: RedisVersion.of('7.2-alpine') }), '"7.2-alpine"'],
    ['valkey 8 line', () => Engine.valkey({ version: ValkeyVersion.of('8') }), '"8"'],
    ['cassandra 5.0 line', () => Engine.cassandra({ version: CassandraVersion.of('5.0') }), '"5.0"'],
  ])('floating tag: %s', (_, make, quoted) => {
    expectRefused(build({ engine: make() }), `\`engine\` version ${quoted} is not a pinned image tag`);
  });

  test.each([
    ['ends in -', '16.6-'], ['ends in _', '16.6_'], ['ends in .', '16.6.'], ['longer than 128', `16.6-${'a'.repeat(124)}`],
    ['starts with -', '-16.6'], ['empty', ''], ['digest with a tag missing', `@${DIGEST}`], ['sha512 digest', `16.6@sha512:${'ab'.repeat(64)}`],
    ['digest too short', '16.6@sha256:abcd'], ['upper-case digest', `16.6@sha256:${'AB12'.repeat(16)}`],
  ])('not a tag: %s', (_, version) => {
    expectRefused(build({ engine: postgres(version) }), `\`engine\` version "${version}" is not an image tag`);
  });

  test.each([
    ['postgres', () => postgres('16.6'), 'docker.io/library/postgres:16.6'],
    ['postgres variant', () => postgres('16.6-bookworm'), 'docker.io/library/postgres:16.6-bookworm'],
    ['postgres pre-release', () => postgres('17rc1'), 'docker.io/library/postgres:17rc1'],
    ['postgres 9.6 release', () => postgres('9.6.24'), 'docker.io/library/postgres:9.6.24'],
    ['redis release', () => Engine.redis({ version: RedisVersion.of('7.2.5') }), 'docker.io/library/redis:7.2.5'],
    ['mongodb release', () => Engine.mongodb({ version: MongoDbVersion.of('7.0.14-jammy') }), 'docker.io/library/mongo:7.0.14-jammy'],
  ])('pinned tag: %s', (_, make, image) => {
    const chart = newChart();
    new StatefulDatabase(chart, 'orders', { engine: make(), name: 'orders' });
    expect(only(synthValid(chart), 'StatefulSet').spec.template.spec.containers[0].image).toBe(image);
  });

  test('a digest-pinned version renders repo:tag@sha256 in the image and the tag alone in the version label', () => {
    const chart = newChart();
    const engine = postgres(`16.6@${DIGEST}`);
    expect(engine.image).toBe(`docker.io/library/postgres:16.6@${DIGEST}`);
    new StatefulDatabase(chart, 'orders', { engine, name: 'orders', imageRegistry: 'registry.internal:5000/mirror' });
    const sts = only(synthValid(chart), 'StatefulSet');
    expect(sts.spec.template.spec.containers[0].image).toBe(`registry.internal:5000/mirror/library/postgres:16.6@${DIGEST}`);
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe('16.6');
  });

  test('a tag longer than a label value is cut in the version label only', () => {
    const tag = `16.6-${'a'.repeat(70)}`;
    const chart = newChart();
    new StatefulDatabase(chart, 'orders', { engine: postgres(tag), name: 'orders' });
    const sts = only(synthValid(chart), 'StatefulSet');
    expect(sts.spec.template.spec.containers[0].image).toBe(`docker.io/library/postgres:${tag}`);
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe(tag.slice(0, 63));
  });

  test('the engines\' own version constants are pinned', () => {
    for (const engine of [
      Engine.postgres({ version: PostgresVersion.V15 }), Engine.postgres({ version: PostgresVersion.V17 }),
      Engine.mysql({ version: MysqlVersion.V8_0 }), Engine.mysql({ version: MysqlVersion.V8_4 }),
      Engine.mongodb({ version: MongoDbVersion.V6_0 }), Engine.redis({ version: RedisVersion.V7_4 }),
      Engine.valkey({ version: ValkeyVersion.V7_2 }), Engine.cassandra({ version: CassandraVersion.V4_1 }),
    ]) {
      const chart = newChart();
      new StatefulDatabase(chart, 'orders', { engine, name: 'orders' });
      expect(only(synthValid(chart), 'StatefulSet').metadata.labels['app.kubernetes.io/version']).toBe(engine.version);
    }
  });
});

describe('custom engines that are valid at the edges', () => {
  test('a 63-character name, a digest-pinned version and an exporter pinned by digest', () => {
    const name = `c${'h'.repeat(61)}x`;
    const engine = custom({ name, version: `24.8.4.13@${DIGEST}`, ...withMetrics, exporterImage: `docker.io/example/exporter@${DIGEST}` });
    const chart = newChart();
    new StatefulDatabase(chart, 'orders', { engine, name: 'orders' });
    const sts = only(synthValid(chart), 'StatefulSet');
    const containers = sts.spec.template.spec.containers;
    expect(containers[0].name).toBe(name);
    expect(containers[0].image).toBe(`docker.io/clickhouse/clickhouse-server:24.8.4.13@${DIGEST}`);
    expect(containers[1].image).toBe(`docker.io/example/exporter@${DIGEST}`);
    expect(sts.metadata.labels['app.kubernetes.io/name']).toBe(name);
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe('24.8.4.13');
  });

  test('credentials with a custom engine that reads them, fsGroup 0 and a registry port in the image', () => {
    const engine = custom({ image: 'registry.example.com:5000/db/engine', usernameEnv: 'CH_USER', passwordEnv: 'CH_PASSWORD', fsGroup: 0 });
    const chart = newChart();
    new StatefulDatabase(chart, 'orders', { engine, name: 'orders', credentials: Credentials.generate({ username: 'admin' }) });
    const sts = only(synthValid(chart), 'StatefulSet');
    expect(sts.spec.template.spec.containers[0].image).toBe('registry.example.com:5000/db/engine:24.8.4.13');
    expect(sts.spec.template.spec.securityContext.fsGroup).toBe(0);
  });
});

describe('env the rendered container sets itself', () => {
  test('SCOPE on a Patroni database is refused (the replicated container sets it)', () => {
    expect(() => new ReplicatedDatabase(newChart(), 'orders', { engine: postgres('16.6'), name: 'orders', env: { SCOPE: 'x' } }))
      .toThrow(/`env` sets "SCOPE", which the postgresql profile sets itself/);
    expect(() => new ReplicatedDatabase(newChart(), 'orders', { engine: postgres('16.6'), name: 'orders', env: { SCOPE: 'x' } }))
      .toThrow(DatabaseConfigError);
  });

  test('SCOPE on a single PostgreSQL instance is the user\'s', () => {
    const chart = newChart();
    new StatefulDatabase(chart, 'orders', { engine: postgres('16.6'), name: 'orders', env: { SCOPE: 'x' } });
    const env = only(synthValid(chart), 'StatefulSet').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'SCOPE', value: 'x' });
  });
});
