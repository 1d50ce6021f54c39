import { App, Chart, Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  BackupMethod, BackupSchedule, BackupTarget, Credentials, DatabaseConfigError, DatabasePriorityClass,
  DatabaseStorageClass, Engine, MysqlVersion, NodeSelectorOperator, PortRole, PostgresVersion, RedisVersion, Retention,
  StatefulDatabase, StatefulDatabaseProps, TolerationOperator, UpdateStrategy, VolumeMode,
} from '../src';
import { customEngine } from './support/engines';
import { newChart } from './support/synth';

const postgres = Engine.postgres({ version: PostgresVersion.V16 });
const redis = Engine.redis({ version: RedisVersion.V7_4 });
const P = 'test/orders: ';

function build(props: Partial<StatefulDatabaseProps>): () => void {
  return () => new StatefulDatabase(newChart(), 'orders', { engine: postgres, name: 'orders', ...props });
}

const custom = customEngine;

// Each row: what is wrong, the props, and the exact message (construct path, prop, reason, fix).
const cases: Array<[string, Partial<StatefulDatabaseProps>, string]> = [
  ['name not DNS-1035', { name: 'Orders_DB' },
    '`name` ("Orders_DB") must be at most 52 characters of lower-case letters, digits and \'-\', starting with a letter: it names the StatefulSet (whose pods carry a 63-character controller-revision-hash label of the name plus 11) and its Services (RFC 1035).'],
  ['name too long for controller-revision-hash', { name: 'a'.repeat(53) },
    `\`name\` ("${'a'.repeat(53)}") must be at most 52 characters of lower-case letters, digits and '-', starting with a letter: it names the StatefulSet (whose pods carry a 63-character controller-revision-hash label of the name plus 11) and its Services (RFC 1035).`],
  ['floating tag', { engine: Engine.postgres({ version: PostgresVersion.of('latest') }) },
    '`engine` version "latest" is not a pinned image tag: floating tags such as "latest" change under a running database. Give a versioned tag, e.g. "16.6".'],
  ['zero storage', { storageSize: Size.gibibytes(0) },
    '`storageSize` (0) must be a whole number from 1 to 8589934591 MiB: give the data volume a size, e.g. `Size.gibibytes(20)`.'],
  ['storage not whole MiB', { storageSize: Size.kibibytes(1500) },
    '`storageSize` (1500 KiB) must be a whole number of MiB.'],
  ['storage class not DNS-1123', { storageClassName: 'Fast_SSD' },
    '`storageClassName` ("Fast_SSD") is not a valid Kubernetes name: use at most 253 lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit (RFC 1123 subdomain).'],
  ['block volume', { volumeMode: VolumeMode.BLOCK },
    "Engine 'postgresql 16.6' needs a filesystem at /var/lib/postgresql/data, and `volumeMode` Block gives a raw device: use VolumeMode.FILESYSTEM."],
  ['zero cpu', { cpu: kplus.Cpu.millis(0) },
    '`cpu` (0) must be a whole number from 1 to 2147483647 millicores: e.g. `Cpu.millis(500)` or `Cpu.units(2)`.'],
  ['negative cpu', { cpu: kplus.Cpu.millis(-500) },
    '`cpu` (-500) must be a whole number from 1 to 2147483647 millicores: e.g. `Cpu.millis(500)` or `Cpu.units(2)`.'],
  ['zero memory', { memory: Size.mebibytes(0) },
    '`memory` (0) must be a whole number from 1 to 8589934591 MiB: e.g. `Size.gibibytes(2)`.'],
  ['memory too small for the engine', { memory: Size.mebibytes(128) },
    "`memory` (128 MiB) is below what Engine 'postgresql 16.6' needs (256 MiB): raise `memory` to at least `Size.mebibytes(256)`."],
  ['priority class not DNS-1123', { priorityClassName: 'High Priority' },
    '`priorityClassName` ("High Priority") is not a valid Kubernetes name: use at most 253 lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit (RFC 1123 subdomain).'],
  ['partition beyond the instance', { updateStrategy: UpdateStrategy.rollingUpdate({ partition: 2 }) },
    '`updateStrategy` partition (2) must be 0 (update the instance) or 1 (hold it at the current revision) for a single instance.'],
  ['zero grace period', { terminationGracePeriod: Duration.seconds(0) },
    '`terminationGracePeriod` (0) must be a whole number from 1 to 2147483647 seconds: the engine needs time to stop cleanly.'],
  ['Secret name not DNS-1123', { credentials: Credentials.fromSecretName('Orders Secret') },
    '`credentials` ("Orders Secret") is not a valid Kubernetes name: use at most 253 lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit (RFC 1123 subdomain).'],
  ['Secret key invalid', { credentials: Credentials.fromSecretName('orders', { passwordKey: 'pass word' }) },
    '`credentials` passwordKey "pass word" is not a valid Secret key: use at most 253 letters, digits, \'-\', \'_\' and \'.\' (not "." or "..").'],
  ['generated username invalid', { credentials: Credentials.generate({ username: "x'; DROP" }) },
    '`credentials` username "x\'; DROP" must start with a letter or \'_\' and hold at most 63 letters, digits, \'_\', \'.\' or \'-\'.'],
  ['MySQL non-root credentials', { engine: Engine.mysql({ version: MysqlVersion.V8_4 }), credentials: Credentials.generate({ username: 'app' }) },
    '`credentials` username "app": the MySQL profile\'s credentials are the root account\'s; leave `username` unset (root); applications get their own account from `applicationUser`.'],
  ['database name on Redis', { engine: redis, databaseName: 'cache' },
    "Engine 'redis 7.4.1' does not create a named database on first start: remove `databaseName`."],
  ['database name invalid', { databaseName: 'my-db' },
    '`databaseName` ("my-db") must start with a letter or \'_\' and hold at most 63 letters, digits or \'_\'.'],
  ['init scripts on Redis', { engine: redis, initScripts: { 'a.sh': 'true' } },
    "Engine 'redis 7.4.1' does not run init scripts on first start: remove `initScripts` and load data with a Job instead."],
  ['init scripts empty', { initScripts: {} },
    '`initScripts` is empty: give at least one file, or leave the prop out.'],
  ['init script file name', { initScripts: { 'a b.sql': '' } },
    '`initScripts` file name "a b.sql" must be at most 253 letters, digits, \'-\', \'_\' and \'.\' (not "." or "..").'],
  ['metrics without exporter', { engine: custom(), metrics: true },
    "`metrics` is true but Engine 'clickhouse 24.8.4.13' has no metrics exporter: set `metrics: false`, or give the custom engine an `exporterImage` and a METRICS port."],
  ['service monitor without metrics', { metrics: false, serviceMonitor: true },
    '`serviceMonitor` needs the metrics exporter, but `metrics` is off: set `metrics: true` or drop `serviceMonitor`.'],
  ['monitoring namespace invalid', { monitoringNamespace: 'Monitoring' },
    '`monitoringNamespace` ("Monitoring") is not a valid namespace name (RFC 1123 label, at most 63 characters).'],
  ['TLS without issuer', { tls: {} },
    '`tls` has no issuer: set `tls.issuerName` (a cert-manager Issuer or ClusterIssuer) or `tls.secretName` (an existing TLS Secret with tls.crt, tls.key and ca.crt).'],
  ['TLS with issuer and secret', { tls: { issuerName: 'ca', secretName: 'cert' } },
    '`tls` sets both `issuerName` and `secretName`: the Certificate would overwrite the existing Secret. Keep one.'],
  ['TLS renewal after expiry', { tls: { issuerName: 'ca', duration: Duration.days(10), renewBefore: Duration.days(20) } },
    '`tls.renewBefore` (480 h) must be positive and shorter than `tls.duration` (240 h).'],
  ['custom engine without ports', { engine: custom({ ports: [] }) },
    "`engine` Engine 'clickhouse 24.8.4.13' declares no ports: give `ports` with one PortRole.CLIENT port (and PEER, ADMIN, METRICS as the engine has them)."],
  ['custom engine without client port', { engine: custom({ ports: [{ name: 'peer', port: 9009, role: PortRole.PEER }] }) },
    "`engine` Engine 'clickhouse 24.8.4.13' must declare exactly one PortRole.CLIENT port (found 0): it is what the client Service publishes."],
  ['custom engine port out of range', { engine: custom({ ports: [{ name: 'http', port: 70000, role: PortRole.CLIENT }] }) },
    '`engine.ports[0].port` (70000) must be a whole number from 1 to 65535: port "http" is a TCP port number.'],
  ['custom engine port name', { engine: custom({ ports: [{ name: 'HTTP_PORT', port: 8123, role: PortRole.CLIENT }] }) },
    '`engine` port name "HTTP_PORT" must be at most 15 lower-case letters, digits and \'-\' with at least one letter (IANA service name).'],
  ['custom engine duplicate port', { engine: custom({ ports: [{ name: 'http', port: 8123, role: PortRole.CLIENT }, { name: 'http', port: 9000, role: PortRole.ADMIN }] }) },
    '`engine` port "http" (9000) repeats a name or number: give each port its own.'],
  ['custom engine as root', { engine: custom({ runAsUser: 0 }) },
    '`engine.runAsUser` (0) must be a whole number from 1 to 2147483647: restricted pods never run as root.'],
  ['custom engine relative data path', { engine: custom({ dataPath: 'data' }) },
    '`engine` dataPath ("data") must be an absolute path.'],
  ['config carrying a password', { engine: redis, config: { requirepass: 'hunter2' } },
    '`config` key "requirepass" would put a secret into a ConfigMap, readable by anyone who can read ConfigMaps: the library wires credentials from the Secret; remove "requirepass".'],
  ['config injecting lines', { config: { work_mem: '4MB\nlisten_addresses = \'x\'' } },
    '`config` value of "work_mem" holds a line break, which would inject settings: give one line.'],
  ['config key invalid', { config: { 'work mem': '4MB' } },
    '`config` key "work mem" must be at most 253 letters, digits, \'-\', \'_\' and \'.\' (not "." or "..").'],
  ['literal password in env', { env: { PGPASSWORD: 'hunter2' } },
    '`env` "PGPASSWORD" looks like a literal password, which would be stored in plain text in the YAML: put it in a Secret and read it from there.'],
  ['env overriding the engine', { env: { POSTGRES_DB: 'x' } },
    '`env` sets "POSTGRES_DB", which the postgresql profile sets itself: remove it (credentials and database name have their own props).'],
  ['env name invalid', { env: { '1BAD': 'x' } },
    '`env` name "1BAD" is not a valid environment variable name.'],
  ['label value too long', { labels: { team: 'x'.repeat(64) } },
    `\`labels\` value "${'x'.repeat(64)}" for key "team" is not a valid label value: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.`],
  ['label key invalid', { labels: { 'bad key': 'x' } },
    '`labels` key "bad key" is not a valid label key: use an optional DNS prefix and \'/\', then at most 63 letters, digits, \'-\', \'_\' or \'.\'.'],
  ['annotation key invalid', { annotations: { 'Bad/Key/x': 'x' } },
    '`annotations` key "Bad/Key/x" is not a valid annotation key: use an optional DNS prefix and \'/\', then at most 63 letters, digits, \'-\', \'_\' or \'.\'.'],
  ['registry with scheme', { imageRegistry: 'https://registry.internal/' },
    '`imageRegistry` ("https://registry.internal/") must be a registry host with optional port and path, e.g. "registry.internal:5000/mirror", without scheme or trailing \'/\'.'],
  ['pull secret invalid', { imagePullSecrets: ['Pull Secret'] },
    '`imagePullSecrets` ("Pull Secret") is not a valid Kubernetes name: use at most 253 lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit (RFC 1123 subdomain).'],
  ['node selector value', { nodeSelector: { pool: 'db pool' } },
    '`nodeSelector` value "db pool" for key "pool" is not a valid label value: use at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit.'],
  ['dedicated nodes label', { dedicatedNodes: { labelKey: 'workload', labelValue: '-db' } },
    '`dedicatedNodes` value "-db" for key "workload" is not a valid label value: use at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit.'],
  ['toleration Exists with value', { tolerations: [{ key: 'db', matchOperator: TolerationOperator.EXISTS, value: 'yes' }] },
    '`tolerations` "db" uses operator Exists with a value: Exists matches any value; drop `value` or use Equal.'],
  ['affinity In without values', { requiredNodeAffinity: [{ key: 'zone', matchOperator: NodeSelectorOperator.IN }] },
    '`requiredNodeAffinity` "zone" In needs at least one value.'],
  ['affinity Exists with values', { requiredNodeAffinity: [{ key: 'zone', matchOperator: NodeSelectorOperator.EXISTS, values: ['a'] }] },
    '`requiredNodeAffinity` "zone" Exists takes no values: drop `values`.'],
  ['affinity Gt not a number', { requiredNodeAffinity: [{ key: 'cores', matchOperator: NodeSelectorOperator.GT, values: ['many'] }] },
    '`requiredNodeAffinity` "cores" Gt needs exactly one whole-number value.'],
];

