import { Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { EngineChoice, Family, FAMILIES, suspiciousEngine, validEngine } from './engines';
import {
  Field, Fields, Sample, edgeArray, onlyAsEdge, edgeCpu, edgeDuration, edgeNumber, edgeRecord, edgeSize, edgeString, labelled, oneSuspicious,
} from './suspicious';
import {
  ApplicationUser, BackupTarget, Credentials, IssuerKind, NodeSelectorOperator, PodManagementPolicy, PvcRetention, QosClass,
  ReplicatedDatabaseProps, Restore, Spread, StatefulDatabaseProps, StorageAccessMode, TaintEffect, TolerationOperator,
  UpdateStrategy, VolumeMode,
} from '../../src';

/** A value printed as the code that built it. */
const code = <T extends object>(label: string, make: () => T): fc.Arbitrary<T> => fc.constant(null).map(() => labelled(make(), label));
const seconds = (min: number, max: number) => fc.integer({ min, max }).map((s) => labelled(Duration.seconds(s), `Duration.seconds(${s})`));
const string = (...values: string[]): Field => ({ valid: fc.constantFrom(...values), edge: edgeString() });
const choice = <T>(values: T[]): Field => ({ valid: fc.constantFrom(...values), edge: edgeString() });
const bool: Field = { valid: fc.boolean(), edge: fc.constantFrom<unknown>(undefined, null, 'true', 0) };

export const S3 = labelled(BackupTarget.s3({ endpoint: 'https://s3.eu-west-1.amazonaws.com', bucket: 'acme-db-backups', credentialsSecretName: 'backup-s3' }),
  "BackupTarget.s3({ endpoint: 'https://s3.eu-west-1.amazonaws.com', bucket: 'acme-db-backups', credentialsSecretName: 'backup-s3' })");
export const PVC = labelled(BackupTarget.pvc({ claimName: 'backups' }), "BackupTarget.pvc({ claimName: 'backups' })");

/** Suspicious backup targets: one field of an S3 or PVC target swapped. */
export const edgeTarget = () => fc.oneof(
  edgeString().map((s) => labelled(BackupTarget.pvc({ claimName: s }), `BackupTarget.pvc({ claimName: ${JSON.stringify(s)} })`)),
  fc.tuple(fc.constantFrom('endpoint', 'bucket', 'prefix', 'credentialsSecretName', 'region'), edgeString()).map(([k, s]) => {
    const o = { endpoint: 'https://s3.example.com', bucket: 'bucket-1', credentialsSecretName: 's3', [k]: s };
    return labelled(BackupTarget.s3(o), `BackupTarget.s3(${JSON.stringify(o)})`);
  }),
);

const restoreFrom: Field = {
  valid: fc.oneof(
    code("Restore.fromVolumeSnapshot('snap-1')", () => Restore.fromVolumeSnapshot('snap-1')),
    fc.constantFrom(S3, PVC).map((t) => labelled(Restore.fromDump({ target: t, sourceName: 'orders' }), `Restore.fromDump({ target: ${fc.stringify(t)}, sourceName: 'orders' })`)),
    code("Restore.pointInTime({ target: S3, sourceName: 'orders', time: '2026-11-20T10:15:00+00:00' })",
      () => Restore.pointInTime({ target: S3, sourceName: 'orders', time: '2026-11-20T10:15:00+00:00' })),
  ),
  edge: fc.oneof(
    edgeString().map((s) => labelled(Restore.fromVolumeSnapshot(s), `Restore.fromVolumeSnapshot(${JSON.stringify(s)})`)),
    edgeString().map((s) => labelled(Restore.fromDump({ target: S3, sourceName: s }), `Restore.fromDump({ target: S3, sourceName: ${JSON.stringify(s)} })`)),
    edgeString().map((s) => labelled(Restore.fromDump({ target: S3, file: s }), `Restore.fromDump({ target: S3, file: ${JSON.stringify(s)} })`)),
    edgeTarget().map((t) => labelled(Restore.fromDump({ target: t }), `Restore.fromDump({ target: ${fc.stringify(t)} })`)),
    fc.oneof(edgeString(), fc.constantFrom('2026-13-40T99:00:00Z', '2026-11-20 10:15', 'yesterday')).map((s) =>
      labelled(Restore.pointInTime({ target: S3, sourceName: 'orders', time: s }), `Restore.pointInTime({ target: S3, sourceName: 'orders', time: ${JSON.stringify(s)} })`)),
    edgeString().map((s) => labelled(Restore.pointInTime({ target: S3, sourceName: s, time: '2026-11-20T10:15:00+00:00' }),
      `Restore.pointInTime({ target: S3, sourceName: ${JSON.stringify(s)}, time: '2026-11-20T10:15:00+00:00' })`)),
  ),
};

const credentials: Field = {
  valid: fc.oneof(
    code('Credentials.generate()', () => Credentials.generate()),
    code("Credentials.generate({ username: 'dba', secretName: 'db-superuser' })", () => Credentials.generate({ username: 'dba', secretName: 'db-superuser' })),
    code("Credentials.fromSecretName('db-creds', { usernameKey: 'user', passwordKey: 'pass' })",
      () => Credentials.fromSecretName('db-creds', { usernameKey: 'user', passwordKey: 'pass' })),
  ),
  edge: fc.oneof(
    edgeString().map((s) => labelled(Credentials.generate({ username: s }), `Credentials.generate({ username: ${JSON.stringify(s)} })`)),
    edgeString().map((s) => labelled(Credentials.generate({ secretName: s }), `Credentials.generate({ secretName: ${JSON.stringify(s)} })`)),
    edgeString().map((s) => labelled(Credentials.fromSecretName(s), `Credentials.fromSecretName(${JSON.stringify(s)})`)),
    edgeString().map((s) => labelled(Credentials.fromSecretName('c', { passwordKey: s }), `Credentials.fromSecretName('c', { passwordKey: ${JSON.stringify(s)} })`)),
    edgeString().map((s) => labelled(Credentials.fromSecretName('c', { usernameKey: s }), `Credentials.fromSecretName('c', { usernameKey: ${JSON.stringify(s)} })`)),
  ),
};

const applicationUser: Field = {
  valid: fc.oneof(
    code('ApplicationUser.generate()', () => ApplicationUser.generate()),
    code("ApplicationUser.generate({ username: 'shop', secretName: 'shop-db' })", () => ApplicationUser.generate({ username: 'shop', secretName: 'shop-db' })),
    code("ApplicationUser.fromSecretName('app-creds')", () => ApplicationUser.fromSecretName('app-creds')),
    code('ApplicationUser.superuser()', () => ApplicationUser.superuser()),
  ),
  edge: fc.oneof(
    edgeString().map((s) => labelled(ApplicationUser.generate({ username: s }), `ApplicationUser.generate({ username: ${JSON.stringify(s)} })`)),
    edgeString().map((s) => labelled(ApplicationUser.generate({ secretName: s }), `ApplicationUser.generate({ secretName: ${JSON.stringify(s)} })`)),
    edgeString().map((s) => labelled(ApplicationUser.fromSecretName(s), `ApplicationUser.fromSecretName(${JSON.stringify(s)})`)),
    edgeString().map((s) => labelled(ApplicationUser.fromSecretName('a', { usernameKey: s }), `ApplicationUser.fromSecretName('a', { usernameKey: ${JSON.stringify(s)} })`)),
  ),
};

const tls: Field = {
  valid: fc.record({
    issuerName: fc.constant('ca-issuer'),
    issuerKind: fc.option(fc.constantFrom(IssuerKind.ISSUER, IssuerKind.CLUSTER_ISSUER), { nil: undefined }),
    secretName: fc.option(fc.constant('db-tls'), { nil: undefined }),
    duration: fc.option(fc.integer({ min: 30, max: 365 }).map((d) => labelled(Duration.days(d), `Duration.days(${d})`)), { nil: undefined }),
    renewBefore: fc.option(fc.integer({ min: 1, max: 15 }).map((d) => labelled(Duration.days(d), `Duration.days(${d})`)), { nil: undefined }),
  }).map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))),
  edge: fc.oneof(
    fc.constant({}),
    edgeString().map((s) => ({ issuerName: s })),
    edgeString().map((s) => ({ issuerName: 'ca', secretName: s })),
    edgeString().map((s) => ({ secretName: s })),
    edgeString().map((s) => ({ issuerName: 'ca', issuerKind: s })),
    edgeDuration().map((d) => ({ issuerName: 'ca', duration: d })),
    edgeDuration().map((d) => ({ issuerName: 'ca', renewBefore: d })),
    fc.constant({ issuerName: 'ca', duration: labelled(Duration.days(10), 'Duration.days(10)'), renewBefore: labelled(Duration.days(20), 'Duration.days(20)') }),
  ),
};

