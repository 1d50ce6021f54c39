import { IConstruct } from 'constructs';
import { checkEngine } from './validate-engine';
import { checkPropTypes } from './validate-prop-types';
import type { StatefulDatabaseProps } from '../constructs/stateful-database-props';
import { EngineDefinition } from '../engines/engine-definition';
import { checkMigrations } from '../migrations/migrations';
import { NodeSelectorOperator, TaintEffect, TolerationOperator } from '../pod/placement';
import { QosClass } from '../pod/resources';
import { PodManagementPolicy } from '../pod/update-strategy';
import { checkChoice, checkFlag } from '../private/choices';
import { check } from '../private/errors';
import { OWN_KEY_PREFIX, RESERVED_LABEL_KEYS, isReservedKey } from '../private/labels';
import { SECRET_NAME_HINT, literalPasswordIn } from '../private/literal-passwords';
import {
  MAX_STATEFULSET_NAME, checkAnnotationKeys, checkChartNamespace, isConfigMapKey, checkLabels, checkSubdomainName, isDnsLabel, isEnvName,
  isLabelValue, isQualifiedKey, isServiceName,
} from '../private/names';
import { GO_DURATION_MAX_HOURS, checkInteger, wholeHours, wholeMebibytes, wholeMillicores, wholeSeconds } from '../private/numbers';
import { describeValue } from '../private/value-types';
import { ApplicationUser } from '../security/application-user';
import { IssuerKind } from '../security/tls';
import { PvcRetention, StorageAccessMode, VolumeMode } from '../storage/volume';

/** Values the construct uses after checking. */
export interface CheckedProps {
  readonly cpuMillis: number;
  readonly memoryMebibytes: number;
  readonly metrics: boolean;
}

const INT64_MAX = BigInt('9223372036854775807');
const INT64_MIN = -INT64_MAX - BigInt(1);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const USERNAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,62}$/;
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9._-]+)*$/;
/** How an init script of each engine reads a password from its environment when it runs. */
const READ_FROM_ENV: Record<string, string> = {
  postgresql: "in a .sql file `\\getenv pw APP_PASSWORD`, then `PASSWORD :'pw'`, which psql quotes",
  mysql: "`'$APP_PASSWORD'` in a statement a .sh file runs; .sql files cannot read the environment",
  mongodb: '`pwd: process.env.APP_PASSWORD` in a .js file, which mongosh runs',
  default: "`'$APP_PASSWORD'` in a .sh file",
};

/**
 * Checks every prop of a database against the engine and Kubernetes' own rules. Throws at the
 * first problem with the construct path, the prop, the reason and the fix.
 */
