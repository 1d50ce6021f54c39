import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { oneOffJob } from '../pod/one-off-job';
import { KUBE_API_SHELL } from '../private/kube-api-shell';
import { inDoubleQuotes as dq, shellQuote } from '../private/shell';

/** Image of the generator Job: curl and a POSIX shell, nothing else. */
export const GENERATOR_IMAGE = 'docker.io/curlimages/curl:8.10.1';

/** One Secret the generator creates. */
export interface GeneratedSecret {
  readonly secretName: string;
  readonly username: string;
  /** More random keys the Secret must hold (key name to bytes of entropy), e.g. a MongoDB keyfile. */
  readonly extraKeys?: Record<string, number>;
}

export interface CredentialsGeneratorOptions {
  readonly name: string;
  /** The superuser's Secret, the application user's, or both: one Job creates them all. */
  readonly secrets: GeneratedSecret[];
  readonly labels: Record<string, string>;
  readonly secretLabels: Record<string, string>;
  readonly imagePullSecrets?: string[];
  readonly registry?: string;
}

/**
 * Creates the credentials Secrets inside the cluster, each only if it is absent, so passwords are
 * generated where they are used and never appear in YAML or in git.
 *
 * RBAC: `create` on Secrets in the namespace and nothing else (Kubernetes cannot limit `create` by
 * resource name). An existing Secret answers 409 Conflict and is left as it is: re-applying the
 * manifests never rotates a password by surprise.
 */
export function credentialsGenerator(scope: Construct, options: CredentialsGeneratorOptions): void {
  const name = options.name;
  new k8s.KubeServiceAccount(scope, 'GeneratorServiceAccount', {
    metadata: { name, labels: options.labels },
    automountServiceAccountToken: false,
  });
  new k8s.KubeRole(scope, 'GeneratorRole', {
    metadata: { name, labels: options.labels },
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }],
  });
  new k8s.KubeRoleBinding(scope, 'GeneratorRoleBinding', {
    metadata: { name, labels: options.labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name }],
  });
  const script = [
    'set -eu',
    ...KUBE_API_SHELL,
    ...options.secrets.flatMap((secret) => createSecret(secret, options.secretLabels)),
  ].join('\n');
  oneOffJob(scope, 'GeneratorJob', {
    name,
    labels: options.labels,
    image: options.registry ? GENERATOR_IMAGE.replace(/^docker\.io/, options.registry) : GENERATOR_IMAGE,
    script,
    env: [],
    runAsUser: 100,
    serviceAccountName: name,
    needsApiToken: true,
    imagePullSecrets: options.imagePullSecrets,
  });
}

/** The lines that create one Secret with fresh random values, unless it exists. */
function createSecret(secret: GeneratedSecret, labels: Record<string, string>): string[] {
  const extraKeys = secret.extraKeys ?? {};
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/basic-auth',
    metadata: { name: secret.secretName, labels },
    stringData: {
      username: secret.username,
      password: '__PASSWORD__',
      ...Object.fromEntries(Object.keys(extraKeys).map((key, i) => [key, `__EXTRA_${i}__`])),
    },
  };
  // Each extra key: base64 of that many random bytes (a MongoDB keyfile wants 6 to 1024 base64
  // characters; a multiple of 3 bytes avoids padding). sed uses '|' since base64 holds '/'.
  const extraLines = Object.values(extraKeys).map((bytes, i) =>
    `EXTRA_${i}=$(head -c ${bytes} /dev/urandom | base64 | tr -d '\\n')`);
  const extraSeds = Object.keys(extraKeys).map((_k, i) => ` -e "s|__EXTRA_${i}__|$EXTRA_${i}|"`).join('');
  return [
    // 32 alphanumeric characters from the kernel's CSPRNG: about 190 bits.
    'PASSWORD=$(head -c 96 /dev/urandom | base64 | tr -dc A-Za-z0-9 | head -c 32)',
    ...extraLines,
    // The body is one quoted literal: a name or username holding a quote, `$(...)` or a line break stays data.
    `BODY=$(printf '%s' ${shellQuote(JSON.stringify(body))} | sed -e "s/__PASSWORD__/$PASSWORD/"${extraSeds})`,
    'CODE=$(api -X POST --data "$BODY" "$API/$NS/secrets")',
    'case "$CODE" in',
    `  201) echo "created Secret ${dq(secret.secretName)}" ;;`,
    `  409) echo "Secret ${dq(secret.secretName)} exists; left unchanged" ;;`,
    '  *) echo "creating Secret failed with HTTP $CODE"; cat /tmp/response; exit 1 ;;',
    'esac',
  ];
}