describe('StatefulDatabase errors', () => {
  test.each(cases)('%s', (_what, props, message) => {
    expect(build(props)).toThrow(P + message);
  });

  test('errors are DatabaseConfigError naming the construct path', () => {
    let error: Error | undefined;
    try {
      build({ storageSize: Size.gibibytes(0) })();
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).toBe('DatabaseConfigError');
    expect(error?.message.startsWith('test/orders: `storageSize`')).toBe(true);
  });
});

describe('helper construct errors', () => {
  test('DatabaseStorageClass rejects a bad name and an empty provisioner', () => {
    expect(() => new DatabaseStorageClass(newChart(), 'sc', { provisioner: 'x', name: 'Fast' }))
      .toThrow('test/sc: `name` ("Fast") is not a valid Kubernetes name: use at most 253 lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit (RFC 1123 subdomain).');
    expect(() => new DatabaseStorageClass(newChart(), 'sc', { provisioner: '' }))
      .toThrow('test/sc: `provisioner` is empty: name the CSI driver, e.g. `ebs.csi.aws.com`.');
  });

  test('a chart namespace the API server refuses is refused for databases and backup schedules', () => {
    const message = 'test/orders: the chart\'s `namespace` ("Shop_1") is not a valid namespace name: use at most 63 lower-case letters, digits and \'-\', starting and ending with a letter or digit (RFC 1123 label).';
    expect(() => new StatefulDatabase(newChart('Shop_1'), 'orders', { engine: postgres, name: 'orders' })).toThrow(message);
    const dbChart = newChart('shop');
    const db = new StatefulDatabase(dbChart, 'orders', { engine: postgres, name: 'orders' });
    const other = new Chart(dbChart.node.scope as App, 'backups', { namespace: 'Shop_1' });
    expect(() => new BackupSchedule(other, 'b', {
      database: db, methods: [BackupMethod.logicalDump({ target: BackupTarget.pvc({ claimName: 'dumps' }), schedule: Cron.daily(), retention: Retention.keepLast(3) })],
    })).toThrow(DatabaseConfigError);
  });

  test('DatabasePriorityClass rejects reserved values', () => {
    expect(() => new DatabasePriorityClass(newChart(), 'pc', { value: 2_000_000_000 }))
      .toThrow('test/pc: `value` (2000000000) must be a whole number from -2147483648 to 1000000000: higher values are reserved for system-critical pods.');
  });
});