export function validateProps(scope: IConstruct, props: StatefulDatabaseProps, name: string, layout: { replicas: number }): CheckedProps {
  const def = checkEngine(scope, props);
  checkPropTypes(scope, props);
  const engine = `Engine '${def.family} ${def.version}'`;

  checkChartNamespace(scope);
  check(isServiceName(name) && name.length <= MAX_STATEFULSET_NAME, scope,
    `\`name\` ("${name}") must be at most ${MAX_STATEFULSET_NAME} characters of lower-case letters, digits and '-', starting with a letter: it names the StatefulSet (whose pods carry a 63-character controller-revision-hash label of the name plus 11) and its Services (RFC 1035).`);

  if (props.storageSize !== undefined) wholeMebibytes(scope, 'storageSize', props.storageSize, { min: 1, hint: 'give the data volume a size, e.g. `Size.gibibytes(20)`' });
  if (props.storageClassName !== undefined) checkSubdomainName(scope, 'storageClassName', props.storageClassName);
  check(props.volumeMode !== VolumeMode.BLOCK, scope,
    `${engine} needs a filesystem at ${def.dataPath}, and \`volumeMode\` Block gives a raw device: use VolumeMode.FILESYSTEM.`);

  const cpuMillis = props.cpu ? wholeMillicores(scope, 'cpu', props.cpu.amount, { min: 1, hint: 'e.g. `Cpu.millis(500)` or `Cpu.units(2)`' }) : 1000;
  const memoryMebibytes = props.memory ? wholeMebibytes(scope, 'memory', props.memory, { min: 1, hint: 'e.g. `Size.gibibytes(2)`' }) : def.defaultMemoryBytes / 1024 / 1024;
  const minMib = def.minMemoryBytes / 1024 / 1024;
  check(memoryMebibytes >= minMib, scope,
    `\`memory\` (${memoryMebibytes} MiB) is below what ${engine} needs (${minMib} MiB): raise \`memory\` to at least \`Size.mebibytes(${minMib})\`.`);

  if (props.priorityClassName !== undefined) checkSubdomainName(scope, 'priorityClassName', props.priorityClassName);
  const partition = props.updateStrategy?.partition ?? 0;
  check(Number.isInteger(partition) && partition >= 0 && partition <= layout.replicas, scope, layout.replicas === 1
    ? `\`updateStrategy\` partition (${partition}) must be 0 (update the instance) or 1 (hold it at the current revision) for a single instance.`
    : `\`updateStrategy\` partition (${partition}) must be a whole number from 0 (update every member) to ${layout.replicas} (\`replicas\`: hold every member).`);
  // minReadySeconds is an int32 of the StatefulSet; the grace period an int64, held to int32 here.
  if (props.minReady !== undefined) wholeSeconds(scope, 'minReady', props.minReady);
  if (props.terminationGracePeriod !== undefined) {
    wholeSeconds(scope, 'terminationGracePeriod', props.terminationGracePeriod, { min: 1, hint: 'the engine needs time to stop cleanly' });
  }
  checkInteger(scope, 'engine.terminationGracePeriod', def.terminationGracePeriodSeconds, { min: 1, unit: 'seconds' });

  checkChoices(scope, props);
  checkCredentialsAndData(scope, props, def, engine);
  const metrics = checkMonitoring(scope, props, def, engine);
  checkTls(scope, props);
  checkExtras(scope, props, def);
  checkPlacement(scope, props);
  if (props.migrations !== undefined) checkMigrations(scope, props.migrations);
  return { cpuMillis, memoryMebibytes, metrics };
}

function checkCredentialsAndData(scope: IConstruct, props: StatefulDatabaseProps, def: EngineDefinition, engine: string): void {
  const credentials = props.credentials;
  if (credentials) {
    check(credentials._generated || typeof credentials._secretName === 'string', scope,
      `\`credentials\` names no Secret${credentials._secretName === undefined ? '' : ` (${describeValue(credentials._secretName)})`}: give \`Credentials.fromSecretName()\` the name of an existing Secret or \`Credentials.fromSecret()\` a cdk8s-plus Secret, or use \`Credentials.generate()\`.`);
    for (const [prop, key] of [['usernameKey', credentials._usernameKey], ['passwordKey', credentials._passwordKey]]) {
      check(isConfigMapKey(key), scope, `\`credentials\` ${prop} "${key}" is not a valid Secret key: use at most 253 letters, digits, '-', '_' and '.' (not "." or "..").`);
    }
    const username = credentials._username;
    if (username !== undefined) {
      check(USERNAME.test(username), scope,
        `\`credentials\` username "${username}" must start with a letter or '_' and hold at most 63 letters, digits, '_', '.' or '-'.`);
      check(def.family !== 'mysql' || username === 'root', scope,
        `\`credentials\` username "${username}": the MySQL profile's credentials are the root account's; leave \`username\` unset (root); applications get their own account from \`applicationUser\`.`);
    }
  }
  checkApplicationUser(scope, props, def, engine);
  if (props.databaseName !== undefined) {
    check(def.supportsDatabaseName, scope,
      `${engine} does not create a named database on first start: remove \`databaseName\`.`);
    check(IDENTIFIER.test(props.databaseName), scope,
      `\`databaseName\` ("${props.databaseName}") must start with a letter or '_' and hold at most 63 letters, digits or '_'.`);
  }
  if (props.initScripts !== undefined) {
    check(def.initScriptsPath !== undefined, scope,
      `${engine} does not run init scripts on first start: remove \`initScripts\` and load data with a Job instead.`);
    check(Object.keys(props.initScripts).length > 0, scope, '`initScripts` is empty: give at least one file, or leave the prop out.');
    for (const [file, script] of Object.entries(props.initScripts)) {
      check(isConfigMapKey(file), scope, `\`initScripts\` file name "${file}" must be at most 253 letters, digits, '-', '_' and '.' (not "." or "..").`);
      const literal = literalPasswordIn(file, script);
      check(literal === undefined, scope,
        `\`initScripts\` "${file}" sets a literal password (\`${literal}\`), which would be stored in plain text in a ConfigMap, readable by anyone who can read ConfigMaps: let the library create the application's account from a Secret (\`applicationUser\`), or have the script read the password from an environment variable set from a Secret (${READ_FROM_ENV[def.family] ?? READ_FROM_ENV.default}).`);
    }
  }
}

