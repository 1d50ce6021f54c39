import { Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  BackupMethod, BackupSchedule, BackupTarget, DatabaseConfigError, DatabasePriorityClass, DatabaseStorageClass,
  DatabaseStorageClassProps, Engine, MongoDbVersion, MysqlVersion, NodeSelectorOperator, PostgresVersion, ReplicatedDatabase, ReplicatedDatabaseProps,
  Retention, Spread, StatefulDatabase, StatefulDatabaseProps, UpdateStrategy,
} from '../src';
import { newChart, only, synthValid } from './support/synth';
import { GO_DURATION_MAX_HOURS, INT32_MAX, MAX_MEBIBYTES } from '../src/private/numbers';

// Every number, size and duration a prop carries is read through src/private/numbers.ts: a fraction,
// NaN, an exponent form or an int32 overflow is a DatabaseConfigError naming the prop, never a plain
// Error from cdk8s' unit conversions, a heap exhausted by a loop, or a YAML field the API server refuses.

const postgres = Engine.postgres({ version: PostgresVersion.V16 });
const ZONES = ['a', 'b', 'c'];
const S3 = BackupTarget.s3({ endpoint: 'https://s3.eu-west-1.amazonaws.com', bucket: 'acme-db-backups', credentialsSecretName: 'backup-s3' });
const NIGHTLY = Cron.schedule({ minute: '30', hour: '2' });

function single(props: Partial<StatefulDatabaseProps>) {
  const chart = newChart();
  new StatefulDatabase(chart, 'db', { engine: postgres, name: 'db', ...props });
  return chart;
}
function replicated(props: Partial<ReplicatedDatabaseProps>) {
  const chart = newChart();
  new ReplicatedDatabase(chart, 'db', { engine: postgres, name: 'db', zones: ZONES, ...props });
  return chart;
}
/** Throws a DatabaseConfigError whose message names `prop` in backticks. */
function expectRefused(build: () => unknown, prop: string): void {
  expect(build).toThrow(DatabaseConfigError);
  expect(build).toThrow(`\`${prop}`);
}

