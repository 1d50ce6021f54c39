import { ApiObject, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import type { CredentialsRef } from '../engines/engine-definition';
import type { DatabaseConnections } from '../network/connections';
import { databaseClientJob } from '../pod/database-client-job';
import { connectionEnv } from '../private/connection-env';
import { check } from '../private/errors';
import { isImageDigest, isImageName, isImageTag, isVersionedTag, parseImage } from '../private/images';
import { DatabaseLabels, LABEL_VERSION } from '../private/labels';
import { SECRET_NAME_HINT, literalPasswordIn } from '../private/literal-passwords';
import { isEnvName, versionLabel } from '../private/names';
import { checkInteger, millicoresOf, wholeMebibytes, wholeMillicores, wholeSeconds } from '../private/numbers';
import { checkInstance, checkStringList, checkStringMap, checkStruct, describeValue } from '../private/value-types';

/**
 * Schema migrations run by the user's own image, as a Job against the database, before the application rolls
 * (the Data on Kubernetes whitepaper's day-2 pattern).
 *
 * The Job connects as the application user, never as the superuser: it gets the env `connectionEnv()` hands an
 * application (`DB_HOST`, `DB_PORT`, `DB_DATABASE` where the engine has named databases, `DB_USERNAME` and
 * `DB_PASSWORD` from the application user's Secret, and `DB_SSLMODE`/`DB_CA_CERT` where clients verify TLS), so the
 * migration tool reads what the application reads. With `ApplicationUser.superuser()` that is the superuser, as for
 * the application.
 *
 * It runs once per version: its name is `<name>-migrate-<hash of what it runs>`, so re-applying the same props
 * changes nothing and a new image tag is a new Job. The Job and its pods carry
 * `cdk8s-databases.io/migrations-version: <image tag>`: `kubectl wait --for=condition=complete job -l ...` orders a
 * rollout after it. A finished Job is deleted after 7 days and runs again at the next apply, so the migration tool
 * must record what it applied (Flyway, Liquibase, golang-migrate, Alembic do).
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/job/
 */
export interface DatabaseMigrations {
  /**
   * The migration image, pinned: a versioned tag (`registry.example.com/orders-migrate:1.4.0`), optionally with a
   * digest (`...:1.4.0@sha256:<64 hex digits>`). The tag labels the Job (`cdk8s-databases.io/migrations-version`);
   * a new tag runs a new Job. Used as given: `imageRegistry` does not rewrite it.
   */
  readonly image: string;
  /**
   * The program to run instead of the image's entrypoint: the container runs it directly, no shell is needed.
   * `$(DB_HOST)` and the other connection variables are expanded by Kubernetes.
   * @default - the image's entrypoint
   * @see https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/
   */
  readonly command?: string[];
  /**
   * Arguments of the command (or of the image's entrypoint), e.g. `['migrate', '-path', '/migrations', 'up']`.
   * @default - the image's default arguments
   */
  readonly args?: string[];
  /**
   * Extra env vars, after the connection variables, so a value can refer to them: `{ FLYWAY_PASSWORD:
   * '$(DB_PASSWORD)' }`. A name that looks like a password takes only such a reference; literal secrets are refused.
   * @default - none
   * @see https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/
   */
  readonly env?: Record<string, string>;
  /**
   * Numeric user the container runs as. Restricted pod security needs `runAsNonRoot`, and an image whose user is a
   * name (not a number) cannot prove it: 65532 is distroless' `nonroot`.
   * @default 65532
   */
  readonly runAsUser?: number;
  /**
   * CPU of the container, requested and limited alike (Guaranteed QoS).
   * @default Cpu.millis(250)
   */
  readonly cpu?: kplus.Cpu;
  /**
   * Memory of the container, requested and limited alike (Guaranteed QoS).
   * @default Size.mebibytes(256)
   */
  readonly memory?: Size;
  /**
   * How long the Job may run, retries and waiting for the database included (`activeDeadlineSeconds`).
   * @default Duration.minutes(30)
   */
  readonly timeout?: Duration;
}

/** On the migrations Job and its pods: the tag of the migration image, for `kubectl wait ... -l`. */
export const LABEL_MIGRATIONS_VERSION = 'cdk8s-databases.io/migrations-version';
/** distroless' `nonroot`. */
const DEFAULT_RUN_AS_USER = 65532;
const DEFAULT_CPU_MILLIS = 250;
const DEFAULT_MEMORY_MEBIBYTES = 256;
const DEFAULT_TIMEOUT_SECONDS = 1800;
/** The prefix of `connectionEnv()`'s default, which the Job uses. */
const PREFIX = 'DB_';
/** Every variable the Job sets itself: HOME (the writable /tmp) and what `connectionEnv()` can set. */
const JOB_ENV = ['HOME', ...['HOST', 'PORT', 'DATABASE', 'USERNAME', 'PASSWORD', 'SSLMODE', 'CA_CERT'].map((n) => `${PREFIX}${n}`)];
/** `$(DB_PASSWORD)`: a value Kubernetes takes from another variable when the container starts. */
const REFERENCE = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/;
/** A password in a URL's user information: `postgres://app:<password>@host/db`. */
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:([^@\s/]+)@/i;
/** An option that takes a secret: `--password`, `-password` (Flyway), `--db-pass`, `--api-token`, `-pwd`. */
const SECRET_OPTION = /^-{1,2}[\w.-]*(pass(word|wd)?|pwd|secret|token)[\w.-]*$/i;
/**
 * Options named like a secret that take none: a file's path (`--password-file`, `--passfile`), and switches
 * (`--no-password`; psql's `--password` is one too, and the next entry is then another option).
 */
const NOT_A_SECRET_OPTION = /(^-{1,2}no-|(file|path|dir)$)/i;
/** The next entry is an option, not the value of the one before: `--password -f up.sql`. */
const OPTION = /^-{1,2}[A-Za-z]/;
/** `--option=value` and `-option=value`: the option, then its value. */
const OPTION_WITH_VALUE = /^(-{1,2}[\w.-]+)=([\s\S]*)$/;
const EXAMPLE = "{ image: 'registry.example.com/orders-migrate:1.4.0' }";

/** Checks the `migrations` prop; the construct's props check calls it. */
export function checkMigrations(scope: IConstruct, m: DatabaseMigrations): void {
  checkStruct(scope, 'migrations', m, EXAMPLE);
  checkImage(scope, m.image);
  for (const prop of ['command', 'args'] as const) {
    const list = m[prop];
    if (list === undefined) continue;
    checkStringList(scope, `migrations.${prop}`, list, "['migrate', 'up']");
    list.forEach((entry, index) => checkNoLiteralSecret(scope, `migrations.${prop}[${index}]`, entry));
  }
  checkSecretOptions(scope, [
    ...(m.command ?? []).map((value, index) => ({ prop: `migrations.command[${index}]`, value })),
    ...(m.args ?? []).map((value, index) => ({ prop: `migrations.args[${index}]`, value })),
  ]);
  if (m.command !== undefined) {
    check(m.command.length > 0 && m.command[0] !== '', scope,
      '`migrations.command` must name a program, e.g. `[\'/app/migrate\']`; leave it out to run the image\'s entrypoint.');
  }
  if (m.env !== undefined) checkEnv(scope, m.env);
  if (m.runAsUser !== undefined) {
    checkInteger(scope, 'migrations.runAsUser', m.runAsUser, { min: 1, hint: 'restricted pods never run as root' });
  }
  if (m.cpu !== undefined) {
    checkInstance(scope, 'migrations.cpu', m.cpu, kplus.Cpu, 'cdk8s-plus `Cpu`', '`Cpu.millis(250)`');
    wholeMillicores(scope, 'migrations.cpu', m.cpu.amount, { min: 1, hint: 'e.g. `Cpu.millis(250)`' });
  }
  if (m.memory !== undefined) wholeMebibytes(scope, 'migrations.memory', m.memory, { min: 1, hint: 'e.g. `Size.mebibytes(256)`' });
  if (m.timeout !== undefined) {
    wholeSeconds(scope, 'migrations.timeout', m.timeout, { min: 1, hint: 'how long the migrations may take, e.g. `Duration.minutes(30)`' });
  }
}

function checkImage(scope: IConstruct, image: unknown): void {
  check(typeof image === 'string', scope,
    `\`migrations.image\` must be an image reference such as "registry.example.com/orders-migrate:1.4.0", not ${describeValue(image)}.`);
  const { name, tag, digest } = parseImage(image);
  check(isImageName(name) && (tag === undefined || isImageTag(tag)) && (digest === undefined || isImageDigest(digest)), scope,
    `\`migrations.image\` "${image}" is not an image reference: give an optional registry host, lower-case path components and a tag, optionally with a digest, e.g. "registry.example.com/orders-migrate:1.4.0".`);
  // A digest pins the image, but a label value cannot hold one: the tag is what names the version.
  check(tag !== undefined || digest === undefined, scope,
    `\`migrations.image\` "${image}" has a digest but no tag: the tag labels the Job (\`${LABEL_MIGRATIONS_VERSION}\`, which \`kubectl wait -l\` selects), and a digest cannot be a label value. `
    + 'Put the version\'s tag before the digest, e.g. "registry.example.com/orders-migrate:1.4.0@sha256:<64 hex digits>".');
  check(tag !== undefined && isVersionedTag(tag), scope,
    `\`migrations.image\` "${image}" is not pinned to a version: an untagged or "latest" image changes under the same name, so the migrations would not run again when it does. `
    + 'Give a versioned tag, optionally with a digest, e.g. "registry.example.com/orders-migrate:1.4.0" or "...:1.4.0@sha256:<64 hex digits>": the tag labels the Job, and a new tag runs a new Job.');
}

function checkEnv(scope: IConstruct, env: Record<string, string>): void {
  checkStringMap(scope, 'migrations.env', env, "{ FLYWAY_URL: 'jdbc:postgresql://$(DB_HOST):$(DB_PORT)/$(DB_DATABASE)' }");
  for (const [name, value] of Object.entries(env)) {
    check(isEnvName(name), scope,
      `\`migrations.env\` name "${name}" is not a valid environment variable name: use letters, digits, '_', '-' and '.', not starting with a digit.`);
    check(!JOB_ENV.includes(name), scope,
      `\`migrations.env\` sets "${name}", which the migrations Job sets itself (${JOB_ENV.join(', ')}): remove it, or give it another name that refers to it, e.g. \`{ PGHOST: '$(DB_HOST)' }\`.`);
    if (SECRET_NAME_HINT.test(name) && value !== '') checkSecretEnv(scope, name, value);
    checkNoLiteralSecret(scope, `migrations.env "${name}"`, value);
  }
}

/** A variable named like a password takes only a reference to a connection variable: the Job has no other secret. */
function checkSecretEnv(scope: IConstruct, name: string, value: string): void {
  const reference = REFERENCE.exec(value)?.[1];
  check(reference !== undefined, scope,
    `\`migrations.env\` "${name}" looks like a password, and a literal value would be stored in plain text in the YAML: refer to the application user's password with \`'$(${PREFIX}PASSWORD)'\`, or read other secrets from a Secret in the image.`);
  check(JOB_ENV.includes(reference), scope,
    `\`migrations.env\` "${name}" looks like a password and refers to "$(${reference})", which is not a variable the Job sets (${JOB_ENV.join(', ')}): Kubernetes would pass the text "$(${reference})" unchanged. `
    + `Refer to the application user's password with \`'$(${PREFIX}PASSWORD)'\`, or read other secrets from a Secret in the image.`);
}

/**
 * An option named like a secret (`--password hunter2`, `-password hunter2`, `-password=hunter2`) takes only a
 * `$(VAR)` reference, which Kubernetes expands when the container starts; an option naming a file takes its path.
 */
function checkSecretOptions(scope: IConstruct, entries: Array<{ prop: string; value: string }>): void {
  entries.forEach(({ prop, value }, index) => {
    const joined = OPTION_WITH_VALUE.exec(value);
    const [option, secret, where] = joined
      ? [joined[1], joined[2], prop]
      : [value, entries[index + 1]?.value, entries[index + 1]?.prop];
    if (secret === undefined || !SECRET_OPTION.test(option) || NOT_A_SECRET_OPTION.test(option)) return;
    if (!joined && OPTION.test(secret)) return;
    check(secret === '' || REFERENCE.test(secret), scope,
      `\`${where}\` gives \`${option}\` a literal value, which would be stored in plain text in the YAML: refer to the application user's password with \`$(${PREFIX}PASSWORD)\` (Kubernetes expands it when the container starts).`);
  });
}

/** Refuses a literal password inside a value: a URL's user information, `--password=...`, `password=` in a connection string. */
function checkNoLiteralSecret(scope: IConstruct, prop: string, value: string): void {
  const inUrl = URL_PASSWORD.exec(value)?.[1];
  // Read as a shell script: a `$(...)` reference is expanded, not written.
  const literal = inUrl !== undefined && !REFERENCE.test(inUrl) ? inUrl : literalPasswordIn('value.sh', value);
  check(literal === undefined, scope,
    `\`${prop}\` holds a literal password, which would be stored in plain text in the YAML: refer to the application user's password with \`$(${PREFIX}PASSWORD)\` (Kubernetes expands it when the container starts).`);
}

/** Where the migrations connect: what `connectionEnv()` hands applications. */
export interface MigrationsTarget {
  /** The database's name: the Job is `<name>-migrate-<hash>` (a name past 48 characters is shortened, see `contentName`). */
  readonly name: string;
  readonly labels: DatabaseLabels;
  readonly host: string;
  readonly port: number;
  readonly database?: string;
  /** The application user's Secret, or the superuser's with `ApplicationUser.superuser()`. */
  readonly client: CredentialsRef;
  /** libpq's sslmode and the Secret of the CA, where clients verify TLS (replicated PostgreSQL). */
  readonly sslMode?: 'require' | 'verify-full';
  readonly caSecretName?: string;
  readonly imagePullSecrets?: string[];
  readonly connections: DatabaseConnections;
}

/** The migrations Job, its ServiceAccount without token, and its admission to the client port. */
export function migrationsJob(scope: Construct, m: DatabaseMigrations, target: MigrationsTarget): ApiObject {
  const { tag } = parseImage(m.image);
  const version = versionLabel(tag!);
  return databaseClientJob(scope, 'Migrations', {
    name: `${target.name}-migrate`,
    // The version is the migrations', not the engine's: an engine upgrade does not run them again.
    labels: { ...target.labels.forComponent('migrations'), [LABEL_VERSION]: version, [LABEL_MIGRATIONS_VERSION]: version },
    serviceAccountLabels: target.labels.common,
    connections: target.connections,
    image: m.image,
    command: m.command,
    args: m.args,
    env: [...clientEnv(scope, target), ...Object.entries(m.env ?? {}).map(([name, value]) => ({ name, value }))],
    runAsUser: m.runAsUser ?? DEFAULT_RUN_AS_USER,
    imagePullSecrets: target.imagePullSecrets,
    cpuMillis: m.cpu ? millicoresOf(m.cpu.amount) : DEFAULT_CPU_MILLIS,
    memoryMebibytes: m.memory ? m.memory.toMebibytes() : DEFAULT_MEMORY_MEBIBYTES,
    activeDeadlineSeconds: m.timeout ? m.timeout.toSeconds() : DEFAULT_TIMEOUT_SECONDS,
  });
}

/** `connectionEnv()`'s variables, from the same function, as the Job's env. */
function clientEnv(scope: Construct, target: MigrationsTarget): k8s.EnvVar[] {
  const secret = kplus.Secret.fromSecretName(scope, 'MigrationsClientSecret', target.client.secretName);
  const caSecret = target.caSecretName ? kplus.Secret.fromSecretName(scope, 'MigrationsCaSecret', target.caSecretName) : undefined;
  const values = connectionEnv(PREFIX, target.host, target.port, secret, target.client.usernameKey, target.client.passwordKey,
    target.sslMode ? { mode: target.sslMode, caSecret } : undefined, target.database);
  return Object.entries(values).map(([name, v]) => ({ name, value: v.value, valueFrom: v.valueFrom }));
}