const CONFIG: Record<Family, [string, string]> = {
  postgres: ['work_mem', '64MB'],
  mysql: ['max_connections', '300'],
  mongodb: ['operationProfiling.slowOpThresholdMs', '200'],
  redis: ['maxmemory-policy', 'allkeys-lru'],
  valkey: ['maxmemory-policy', 'allkeys-lru'],
  cassandra: ['concurrent_reads', '32'],
  custom: ['max_connections', '200'],
};

/** Fields every database takes, for an engine of `family` (`replicated`: as members of a ReplicatedDatabase). */
export function statefulFields(family: Family, replicated = false): Fields {
  const fields = allStatefulFields(family);
  // What the engine or topology refuses is tried as the one suspicious value only, so most prop sets build.
  const keyValue = ['redis', 'valkey', 'cassandra', 'custom'].includes(family);
  const refused = [
    ...(keyValue ? ['databaseName'] : []),
    ...(keyValue || replicated ? ['initScripts'] : []),
    ...(replicated ? ['blockEvictions'] : []),
    ...(replicated && (family === 'redis' || family === 'valkey') ? ['tls'] : []),
  ];
  for (const key of refused) fields[key] = onlyAsEdge(fields[key]);
  return fields;
}

function allStatefulFields(family: Family): Fields {
  const [configKey, configValue] = CONFIG[family];
  return {
    name: string('orders', 'db', 'cache-1', 'a'),
    storageSize: { valid: fc.integer({ min: 1, max: 100 }).map((g) => labelled(Size.gibibytes(g), `Size.gibibytes(${g})`)), edge: edgeSize() },
    storageClassName: string('fast-ssd', 'gp3'),
    storageAccessMode: choice(Object.values(StorageAccessMode)),
    volumeMode: choice(Object.values(VolumeMode)),
    pvcRetentionWhenDeleted: choice(Object.values(PvcRetention)),
    pvcRetentionWhenScaled: choice(Object.values(PvcRetention)),
    cpu: { valid: fc.integer({ min: 100, max: 4000 }).map((m) => labelled(kplus.Cpu.millis(m), `Cpu.millis(${m})`)), edge: edgeCpu() },
    memory: { valid: fc.integer({ min: 4, max: 16 }).map((q) => labelled(Size.mebibytes(q * 512), `Size.mebibytes(${q * 512})`)), edge: edgeSize() },
    qosClass: choice(Object.values(QosClass)),
    priorityClassName: string('database-critical'),
    podManagementPolicy: choice(Object.values(PodManagementPolicy)),
    updateStrategy: {
      valid: fc.oneof(
        fc.integer({ min: 0, max: 2 }).map((p) => labelled(UpdateStrategy.rollingUpdate({ partition: p }), `UpdateStrategy.rollingUpdate({ partition: ${p} })`)),
        code('UpdateStrategy.onDelete()', () => UpdateStrategy.onDelete())),
      edge: edgeNumber().map((p) => labelled(UpdateStrategy.rollingUpdate({ partition: p }), `UpdateStrategy.rollingUpdate({ partition: ${p} })`)),
    },
    minReady: { valid: seconds(0, 600), edge: edgeDuration() },
    terminationGracePeriod: { valid: seconds(1, 3600), edge: edgeDuration() },
    credentials,
    applicationUser,
    databaseName: string('shop', 'orders_db'),
    initScripts: { valid: fc.constant({ '01-schema.sql': 'CREATE TABLE t (id int);' }), edge: edgeRecord('01-schema.sql', 'SELECT 1;') },
    restoreFrom,
    config: { valid: fc.constant({ [configKey]: configValue }), edge: edgeRecord(configKey, configValue) },
    metrics: bool,
    serviceMonitor: bool,
    monitoringNamespace: string('observability'),
    tls,
    blockEvictions: bool,
    dedicatedNodes: {
      valid: fc.constantFrom({ labelKey: 'workload', labelValue: 'database' }, { labelKey: 'example.com/pool', labelValue: 'db', taintKey: 'dedicated' }),
      edge: fc.oneof(edgeString().map((s) => ({ labelKey: s, labelValue: 'db' })), edgeString().map((s) => ({ labelKey: 'pool', labelValue: s })),
        edgeString().map((s) => ({ labelKey: 'pool', labelValue: 'db', taintKey: s }))),
    },
    nodeSelector: { valid: fc.constant({ disktype: 'ssd' }), edge: edgeRecord('disktype', 'ssd') },
    tolerations: {
      valid: fc.constant([{ key: 'dedicated', matchOperator: TolerationOperator.EQUAL, value: 'db', effect: TaintEffect.NO_SCHEDULE }]),
      edge: edgeArray([{ key: 'dedicated', matchOperator: TolerationOperator.EXISTS }], fc.oneof(
        edgeString().map((s) => ({ key: s })),
        edgeString().map((s) => ({ key: 'k', matchOperator: TolerationOperator.EQUAL, value: s })),
        fc.constant({ key: 'k', matchOperator: TolerationOperator.EXISTS, value: 'v' }),
      )) as fc.Arbitrary<any>,
    },
    requiredNodeAffinity: {
      valid: fc.constant([{ key: 'kubernetes.io/arch', matchOperator: NodeSelectorOperator.IN, values: ['amd64'] }]),
      edge: edgeArray([{ key: 'kubernetes.io/arch', matchOperator: NodeSelectorOperator.IN, values: ['amd64'] }], fc.oneof(
        edgeString().map((s) => ({ key: s, matchOperator: NodeSelectorOperator.EXISTS })),
        edgeString().map((s) => ({ key: 'k', matchOperator: NodeSelectorOperator.IN, values: [s] })),
        fc.constant({ key: 'k', matchOperator: NodeSelectorOperator.IN, values: [] }),
        fc.constant({ key: 'k', matchOperator: NodeSelectorOperator.GT, values: ['x'] }),
        fc.constant({ key: 'k', matchOperator: NodeSelectorOperator.EXISTS, values: ['x'] }),
      )) as fc.Arbitrary<any>,
    },
    imageRegistry: string('registry.internal:5000', 'mirror.example.com'),
    imagePullSecrets: { valid: fc.constant(['regcred']), edge: edgeArray(['regcred'], edgeString()) },
    labels: { valid: fc.constant({ team: 'shop' }), edge: edgeRecord('team', 'shop') },
    annotations: { valid: fc.constant({ 'example.com/owner': 'shop' }), edge: edgeRecord('example.com/owner', 'shop') },
    env: { valid: fc.constant({ APP_MODE: 'prod' }), edge: edgeRecord('APP_MODE', 'prod') },
  };
}