describe('StatefulDatabase sizes, durations and CPU', () => {
  test.each<[string, Partial<StatefulDatabaseProps>, string]>([
    ['storage below a MiB', { storageSize: Size.gibibytes(0.0001) }, 'storageSize'],
    ['storage NaN', { storageSize: Size.gibibytes(NaN) }, 'storageSize'],
    ['storage past the maximum', { storageSize: Size.mebibytes(MAX_MEBIBYTES + 1) }, 'storageSize'],
    ['storage in exponent range', { storageSize: Size.pebibyte(1e9) }, 'storageSize'],
    ['memory fractional', { memory: Size.gibibytes(1.0001) }, 'memory'],
    ['memory in exponent range', { memory: Size.pebibyte(1e9) }, 'memory'],
    ['grace fractional', { terminationGracePeriod: Duration.seconds(1.5) }, 'terminationGracePeriod'],
    ['grace NaN', { terminationGracePeriod: Duration.seconds(NaN) }, 'terminationGracePeriod'],
    ['grace past int32', { terminationGracePeriod: Duration.seconds(INT32_MAX + 1) }, 'terminationGracePeriod'],
    ['minReady in millis', { minReady: Duration.millis(500) }, 'minReady'],
    ['minReady past int32', { minReady: Duration.days(30000) }, 'minReady'],
    ['cpu in exponent form (millis)', { cpu: kplus.Cpu.millis(1e24) }, 'cpu'],
    ['cpu in exponent form (units)', { cpu: kplus.Cpu.units(1e21) }, 'cpu'],
    ['cpu below a millicore', { cpu: kplus.Cpu.units(0.0001) }, 'cpu'],
    ['cpu fractional millis', { cpu: kplus.Cpu.millis(1.5) }, 'cpu'],
    ['cpu NaN', { cpu: kplus.Cpu.millis(NaN) }, 'cpu'],
    ['cpu negative', { cpu: kplus.Cpu.units(-0.5) }, 'cpu'],
    ['cpu past int32 millicores', { cpu: kplus.Cpu.millis(INT32_MAX + 1) }, 'cpu'],
    ['TLS duration of 30 minutes', { tls: { issuerName: 'ca', duration: Duration.minutes(30) } }, 'tls.duration'],
    ['TLS renewBefore of 90 minutes', { tls: { issuerName: 'ca', renewBefore: Duration.minutes(90) } }, 'tls.renewBefore'],
    ['TLS duration past a Go duration', { tls: { issuerName: 'ca', duration: Duration.hours(GO_DURATION_MAX_HOURS + 1) } }, 'tls.duration'],
    ['partition fractional', { updateStrategy: UpdateStrategy.rollingUpdate({ partition: 0.5 }) }, 'updateStrategy'],
    ['partition NaN', { updateStrategy: UpdateStrategy.rollingUpdate({ partition: NaN }) }, 'updateStrategy'],
    ['node affinity Gt past int64', { requiredNodeAffinity: [{ key: 'cores', matchOperator: NodeSelectorOperator.GT, values: ['9223372036854775808'] }] }, 'requiredNodeAffinity'],
  ])('%s', (_, props, prop) => {
    expectRefused(() => single(props), prop);
  });

  test('the largest values render as plain integers', () => {
    const manifests = synthValid(single({
      storageSize: Size.mebibytes(MAX_MEBIBYTES),
      memory: Size.mebibytes(MAX_MEBIBYTES),
      cpu: kplus.Cpu.millis(INT32_MAX),
      terminationGracePeriod: Duration.seconds(INT32_MAX),
      minReady: Duration.seconds(INT32_MAX),
      tls: { issuerName: 'ca', duration: Duration.hours(GO_DURATION_MAX_HOURS), renewBefore: Duration.hours(GO_DURATION_MAX_HOURS - 1) },
    }));
    const sts = only(manifests, 'StatefulSet');
    const main = sts.spec.template.spec.containers[0];
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('8589934591Mi');
    expect(main.resources.requests).toEqual({ cpu: '2147483647m', memory: '8589934591Mi' });
    expect(sts.spec.template.spec.terminationGracePeriodSeconds).toBe(2147483647);
    expect(sts.spec.minReadySeconds).toBe(2147483647);
    const cert = only(manifests, 'Certificate');
    expect(cert.spec.duration).toBe('2562047h');
    expect(cert.spec.renewBefore).toBe('2562046h');
  });

  test('the smallest values render exactly', () => {
    const manifests = synthValid(single({
      storageSize: Size.kibibytes(1024),
      cpu: kplus.Cpu.units(0.001),
      terminationGracePeriod: Duration.millis(1000),
      minReady: Duration.seconds(0),
      tls: { issuerName: 'ca', duration: Duration.minutes(120), renewBefore: Duration.hours(1) },
    }));
    const sts = only(manifests, 'StatefulSet');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Mi');
    expect(sts.spec.template.spec.containers[0].resources.requests.cpu).toBe('1m');
    expect(sts.spec.template.spec.terminationGracePeriodSeconds).toBe(1);
    expect(sts.spec.minReadySeconds).toBe(0);
    expect(only(manifests, 'Certificate').spec).toMatchObject({ duration: '2h', renewBefore: '1h' });
  });

  test('node affinity Gt at the int64 bound is written as given', () => {
    const values = ['-9223372036854775808'];
    const sts = only(synthValid(single({ requiredNodeAffinity: [{ key: 'cores', matchOperator: NodeSelectorOperator.GT, values }] })), 'StatefulSet');
    expect(JSON.stringify(sts.spec.template.spec.affinity)).toContain('"values":["-9223372036854775808"]');
  });

  test('CPU in units with a decimal fraction renders in millicores', () => {
    const sts = only(synthValid(single({ cpu: kplus.Cpu.units(1.5) })), 'StatefulSet');
    expect(sts.spec.template.spec.containers[0].resources.requests.cpu).toBe('1500m');
  });
});