/** The application user in force: the prop, else a generated `app` where the engine has roles, else the superuser. */
export function applicationUserOf(props: StatefulDatabaseProps, def: EngineDefinition): ApplicationUser {
  return props.applicationUser ?? (def.supportsApplicationUser ? ApplicationUser.generate() : ApplicationUser.superuser());
}

function checkApplicationUser(scope: IConstruct, props: StatefulDatabaseProps, def: EngineDefinition, engine: string): void {
  const user = applicationUserOf(props, def);
  if (user._isSuperuser) return;
  check(user._generated || typeof user._secretName === 'string', scope,
    `\`applicationUser\` names no Secret${user._secretName === undefined ? '' : ` (${describeValue(user._secretName)})`}: give \`ApplicationUser.fromSecretName()\` the name of an existing Secret, or use \`ApplicationUser.generate()\`.`);
  check(def.supportsApplicationUser === true, scope,
    `\`applicationUser\`: ${engine} has no roles the library knows how to create; use \`ApplicationUser.superuser()\` or leave the prop out, and create application accounts yourself.`);
  for (const [prop, key] of [['usernameKey', user._usernameKey], ['passwordKey', user._passwordKey]]) {
    check(isConfigMapKey(key), scope, `\`applicationUser\` ${prop} "${key}" is not a valid Secret key: use at most 253 letters, digits, '-', '_' and '.' (not "." or "..").`);
  }
  const username = user._username;
  if (username !== undefined) {
    check(IDENTIFIER.test(username), scope,
      `\`applicationUser\` username "${username}" must start with a letter or '_' and hold at most 63 letters, digits or '_'.`);
    const superuser = props.credentials?._username ?? def.defaultUsername;
    check(username !== superuser, scope, props.applicationUser
      ? `\`applicationUser\` username "${username}" is the superuser's: give the application its own name (the default is "app").`
      : `\`credentials\` username "${username}" is the default application user's: give the superuser another name, or set \`applicationUser: ApplicationUser.generate({ username: '...' })\`.`);
  }
  // Redis/Valkey: the application user is a line of the server's configuration, which the server refuses beside
  // an ACL file.
  check(!['redis', 'valkey'].includes(def.family) || props.config?.aclfile === undefined, scope,
    '`config` sets "aclfile", but the application user is defined in the server\'s config, and Redis/Valkey refuse to start with both: remove "aclfile", or set `applicationUser: ApplicationUser.superuser()` and keep your users in the ACL file.');
  const superSecret = props.credentials?._secretName;
  check(user._secretName === undefined || user._secretName !== superSecret, scope,
    `\`applicationUser\` Secret "${user._secretName}" is the superuser's \`credentials\` Secret: give the application user a Secret of its own.`);
}

function checkMonitoring(scope: IConstruct, props: StatefulDatabaseProps, def: EngineDefinition, engine: string): boolean {
  const hasExporter = def.exporter !== undefined;
  check(props.metrics !== true || hasExporter, scope,
    `\`metrics\` is true but ${engine} has no metrics exporter: set \`metrics: false\`, or give the custom engine an \`exporterImage\` and a METRICS port.`);
  const metrics = props.metrics ?? hasExporter;
  check(!props.serviceMonitor || metrics, scope,
    '`serviceMonitor` needs the metrics exporter, but `metrics` is off: set `metrics: true` or drop `serviceMonitor`.');
  if (props.monitoringNamespace !== undefined) {
    check(metrics, scope,
      `\`monitoringNamespace\` admits the metrics scraper to the exporter's port, but \`metrics\` is off${hasExporter ? '' : ` (${engine} has no exporter)`}, so nothing would use it: remove \`monitoringNamespace\`${hasExporter ? ', or set `metrics: true`' : ''}.`);
    check(isDnsLabel(props.monitoringNamespace), scope,
      `\`monitoringNamespace\` ("${props.monitoringNamespace}") is not a valid namespace name (RFC 1123 label, at most 63 characters).`);
  }
  return metrics;
}

