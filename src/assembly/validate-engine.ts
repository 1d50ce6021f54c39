import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import type { StatefulDatabaseProps } from '../constructs/stateful-database-props';
import type { CustomEngineProps } from '../engines/custom';
import { Engine } from '../engines/engine';
import { EngineDefinition } from '../engines/engine-definition';
import { EnginePort, PortRole, ReplicationMode } from '../engines/engine-port';
import { check } from '../private/errors';
import { isImageDigest, isImageName, isImageTag, isPinnedImage, isVersionedTag, parseImage } from '../private/images';
import { TLS_PATH } from '../private/mount-paths';
import { isConfigMapKey, isDnsLabel, isEnvName, volumeNameFor } from '../private/names';
import { checkInteger, wholeMebibytes, wholeSeconds } from '../private/numbers';
import { checkInstance } from '../private/value-types';

const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * How many dot-separated numbers name one release of each official image: `16` and `7.2` are lines the image
 * moves to each new release (postgres publishes `16.6`, redis `7.2.5`).
 * @see https://hub.docker.com/_/postgres (Supported tags)
 */
const RELEASES: Record<string, { parts: number; example: string }> = {
  postgresql: { parts: 2, example: '16.6' },
  mysql: { parts: 3, example: '8.4.3' },
  mongodb: { parts: 3, example: '8.0.3' },
  redis: { parts: 3, example: '7.2.6' },
  valkey: { parts: 3, example: '8.0.1' },
  cassandra: { parts: 3, example: '5.0.2' },
};

/** Containers and volumes the library adds beside a custom engine's own. */
const RESERVED_CONTAINERS = ['metrics-exporter', 'restore-credentials', 'restore-fetch'];
const RESERVED_VOLUMES = ['data', 'config', 'init-scripts', 'tls', 'exporter-config', 'restore', 'restore-tmp', 'restore-scripts', 'backup', 'kube-api-access'];

/**
 * Checks the engine a database binds: what its factory could not read, its version, and every prop of a custom
 * engine, so a bad engine is reported with the database's path before anything is rendered.
 */
export function checkEngine(scope: IConstruct, props: StatefulDatabaseProps): EngineDefinition {
  const example = '`Engine.postgres({ version: PostgresVersion.V16 })`';
  check(props.engine !== undefined && props.engine !== null, scope, `\`engine\` is missing: choose one, e.g. ${example}.`);
  checkInstance(scope, 'engine', props.engine, Engine, '`Engine`', example);
  const def = props.engine._definition;
  check(def.problem === undefined, scope, def.problem ?? '');
  if (def.custom) checkCustom(scope, def.custom, props);
  checkVersion(scope, def);
  checkPorts(scope, def);
  checkInteger(scope, 'engine.runAsUser', def.runAsUser, { min: 1, hint: 'restricted pods never run as root' });
  checkInteger(scope, 'engine.fsGroup', def.fsGroup);
  return def;
}

/** A tag that names one release of the official image; a pre-release (`17rc1`, `8.0.0-rc9`) names one too. */
function isReleaseTag(tag: string, family: string): boolean {
  const release = RELEASES[family];
  const m = /^([0-9]+(?:\.[0-9]+)*)(.*)$/.exec(tag);
  if (!release || !m) return false;
  const numbers = m[1].split('.');
  // PostgreSQL numbered its releases major.minor.patch before 10.
  const parts = family === 'postgresql' && Number(numbers[0]) < 10 ? 3 : release.parts;
  return numbers.length >= parts || /^-?(rc|beta|alpha)[0-9]/i.test(m[2]);
}

function checkVersion(scope: IConstruct, def: EngineDefinition): void {
  const example = RELEASES[def.family]?.example ?? '24.8.4.13';
  check(typeof def.version === 'string' && isImageTag(def.tag) && (def.digest === undefined || isImageDigest(def.digest)), scope,
    `\`engine\` version "${String(def.version)}" is not an image tag: give at most 128 letters, digits, '_', '.' or '-' ending in a letter or digit, optionally pinned by digest, e.g. "${example}" or "${example}@sha256:<64 hex digits>".`);
  const release = RELEASES[def.family];
  check(def.custom ? isVersionedTag(def.tag) : isReleaseTag(def.tag, def.family), scope,
    `\`engine\` version "${def.version}" is not a pinned image tag: floating tags such as "latest" change under a running database. Give a versioned tag, e.g. "${example}".${def.custom || !release ? ''
      : ` The ${def.family} image moves a tag of fewer than ${release.parts} version numbers ("${example.split('.')[0]}") to each new release; a digest pins a release further: "${example}@sha256:<64 hex digits>".`}`);
}

