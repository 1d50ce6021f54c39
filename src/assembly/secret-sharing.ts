import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { addSecret, secretOwners } from './cross-namespace';
import { backupCronJob, jobIdentity } from '../backup/jobs';
import { check } from '../private/errors';
import { KUBE_API_SHELL } from '../private/kube-api-shell';
import { isDnsLabel } from '../private/names';
import { shellQuote } from '../private/shell';
import { GENERATOR_IMAGE } from '../security/credentials-generator';

/** One Secret to copy, and the keys of it that travel (never a private key). */
export interface SharedSecret {
  readonly name: string;
  readonly keys: string[];
}

export interface SecretSharingOptions {
  /** The database's name: the copier is `<name>-share`. */
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Record<string, string>;
  readonly secrets: SharedSecret[];
  readonly imagePullSecrets?: string[];
  readonly registry?: string;
}

/** How often the copies are refreshed: a rotated password or CA reaches applications within this. */
const SCHEDULE = '*/10 * * * *';

/**
 * Copies a database's client Secrets into other namespaces, for `connections.shareSecretsWith(namespace)`.
 * Kubernetes resolves a pod's Secret references in the pod's own namespace only, so an application elsewhere needs a
 * copy. A CronJob in the database's namespace reads the Secrets (a Role there: `get` on exactly them) and writes
 * the listed keys into each target (a Role in the target: `create` on Secrets, which Kubernetes cannot limit by
 * name, and `get`/`update` on the copies only), every ten minutes so rotations follow.
 * @returns the function that adds a target namespace
 */
export function secretSharing(scope: Construct, options: SecretSharingOptions): (target: string) => void {
  const targets: string[] = [];
  const name = `${options.name}-share`;
  const names = options.secrets.map((s) => s.name);
  return (target: string) => {
    check(options.namespace !== undefined, scope,
      `\`connections.shareSecretsWith("${target}")\`: the database's chart has no \`namespace\`, so the copier's RoleBinding in "${target}" cannot name its ServiceAccount. Give the database's chart a \`namespace\`.`);
    check(typeof target === 'string' && isDnsLabel(target), scope,
      `\`connections.shareSecretsWith\`: namespace "${String(target)}" is not a valid namespace name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit.`);
    check(target !== options.namespace, scope,
      `\`connections.shareSecretsWith("${target}")\`: "${target}" is the database's own namespace, where its Secrets already are. Remove the call.`);
    check(name.length <= 52, scope,
      `\`connections.shareSecretsWith("${target}")\`: the copier's CronJob name "${name}" is longer than 52 characters (its Jobs add 11): shorten the database name.`);
    check(!targets.includes(target), scope, `\`connections.shareSecretsWith("${target}")\` is called twice for that namespace. Call it once.`);
    if (targets.length === 0) {
      copier(scope, name, options, targets);
      scope.node.addValidation({ validate: () => refuseOverwrites(scope, targets, names) });
    }
    targets.push(target);
    const id = `Share${targets.length}`;
    new k8s.KubeRole(scope, `${id}Role`, {
      metadata: { name, namespace: target, labels: options.labels },
      rules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: names, verbs: ['get', 'update'] },
      ],
    });
    new k8s.KubeRoleBinding(scope, `${id}RoleBinding`, {
      metadata: { name, namespace: target, labels: options.labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: options.namespace }],
    });
    names.forEach((secret) => addSecret(scope, target, secret));
  };
}

/** At synth, once every database exists: a copy must not overwrite another database's Secret (or its copy). */
function refuseOverwrites(scope: Construct, targets: string[], names: string[]): string[] {
  for (const target of targets) {
    for (const secret of names) {
      const others = secretOwners(scope, target, secret).filter((o) => o !== scope);
      check(others.length === 0, scope,
        `\`connections.shareSecretsWith("${target}")\`: ${others.map((o) => o.node.path).join(', ')} also has a Secret "${secret}" in namespace "${target}" (its own or a copy), which the copy would overwrite. Give the databases different \`name\`s, or share into another namespace.`);
    }
  }
  return [];
}

/** The CronJob, its ServiceAccount and its Role in the database's namespace; the targets are read at synth. */
function copier(scope: Construct, name: string, options: SecretSharingOptions, targets: string[]): ApiObject {
  jobIdentity(scope, 'Share', name, options.labels, [
    { apiGroups: [''], resources: ['secrets'], resourceNames: options.secrets.map((s) => s.name), verbs: ['get'] },
  ]);
  return backupCronJob(scope, 'ShareCronJob', {
    name,
    schedule: SCHEDULE,
    labels: options.labels,
    serviceAccountName: name,
    needsApiToken: true,
    runAsUser: 100,
    fsGroup: 100,
    deadlineSeconds: 300,
    imagePullSecrets: options.imagePullSecrets,
    containers: [{
      name: 'copy',
      image: options.registry ? GENERATOR_IMAGE.replace(/^docker\.io/, options.registry) : GENERATOR_IMAGE,
      script: copyScript(options.secrets, options.labels),
      // Read at synth, after every shareSecretsWith call.
      env: [{ name: 'TARGETS', value: Lazy.any({ produce: () => targets.join(' ') }) as unknown as string }],
      cpuMillis: 100,
      memoryMebibytes: 64,
    }],
  });
}

/**
 * Shell (curl, sed): reads each Secret of the database's namespace and puts the listed keys into a Secret of the same
 * name in each of $TARGETS, created or replaced. Secret data is base64, so a key's value holds no quote or brace.
 */
function copyScript(secrets: SharedSecret[], labels: Record<string, string>): string {
  const lines = [
    'set -eu',
    ...KUBE_API_SHELL,
    // The value of one key of a Secret read from the API (one line of JSON): the last "key":"<base64>" pair.
    'value() { tr -d "\\n" < /tmp/source | sed -n "s/.*\\"$1\\": *\\"\\([A-Za-z0-9+\\/=]*\\)\\".*/\\1/p"; }',
  ];
  for (const secret of secrets) {
    const keyRegex = (key: string) => key.replace(/\./g, '\\.');
    lines.push(
      `CODE=$(api "$API/$NS/secrets/${secret.name}"); cp /tmp/response /tmp/source`,
      `[ "$CODE" = 200 ] || { echo "Secret ${secret.name} is not readable yet (HTTP $CODE); next run"; exit 1; }`,
      'DATA=""',
      ...secret.keys.map((key) => `V=$(value ${shellQuote(keyRegex(key))}); [ -n "$V" ] || { echo "Secret ${secret.name} has no key ${key}"; exit 1; }; DATA="$DATA\${DATA:+,}\\"${key}\\":\\"$V\\""`),
      `BODY=$(printf '{"apiVersion":"v1","kind":"Secret","type":"Opaque","metadata":{"name":"${secret.name}","labels":%s},"data":{%s}}' ${shellQuote(JSON.stringify(labels))} "$DATA")`,
      'for T in $TARGETS; do',
      '  CODE=$(api -X POST --data "$BODY" "$API/$T/secrets")',
      `  [ "$CODE" = 409 ] && CODE=$(api -X PUT --data "$BODY" "$API/$T/secrets/${secret.name}")`,
      `  case "$CODE" in 200|201) echo "copied Secret ${secret.name} to $T" ;; *) echo "copying Secret ${secret.name} to $T failed with HTTP $CODE"; cat /tmp/response; exit 1 ;; esac`,
      'done',
    );
  }
  return lines.join('\n');
}
