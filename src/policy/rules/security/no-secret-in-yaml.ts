import { everyContainer, workloadPodSpec } from './pod-security';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * Credentials must not be written into the rendered YAML: it is committed, diffed in pull requests, stored in GitOps
 * repositories and printed by `kubectl get -o yaml` to anyone who may read the workload. The library promises that its
 * own YAML never holds a secret value (credentials are generated in the cluster or referenced).
 */
export const noSecretInYaml: IPolicyRule = {
  id: 'SEC-NO-SECRET-IN-YAML',
  level: RuleLevel.ERROR,
  finding: 'A Secret with values, or a container env var that looks like a credential with a literal value, is in the rendered YAML.',
  explanation: 'Anything in the manifests ends up in Git, CI logs and `kubectl get -o yaml`. Do not render Secret values: let the library '
    + 'generate credentials in the cluster, or create the Secret out of band (External Secrets, Sealed Secrets, Vault) and reference it; '
    + 'set credential env vars with `valueFrom.secretKeyRef` (or mount the Secret and point a `*_FILE` variable at it), never `value`. '
    + 'An empty Secret (no data) is harmless and passes.',
  evaluate(o: any): Verdict {
    if (o?.kind === 'Secret') return secretVerdict(o);
    const spec = workloadPodSpec(o);
    if (!spec) return Verdict.notApplicable();
    const problems: string[] = [];
    for (const { name, container } of everyContainer(spec)) {
      for (const env of Array.isArray(container.env) ? container.env : []) {
        if (looksLikeCredential(env?.name) && isLiteralSecret(env?.value)) {
          problems.push(`container "${name}" sets env ${env.name} to a literal value: use valueFrom.secretKeyRef`);
        }
      }
    }
    return Verdict.fromProblems(problems);
  },
};

/** Only key names go into the detail: the finding must not repeat the secret it reports. */
function secretVerdict(secret: any): Verdict {
  const keysWithValues = ['data', 'stringData'].flatMap((field) => {
    const map = secret[field];
    if (!map || typeof map !== 'object') return [];
    return Object.entries(map).filter(([, v]) => v !== null && v !== undefined && String(v) !== '').map(([k]) => `${field}.${k}`);
  });
  return keysWithValues.length
    ? Verdict.nonCompliant(`Secret holds values in ${keysWithValues.join(', ')}: create it in the cluster or from a secret store, and reference it`)
    : Verdict.compliant();
}

/**
 * Name words that mean "the value is a credential". A word counts as the end of a name segment, so `PGPASSWORD` and
 * `DB_PASSWORD` match; PASS and PWD count only as whole segments (`PGPASSFILE` is a file, a lone `PWD` the working directory).
 */
const CREDENTIAL_SUFFIXES = ['PASSWORD', 'PASSWD', 'SECRET', 'TOKEN', 'APIKEY', 'CREDENTIALS', 'CREDENTIAL'];
const CREDENTIAL_SEGMENTS = new Set(['PASS', 'PWD', 'CREDS']);
/** Two-segment credential words: `OPENAI_API_KEY`, `JWT_PRIVATE_KEY` (an access key id, `AWS_ACCESS_KEY_ID`, is not one). */
const CREDENTIAL_PAIRS = [['API', 'KEY'], ['PRIVATE', 'KEY']];
/**
 * A segment after the credential word that says the value is about the credential, not the credential itself:
 * `MYSQL_ROOT_PASSWORD_FILE` (a path, the official images' convention), `KUBERNETES_SECRET_NAME`, `TOKEN_TTL`,
 * `PASSWORD_ENCRYPTION` (a PostgreSQL setting).
 */
const DESCRIBING_SEGMENTS = new Set([
  'FILE', 'PATH', 'DIR', 'NAME', 'NAMES', 'REF', 'KEYREF', 'URL', 'ENDPOINT', 'TTL', 'EXPIRY', 'EXPIRATION', 'LIFETIME', 'LENGTH',
  'ENCRYPTION', 'METHOD', 'TYPE', 'MODE', 'ENABLED', 'ENABLE', 'REQUIRED', 'AUDIENCE', 'HEADER', 'POLICY', 'ROTATION',
]);

function looksLikeCredential(name: unknown): boolean {
  if (typeof name !== 'string') return false;
  const segments = name.toUpperCase().split(/[_.-]+/).filter(Boolean);
  const at = segments.findIndex((s, i) => CREDENTIAL_SUFFIXES.some((w) => s.endsWith(w))
    || (CREDENTIAL_SEGMENTS.has(s) && segments.length > 1)
    || CREDENTIAL_PAIRS.some(([a, b]) => s.endsWith(a) && segments[i + 1] === b));
  return at >= 0 && !segments.slice(at + 1).some((s) => DESCRIBING_SEGMENTS.has(s));
}

/** A non-empty value that is not only `$(VAR)` references to other variables (those may come from a Secret). */
function isLiteralSecret(value: unknown): boolean {
  if (typeof value !== 'string' || value.trim() === '') return false;
  return value.replace(/\$\([A-Za-z_][A-Za-z0-9_.-]*\)/g, '').trim() !== '';
}