describe('ReplicatedDatabase counts are int32 and bounded before anything loops over them', () => {
  test.each<[string, Partial<ReplicatedDatabaseProps>, string]>([
    ['replicas 2^32 (once exhausted the heap)', { replicas: 2 ** 32 }, 'replicas'],
    ['replicas past int32', { replicas: INT32_MAX + 1 }, 'replicas'],
    ['replicas fractional', { replicas: 3.5 }, 'replicas'],
    ['replicas NaN', { replicas: NaN }, 'replicas'],
    ['replicas past the modelled maximum', { replicas: 102 }, 'replicas'],
    ['MongoDB past 50 members', { engine: Engine.mongodb({ version: MongoDbVersion.V8_0 }), replicas: 51 }, 'replicas'],
    ['MySQL Group Replication past 9 members', { engine: Engine.mysql({ version: MysqlVersion.V8_4 }), replicas: 10 }, 'replicas'],
    ['zoneCount 2^31 (looped over when modelling zones)', { zones: undefined, zoneCount: 2 ** 31 }, 'zoneCount'],
    ['zoneCount fractional', { zones: undefined, zoneCount: 1.5 }, 'zoneCount'],
    ['too many zones', { zones: Array.from({ length: 65 }, (_, i) => `z${i}`), replicas: 65 }, 'zones'],
    ['minDomains 2^31 (sizes the modelled cluster)', { zones: undefined, hostSpread: Spread.required({ minDomains: 2 ** 31 }) }, 'hostSpread.minDomains'],
    ['maxSkew past int32', { zoneSpread: Spread.required({ maxSkew: 2 ** 40 }) }, 'zoneSpread.maxSkew'],
    ['maxSkew fractional', { hostSpread: Spread.preferred({ maxSkew: 1.5 }) }, 'hostSpread.maxSkew'],
    ['partition past replicas', { updateStrategy: UpdateStrategy.rollingUpdate({ partition: 2 ** 31 }) }, 'updateStrategy'],
    ['synchronousStandbys fractional', { synchronousStandbys: 0.5 }, 'synchronousStandbys'],
  ])('%s', (_, props, prop) => {
    expectRefused(() => replicated(props), prop);
  });

  test.each<[string, Partial<ReplicatedDatabaseProps>, number]>([
    ['PostgreSQL at the maximum', { replicas: 99 }, 99],
    // The zone-loss check is another matter (see replicated-database.test.ts): accepted here.
    ['MongoDB at 50 members', { engine: Engine.mongodb({ version: MongoDbVersion.V8_0 }), replicas: 50, allowQuorumLossOnZoneFailure: true }, 50],
    ['MySQL at 9 members', { engine: Engine.mysql({ version: MysqlVersion.V8_4 }), replicas: 9 }, 9],
  ])('%s synthesizes', (_, props, replicas) => {
    expect(only(synthValid(replicated(props)), 'StatefulSet').spec.replicas).toBe(replicas);
  });

  test('100 replicas are accepted', () => {
    expect(() => replicated({ replicas: 100, zones: ['a', 'b', 'c', 'd'] })).not.toThrow();
  });
});

describe('backup retention and archiving', () => {
  function withBackup(method: () => BackupMethod) {
    const chart = newChart();
    const db = new ReplicatedDatabase(chart, 'pg', { engine: postgres, name: 'orders', zones: ZONES });
    new BackupSchedule(chart, 'b', { database: db, methods: [method()] });
    return chart;
  }
  const dump = (retention: Retention) => () => BackupMethod.logicalDump({ schedule: NIGHTLY, target: S3, retention });
  const archiving = (options: { archiveTimeout?: Duration; retention?: Retention }) => () =>
    BackupMethod.continuousArchiving({ target: S3, ...options });

  test.each<[string, () => BackupMethod, string]>([
    ['maxAge of half a second', dump(Retention.maxAge(Duration.millis(500))), 'logicalDump.retention.maxAge'],
    ['maxAge NaN', dump(Retention.maxAge(Duration.seconds(NaN))), 'logicalDump.retention.maxAge'],
    ['maxAge past int32 seconds', dump(Retention.maxAge(Duration.days(30000))), 'logicalDump.retention.maxAge'],
    ['keepLast fractional', dump(Retention.keepLast(1.5)), 'logicalDump.retention.keepLast'],
    ['keepLast past int32', dump(Retention.keepLast(2 ** 31)), 'logicalDump.retention.keepLast'],
    ['archiveTimeout fractional', archiving({ archiveTimeout: Duration.seconds(90.5) }), 'continuousArchiving.archiveTimeout'],
    ['archiveTimeout in millis', archiving({ archiveTimeout: Duration.millis(60500) }), 'continuousArchiving.archiveTimeout'],
    ['archiveTimeout past PostgreSQL\'s maximum', archiving({ archiveTimeout: Duration.seconds(1073741824) }), 'continuousArchiving.archiveTimeout'],
    ['archiving keepLast fractional', archiving({ retention: Retention.keepLast(2.5) }), 'continuousArchiving.retention.keepLast'],
  ])('%s', (_, method, prop) => {
    expectRefused(() => withBackup(method), prop);
  });

  test('the largest archive_timeout and keepLast render exactly', () => {
    const manifests = synthValid(withBackup(archiving({ archiveTimeout: Duration.seconds(1073741823), retention: Retention.keepLast(INT32_MAX) })));
    expect(only(manifests, 'ConfigMap', 'orders-spilo').data['spilo.yaml']).toMatch(/archive_timeout: 1073741823s\n$/);
    const main = only(manifests, 'StatefulSet').spec.template.spec.containers[0];
    expect(main.env.find((e: any) => e.name === 'BACKUP_NUM_TO_RETAIN').value).toBe('2147483647');
  });

  test('a maxAge of whole seconds reaches the prune step', () => {
    const manifests = synthValid(withBackup(dump(Retention.of({ keepLast: 3, maxAge: Duration.seconds(INT32_MAX) }))));
    const cronJobs = manifests.filter((m) => m.kind === 'CronJob');
    expect(JSON.stringify(cronJobs)).toContain('- 2147483647 ))');
  });
});