function checkPorts(scope: IConstruct, def: EngineDefinition): void {
  const engine = `Engine '${def.family} ${def.version}'`;
  check(def.ports.length > 0, scope,
    `\`engine\` ${engine} declares no ports: give \`ports\` with one PortRole.CLIENT port (and PEER, ADMIN, METRICS as the engine has them).`);
  const clients = def.ports.filter((p) => p.role === PortRole.CLIENT);
  check(clients.length === 1, scope,
    `\`engine\` ${engine} must declare exactly one PortRole.CLIENT port (found ${clients.length}): it is what the client Service publishes.`);
  const seenNames = new Set<string>();
  const seenPorts = new Set<number>();
  for (const [index, port] of def.ports.entries()) {
    checkInteger(scope, `engine.ports[${index}].port`, port.port, { min: 1, max: 65535, hint: `port "${String(port.name)}" is a TCP port number` });
    check(typeof port.name === 'string' && port.name.length <= 15 && PORT_NAME.test(port.name) && /[a-z]/.test(port.name), scope,
      `\`engine\` port name "${port.name}" must be at most 15 lower-case letters, digits and '-' with at least one letter (IANA service name).`);
    check(!seenNames.has(port.name) && !seenPorts.has(port.port), scope,
      `\`engine\` port "${port.name}" (${port.port}) repeats a name or number: give each port its own.`);
    seenNames.add(port.name);
    seenPorts.add(port.port);
  }
}

function checkCustom(scope: IConstruct, c: CustomEngineProps, props: StatefulDatabaseProps): void {
  check(typeof c.name === 'string' && isDnsLabel(c.name), scope,
    `\`engine\` name "${String(c.name)}" must be at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit: it names the container and the \`app.kubernetes.io/name\` label (RFC 1123 label).`);
  check(!RESERVED_CONTAINERS.includes(c.name), scope,
    `\`engine\` name "${c.name}" is the name of a container the library adds beside the engine: choose another name.`);
  checkImages(scope, c);
  checkCustomPorts(scope, c);
  checkInteger(scope, 'engine.runAsUser', c.runAsUser, { min: 1, hint: 'restricted pods never run as root' });
  if (c.fsGroup !== undefined) checkInteger(scope, 'engine.fsGroup', c.fsGroup);
  if (c.minimumMemory !== undefined) wholeMebibytes(scope, 'engine.minimumMemory', c.minimumMemory, { min: 1 });
  if (c.terminationGracePeriod !== undefined) wholeSeconds(scope, 'engine.terminationGracePeriod', c.terminationGracePeriod, { min: 1 });
  checkPaths(scope, c);
  checkCommands(scope, c);
  checkCredentialsEnv(scope, c, props);
  if (c.configFileName !== undefined) {
    check(typeof c.configFileName === 'string' && isConfigMapKey(c.configFileName), scope,
      `\`engine\` configFileName "${String(c.configFileName)}" must be a file name of letters, digits, '-', '_' and '.' (a ConfigMap key).`);
  }
  checkReplication(scope, c);
}

function checkImages(scope: IConstruct, c: CustomEngineProps): void {
  check(typeof c.image === 'string', scope, '`engine` image must be an image name, e.g. "docker.io/clickhouse/clickhouse-server".');
  const image = parseImage(c.image);
  check(image.tag === undefined && image.digest === undefined, scope,
    `\`engine\` image "${c.image}" carries a tag or digest, and \`version\` adds its own ("${c.image}:${c.version}"): give the image without them and the tag in \`version\` (pinned by digest: \`version: '<tag>@sha256:<64 hex digits>'\`).`);
  check(isImageName(image.name), scope,
    `\`engine\` image "${c.image}" is not an image name: give an optional registry host, then lower-case path components, e.g. "docker.io/clickhouse/clickhouse-server".`);
  if (c.exporterImage === undefined) return;
  check(typeof c.exporterImage === 'string' && isPinnedImage(c.exporterImage), scope,
    `\`engine\` exporterImage "${String(c.exporterImage)}" is not pinned: an untagged or "latest" exporter changes under a running database. Give a versioned tag or a digest, e.g. "docker.io/example/exporter:1.2.0".`);
}

function checkCustomPorts(scope: IConstruct, c: CustomEngineProps): void {
  check(Array.isArray(c.ports), scope, '`engine` ports must be a list of ports, with one PortRole.CLIENT port.');
  const roles = Object.values(PortRole) as string[];
  for (const port of c.ports as EnginePort[]) {
    check(typeof port === 'object' && port !== null && roles.includes(port.role), scope,
      `\`engine\` port ${JSON.stringify(port)} needs a \`role\` of PortRole (${roles.join(', ')}).`);
  }
  const metrics = c.ports.filter((p) => p.role === PortRole.METRICS);
  check(metrics.length <= 1, scope, `\`engine\` declares ${metrics.length} METRICS ports: the exporter sidecar listens on one.`);
  if (c.exporterImage !== undefined) {
    check(metrics.length === 1, scope,
      '`engine` exporterImage needs a port with PortRole.METRICS, the one the exporter listens on: add `{ name: \'metrics\', port: <port>, role: PortRole.METRICS }`.');
    // The exporter container names its port "metrics", and the metrics Service and ServiceMonitor target the port by name.
    check(metrics[0].name === 'metrics', scope,
      `\`engine\` METRICS port "${metrics[0].name}" must be named "metrics", the name of the exporter container's port that the metrics Service targets.`);
  }
}