function checkTls(scope: IConstruct, props: StatefulDatabaseProps): void {
  const tls = props.tls;
  if (!tls) return;
  check(tls.issuerName !== undefined || tls.secretName !== undefined, scope,
    '`tls` has no issuer: set `tls.issuerName` (a cert-manager Issuer or ClusterIssuer) or `tls.secretName` (an existing TLS Secret with tls.crt, tls.key and ca.crt).');
  check(tls.issuerName === undefined || tls.secretName === undefined, scope,
    '`tls` sets both `issuerName` and `secretName`: the Certificate would overwrite the existing Secret. Keep one.');
  if (tls.issuerName !== undefined) checkSubdomainName(scope, 'tls.issuerName', tls.issuerName);
  if (tls.secretName !== undefined) checkSubdomainName(scope, 'tls.secretName', tls.secretName);
  // The Certificate is written in whole hours (`<n>h`), which cert-manager parses as a Go duration.
  const hours = { min: 1, max: GO_DURATION_MAX_HOURS };
  const duration = tls.duration ? wholeHours(scope, 'tls.duration', tls.duration, hours) : 24 * 90;
  const renewBefore = tls.renewBefore ? wholeHours(scope, 'tls.renewBefore', tls.renewBefore, hours) : 24 * 30;
  check(renewBefore < duration, scope,
    `\`tls.renewBefore\` (${renewBefore} h) must be positive and shorter than \`tls.duration\` (${duration} h).`);
}

function checkExtras(scope: IConstruct, props: StatefulDatabaseProps, def: EngineDefinition): void {
  for (const [key, value] of Object.entries(props.config ?? {})) {
    check(isConfigMapKey(key), scope, `\`config\` key "${key}" must be at most 253 letters, digits, '-', '_' and '.' (not "." or "..").`);
    check(!def.secretSettings.includes(key) && !SECRET_NAME_HINT.test(key), scope,
      `\`config\` key "${key}" would put a secret into a ConfigMap, readable by anyone who can read ConfigMaps: the library wires credentials from the Secret; remove "${key}".`);
    check(!/[\r\n]/.test(value), scope, `\`config\` value of "${key}" holds a line break, which would inject settings: give one line.`);
  }
  const engineEnv = new Set(def.container({
    name: 'x',
    headlessService: 'x',
    credentials: { secretName: 'x', usernameKey: 'x', passwordKey: 'x' },
    configPath: def.configPath,
    memoryBytes: def.minMemoryBytes,
    cpuMillis: 1000,
    settings: {},
    databaseName: 'x',
    tlsPath: '/x',
  }).env.map((e) => e.name));
  for (const [name, value] of Object.entries(props.env ?? {})) {
    check(isEnvName(name), scope, `\`env\` name "${name}" is not a valid environment variable name.`);
    check(!engineEnv.has(name), scope,
      `\`env\` sets "${name}", which the ${def.family} profile sets itself: remove it (credentials and database name have their own props).`);
    check(!SECRET_NAME_HINT.test(name) || value === '', scope,
      `\`env\` "${name}" looks like a literal password, which would be stored in plain text in the YAML: put it in a Secret and read it from there.`);
  }
  checkLabels(scope, 'labels', props.labels ?? {});
  checkAnnotationKeys(scope, 'annotations', props.annotations ?? {});
  for (const key of Object.keys(props.labels ?? {})) {
    check(!isReservedKey(key), scope,
      `\`labels\` sets "${key}", which the library writes itself (${RESERVED_LABEL_KEYS.join(', ')} and ${OWN_KEY_PREFIX}*; selectors depend on them): yours would be overwritten. Remove it, or use a key of your own.`);
  }
  for (const key of Object.keys(props.annotations ?? {})) {
    check(!isReservedKey(key, []), scope,
      `\`annotations\` sets "${key}", and ${OWN_KEY_PREFIX}* annotations are the library's own (the config checksum that rolls the pods, its decisions): yours would be overwritten. Remove it, or use a key of your own.`);
  }
  if (props.imageRegistry !== undefined) {
    check(REGISTRY.test(props.imageRegistry), scope,
      `\`imageRegistry\` ("${props.imageRegistry}") must be a registry host with optional port and path, e.g. "registry.internal:5000/mirror", without scheme or trailing '/'.`);
  }
  for (const secret of props.imagePullSecrets ?? []) checkSubdomainName(scope, 'imagePullSecrets', secret);
}