describe('DatabaseStorageClass', () => {
  const build = (props: Partial<DatabaseStorageClassProps>) => () =>
    new DatabaseStorageClass(newChart(), 'sc', { provisioner: 'ebs.csi.aws.com', ...props });

  test.each<[string, Partial<DatabaseStorageClassProps>, string]>([
    ['empty provisioner', { provisioner: '' }, 'provisioner'],
    ['provisioner with a space', { provisioner: 'ebs csi' }, 'provisioner'],
    ['provisioner with two slashes', { provisioner: 'a/b/c' }, 'provisioner'],
    ['provisioner name longer than 63', { provisioner: 'a'.repeat(64) }, 'provisioner'],
    ['provisioner prefix not a DNS name', { provisioner: 'ebs_csi/driver' }, 'provisioner'],
    ['empty parameter key', { parameters: { '': 'x' } }, 'parameters'],
    ['more than 512 parameters', { parameters: Object.fromEntries(Array.from({ length: 513 }, (_, i) => [`k${i}`, 'v'])) }, 'parameters'],
    ['parameters past 256 KiB', { parameters: { big: 'x'.repeat(256 * 1024) } }, 'parameters'],
    ['parameter value not a string', { parameters: { iops: 3000 as unknown as string } }, 'parameters'],
    ['empty mount option', { mountOptions: [''] }, 'mountOptions'],
  ])('%s', (_, props, prop) => {
    expectRefused(build(props), prop);
  });

  test('qualified provisioner names, upper case included (the API server lower-cases them), are accepted', () => {
    const chart = newChart();
    new DatabaseStorageClass(chart, 'a', { provisioner: 'kubernetes.io/aws-ebs', name: 'a' });
    new DatabaseStorageClass(chart, 'b', { provisioner: 'Pd.csi.storage.GKE.io', name: 'b', parameters: { type: 'pd-ssd' } });
    const classes = synthValid(chart).filter((m) => m.kind === 'StorageClass');
    expect(classes.map((c) => c.provisioner)).toEqual(['kubernetes.io/aws-ebs', 'Pd.csi.storage.GKE.io']);
  });
});

describe('DatabasePriorityClass value', () => {
  test.each([1.5, NaN, 1_000_000_001, -(2 ** 31) - 1, 2 ** 40])('%d is refused', (value) => {
    expectRefused(() => new DatabasePriorityClass(newChart(), 'pc', { value }), 'value');
  });

  test.each([1_000_000_000, -(2 ** 31), 0])('%d renders exactly', (value) => {
    const chart = newChart();
    new DatabasePriorityClass(chart, 'pc', { value, name: 'pc' });
    expect(only(synthValid(chart), 'PriorityClass').value).toBe(value);
  });
});