const spread: Field = {
  valid: fc.oneof(
    fc.integer({ min: 1, max: 2 }).map((s) => labelled(Spread.required({ maxSkew: s }), `Spread.required({ maxSkew: ${s} })`)),
    code('Spread.preferred()', () => Spread.preferred()),
    code('Spread.none()', () => Spread.none()),
  ),
  edge: fc.oneof(
    edgeNumber().map((s) => labelled(Spread.required({ maxSkew: s }), `Spread.required({ maxSkew: ${s} })`)),
    edgeNumber().map((s) => labelled(Spread.required({ minDomains: s }), `Spread.required({ minDomains: ${s} })`)),
    edgeString().map((s) => labelled(Spread.preferred({ matchLabelKeys: [s] }), `Spread.preferred({ matchLabelKeys: [${JSON.stringify(s)}] })`)),
  ),
};

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1d', 'eu-west-1e'];

/** Fields of a ReplicatedDatabase beyond the stateful ones, for an engine of `family`. */
export function replicatedFields(family: Family): Fields {
  const fields: Fields = {
    replicas: { valid: fc.integer({ min: 1, max: 7 }), edge: edgeNumber() },
    zones: { valid: fc.integer({ min: 1, max: 5 }).map((n) => ZONES.slice(0, n)), edge: edgeArray(ZONES.slice(0, 3), edgeString()) },
    zoneCount: { valid: fc.integer({ min: 1, max: 5 }), edge: edgeNumber() },
    zoneSpread: spread,
    hostSpread: spread,
    allowQuorumLossOnZoneFailure: bool,
    roleBudgets: bool,
  };
  if (family === 'postgres') fields.synchronousStandbys = { valid: fc.integer({ min: 0, max: 2 }), edge: edgeNumber() };
  if (family === 'mongodb') fields.memberPriorities = { valid: fc.constant([2, 1, 1]), edge: edgeArray([1, 1, 1], edgeNumber()) };
  if (family === 'cassandra') {
    fields.racks = {
      valid: fc.constantFrom([{ name: 'r1', zone: ZONES[0] }, { name: 'r2', zone: ZONES[1] }, { name: 'r3', zone: ZONES[2] }], [{ name: 'rack1' }]),
      edge: edgeArray([{ name: 'r1' }, { name: 'r2' }], fc.oneof(edgeString().map((s) => ({ name: s })), edgeString().map((s) => ({ name: 'r9', zone: s })))),
    };
    fields.replicationFactor = { valid: fc.integer({ min: 1, max: 5 }), edge: edgeNumber() };
  }
  return fields;
}