/** An absolute path without empty, '.' or '..' components and without a trailing '/'. */
function isMountPath(path: unknown): boolean {
  return typeof path === 'string' && /^(\/[^/\0]+)+$/.test(path) && !path.split('/').some((p) => p === '.' || p === '..');
}

function checkPaths(scope: IConstruct, c: CustomEngineProps): void {
  const writable = c.writablePaths ?? ['/tmp'];
  check(Array.isArray(writable), scope, '`engine` writablePaths must be a list of absolute paths, e.g. [\'/tmp\'].');
  const mounts: Array<[string, unknown]> = [
    ['dataPath', c.dataPath],
    ['configPath', c.configPath ?? '/etc/database'],
    ...(c.initScriptsPath !== undefined ? [['initScriptsPath', c.initScriptsPath] as [string, unknown]] : []),
    ...writable.map((p): [string, unknown] => ['writablePaths', p]),
  ];
  const seen = new Map<string, string>([[TLS_PATH, 'the TLS Secret\'s mount']]);
  const volumes = new Set(RESERVED_VOLUMES);
  for (const [prop, path] of mounts) {
    check(isMountPath(path), scope,
      `\`engine\` ${prop} ("${String(path)}") must be an absolute path. Give one below '/' without '.' or '..' components or a trailing '/', e.g. "/var/lib/engine".`);
    const other = seen.get(path as string);
    check(other === undefined, scope,
      `\`engine\` ${prop} "${path}" is also ${other?.startsWith('the') ? other : `\`${other}\``}: a pod mounts one volume per path; give each its own directory.`);
    seen.set(path as string, prop);
    if (prop !== 'writablePaths') continue;
    const volume = volumeNameFor(path as string);
    check(isDnsLabel(volume) && !volumes.has(volume), scope,
      `\`engine\` writablePaths "${path}" gives the volume name "${volume}", which is not a valid volume name or is taken (by another path or the library's own volumes): choose another directory.`);
    volumes.add(volume);
  }
}

function checkCommands(scope: IConstruct, c: CustomEngineProps): void {
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  for (const [prop, command] of [['readinessCommand', c.readinessCommand], ['livenessCommand', c.livenessCommand], ['preStopCommand', c.preStopCommand]] as const) {
    if (command === undefined) continue;
    check(strings(command) && command.length > 0 && command[0] !== '', scope,
      `\`engine\` ${prop} must name a program and its arguments, e.g. ['sh', '-c', '...']; leave the prop out for the default.`);
  }
  for (const [prop, list] of [['command', c.command], ['args', c.args]] as const) {
    check(list === undefined || strings(list), scope, `\`engine\` ${prop} must be a list of strings.`);
  }
}

function checkCredentialsEnv(scope: IConstruct, c: CustomEngineProps, props: StatefulDatabaseProps): void {
  for (const [prop, name] of [['usernameEnv', c.usernameEnv], ['passwordEnv', c.passwordEnv]] as const) {
    check(name === undefined || (typeof name === 'string' && isEnvName(name)), scope,
      `\`engine\` ${prop} "${String(name)}" is not a valid environment variable name: use letters, digits, '_', '-' and '.', not starting with a digit.`);
  }
  check(c.usernameEnv === undefined || c.usernameEnv !== c.passwordEnv, scope,
    `\`engine\` usernameEnv and passwordEnv are both "${c.usernameEnv}": the password would replace the username. Give two variables.`);
  const credentials = props.credentials;
  if (!credentials) return;
  check(c.usernameEnv !== undefined || c.passwordEnv !== undefined, scope,
    `\`credentials\` would be ignored: Engine '${c.name}' reads neither username nor password (no \`usernameEnv\` or \`passwordEnv\`). Give the engine those variables, or remove \`credentials\`.`);
  check(credentials._username === undefined || c.usernameEnv !== undefined, scope,
    `\`credentials\` username "${credentials._username}" would be ignored: Engine '${c.name}' reads no username (no \`usernameEnv\`). Give \`usernameEnv\`, or leave the username out.`);
}

function checkReplication(scope: IConstruct, c: CustomEngineProps): void {
  const modes = Object.values(ReplicationMode) as string[];
  check(c.replicationMode === undefined || modes.includes(c.replicationMode), scope,
    `\`engine\` replicationMode "${String(c.replicationMode)}" must be one of ReplicationMode (${modes.join(', ')}).`);
}

/**
 * Refuses `env` names the rendered engine container sets itself (a replicated layout renders another container:
 * Patroni's `SCOPE`, a rack's env): Kubernetes keeps the later duplicate, so one of the two would be lost.
 */
export function checkRenderedEnv(scope: IConstruct, env: Record<string, string> | undefined, rendered: k8s.EnvVar[], family: string): void {
  const engineEnv = new Set(rendered.map((e) => e.name));
  for (const name of Object.keys(env ?? {})) {
    check(!engineEnv.has(name), scope,
      `\`env\` sets "${name}", which the ${family} profile sets itself: remove it (credentials and database name have their own props).`);
  }
}