/** Enum and flag props, which JavaScript callers can give any value. */
function checkChoices(scope: IConstruct, props: StatefulDatabaseProps): void {
  checkChoice(scope, 'storageAccessMode', props.storageAccessMode, StorageAccessMode, 'StorageAccessMode');
  checkChoice(scope, 'volumeMode', props.volumeMode, VolumeMode, 'VolumeMode');
  checkChoice(scope, 'pvcRetentionWhenDeleted', props.pvcRetentionWhenDeleted, PvcRetention, 'PvcRetention');
  checkChoice(scope, 'pvcRetentionWhenScaled', props.pvcRetentionWhenScaled, PvcRetention, 'PvcRetention');
  checkChoice(scope, 'qosClass', props.qosClass, QosClass, 'QosClass');
  checkChoice(scope, 'podManagementPolicy', props.podManagementPolicy, PodManagementPolicy, 'PodManagementPolicy');
  checkChoice(scope, 'tls.issuerKind', props.tls?.issuerKind, IssuerKind, 'IssuerKind');
  for (const flag of ['metrics', 'serviceMonitor', 'blockEvictions'] as const) checkFlag(scope, flag, props[flag]);
  for (const t of props.tolerations ?? []) {
    checkChoice(scope, 'tolerations.matchOperator', t.matchOperator, TolerationOperator, 'TolerationOperator');
    checkChoice(scope, 'tolerations.effect', t.effect, TaintEffect, 'TaintEffect');
  }
  for (const r of props.requiredNodeAffinity ?? []) {
    checkChoice(scope, 'requiredNodeAffinity.matchOperator', r.matchOperator, NodeSelectorOperator, 'NodeSelectorOperator');
  }
}

function checkPlacement(scope: IConstruct, props: StatefulDatabaseProps): void {
  checkLabels(scope, 'nodeSelector', props.nodeSelector ?? {});
  if (props.dedicatedNodes) {
    const d = props.dedicatedNodes;
    checkLabels(scope, 'dedicatedNodes', { [d.labelKey]: d.labelValue });
    if (d.taintKey !== undefined) {
      check(isQualifiedKey(d.taintKey), scope, `\`dedicatedNodes\` taintKey "${d.taintKey}" is not a valid taint key.`);
    }
  }
  for (const t of props.tolerations ?? []) {
    check(isQualifiedKey(t.key), scope, `\`tolerations\` key "${t.key}" is not a valid taint key.`);
    check(t.matchOperator !== TolerationOperator.EXISTS || t.value === undefined, scope,
      `\`tolerations\` "${t.key}" uses operator Exists with a value: Exists matches any value; drop \`value\` or use Equal.`);
    check(t.value === undefined || isLabelValue(t.value), scope, `\`tolerations\` value "${t.value}" is not a valid taint value.`);
  }
  for (const r of props.requiredNodeAffinity ?? []) {
    check(isQualifiedKey(r.key), scope, `\`requiredNodeAffinity\` key "${r.key}" is not a valid label key.`);
    const values = r.values ?? [];
    switch (r.matchOperator) {
      case NodeSelectorOperator.IN:
      case NodeSelectorOperator.NOT_IN:
        check(values.length > 0, scope, `\`requiredNodeAffinity\` "${r.key}" ${r.matchOperator} needs at least one value.`);
        break;
      case NodeSelectorOperator.EXISTS:
      case NodeSelectorOperator.DOES_NOT_EXIST:
        check(values.length === 0, scope, `\`requiredNodeAffinity\` "${r.key}" ${r.matchOperator} takes no values: drop \`values\`.`);
        break;
      default:
        // The scheduler parses it as an int64.
        check(values.length === 1 && /^-?[0-9]{1,19}$/.test(values[0]) && BigInt(values[0]) >= INT64_MIN && BigInt(values[0]) <= INT64_MAX, scope,
          `\`requiredNodeAffinity\` "${r.key}" ${r.matchOperator} needs exactly one whole-number value.`);
    }
  }
}