/** A generated database: its engine family, its props, and the field that carries a suspicious value (if any). */
export interface DatabaseSample<P> extends Sample<P> { readonly family: Family }

/** Props with the engine field: valid engines mostly, a suspicious engine as the one swap. */
function withEngine<P>(family: Family, replicated: boolean, fields: Fields): fc.Arbitrary<DatabaseSample<P>> {
  const all: Fields = { engine: { valid: validEngine(family, replicated), edge: suspiciousEngine(replicated) }, ...fields };
  return oneSuspicious<Record<string, any>>(all, ['engine']).map((s) => {
    const picked = s.props.engine as EngineChoice;
    return { family: picked.family, props: { ...s.props, engine: picked.engine } as P, suspicious: s.suspicious };
  });
}

export const statefulProps = (family: Family) => withEngine<StatefulDatabaseProps>(family, false, statefulFields(family));
export const replicatedProps = (family: Family) =>
  withEngine<ReplicatedDatabaseProps>(family, true, { ...statefulFields(family, true), ...replicatedFields(family) });

/** Every family, each equally likely. */
export const anyStatefulProps = () => fc.oneof(...FAMILIES.map(statefulProps));
export const anyReplicatedProps = () => fc.oneof(...FAMILIES.map(replicatedProps));

/** A valid cron for schedules, printed as code. */
export const validCron = () => fc.constantFrom(
  ['0', '*/6'], ['30', '2'], ['15', '*'], ['0', '0'],
).map(([minute, hour]) => labelled(Cron.schedule({ minute, hour }), `Cron.schedule({ minute: '${minute}', hour: '${hour}' })`));
