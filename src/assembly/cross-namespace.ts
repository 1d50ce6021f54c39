import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { appState } from '../private/app-state';
import { namespaceOf } from '../private/cluster-scoped';
import { DatabaseConfigError, check } from '../private/errors';

/** Kinds whose JSON can hold a pod template, and so Secret references a pod resolves in its own namespace. */
const POD_BEARING_KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob']);

/** Per app root: `namespace/name` of the Secrets the databases of the library read in their namespace or copy to another. */
const databaseSecrets = new WeakMap<IConstruct, Map<string, Set<IConstruct>>>();

/** Kinds that put a Secret of their name (or target name) into their namespace: a copy the user manages. */
const SECRET_KINDS = new Set(['Secret', 'SealedSecret', 'ExternalSecret']);

const where = (namespace: string | undefined) =>
  (namespace === undefined ? 'no namespace (the one kubectl applies it to)' : `namespace "${namespace}"`);

/**
 * Refuses a BackupSchedule whose chart is in another namespace than its database: its Jobs read the database's
 * Secret, its snapshots name the database's claims and the NetworkPolicy admits its pods by a podSelector of the
 * database's namespace. None of that reaches across namespaces, so the backups would never run.
 */
export function checkSameNamespace(schedule: IConstruct, databaseNamespace: string | undefined, databasePath: string): void {
  const here = Chart.of(schedule).namespace;
  check(here === databaseNamespace, schedule,
    `\`database\` (${databasePath}) is in ${where(databaseNamespace)} but this BackupSchedule's chart is in ${where(here)}: its Jobs would read the `
    + 'database\'s Secret and claims where they do not exist, and the database\'s NetworkPolicy admits them from its own namespace only, so no backup would run. '
    + `Create the BackupSchedule in a chart with ${databaseNamespace === undefined ? 'no `namespace`' : `\`namespace: '${databaseNamespace}'\``} (the database's chart, for one).`);
}

/** A database whose Secrets pods of other namespaces must not read. */
interface SecretReader { readonly database: IConstruct; readonly namespace: string | undefined; readonly names: Set<string> }

/** Per app root: the databases, checked by one validation of the app. */
const readers = new WeakMap<IConstruct, SecretReader[]>();

/**
 * At synth, once every workload exists: refuses pods of another namespace that read one of `secretNames` (the
 * database's credentials, application-user and TLS Secrets, e.g. through `connectionEnv()`). A pod resolves Secret
 * references in its own namespace, where these Secrets do not exist: it would stay in CreateContainerConfigError.
 * Accepted: a copy the database makes there (`connections.shareSecretsWith`), a same-named database's own Secret
 * there, and a Secret (or SealedSecret, ExternalSecret) of that name the app puts in the pod's namespace.
 *
 * One validation of the app checks every database in one pass over its objects (not one pass per database, which
 * made synth quadratic in the number of databases), and renders only pod-bearing objects outside some database's
 * namespace, so an app in one namespace renders nothing.
 */
export function refuseForeignSecretReferences(database: IConstruct, namespace: string | undefined, secretNames: string[]): void {
  secretNames.forEach((n) => addSecret(database, namespace, n));
  appState(readers, database, (): SecretReader[] => [], checkSecretReaders).push({ database, namespace, names: new Set(secretNames) });
}

function checkSecretReaders(root: IConstruct, databases: SecretReader[]): string[] {
  const objects = root.node.findAll().filter(ApiObject.isApiObject) as ApiObject[];
  const databaseNamespaces = new Set(databases.map((d) => d.namespace));
  const foreign = objects.filter((o) => POD_BEARING_KINDS.has(o.kind)).map((o) => ({ o, ns: namespaceOf(o) }))
    .filter(({ ns }) => [...databaseNamespaces].some((d) => d !== ns));
  if (foreign.length === 0) return [];
  // Secrets each namespace has: its databases' (a same-named database there) and the app's own copies.
  const copies = new Set([...knownSecrets(root).keys(), ...objects.filter((o) => SECRET_KINDS.has(o.kind)).map((o) => `${namespaceOf(o) ?? ''}/${secretNameOf(o)}`)]);
  const rendered = foreign.map(({ o, ns }) => ({ o, ns, refs: secretReferences(o.toJson()) })).filter(({ refs }) => refs.size > 0);
  for (const { database, namespace, names } of databases) {
    const findings: string[] = [];
    for (const { o, ns, refs } of rendered) {
      if (ns === namespace) continue;
      const read = [...refs].filter((n) => names.has(n) && !copies.has(`${ns ?? ''}/${n}`));
      if (read.length === 0) continue;
      const secrets = `Secret${read.length > 1 ? 's' : ''} ${read.map((n) => `"${n}"`).join(', ')}`;
      findings.push(`${o.kind} "${o.name}" (${o.node.path}) in ${where(ns)} reads ${secrets} of this database, which ${read.length > 1 ? 'exist' : 'exists'} only in ${where(namespace)}: `
        + `its pods would stay in CreateContainerConfigError. Run it in ${where(namespace)} (a chart with ${namespace === undefined ? 'no `namespace`' : `\`namespace: '${namespace}'\``}), `
        + `${ns !== undefined && namespace !== undefined ? `call \`connections.shareSecretsWith('${ns}')\` on the database to copy them there, ` : ''}`
        + `or give ${where(ns)} its own copy of ${secrets} (a Secret, SealedSecret or ExternalSecret of that name in this app: the Kubernetes provider of the External Secrets Operator copies Secrets across namespaces).`);
    }
    if (findings.length > 0) throw new DatabaseConfigError(database, findings.join(' '));
  }
  return [];
}

/**
 * Records that `database` reads Secret `name` in `namespace`: its own Secret, or a copy it makes there
 * (`connections.shareSecretsWith`).
 */
export function addSecret(database: IConstruct, namespace: string | undefined, name: string): void {
  const known = knownSecrets(database);
  const key = `${namespace ?? ''}/${name}`;
  known.set(key, (known.get(key) ?? new Set()).add(database));
}

/** The databases whose Secret (own or copied) `name` is in `namespace`. */
export function secretOwners(scope: IConstruct, namespace: string, name: string): IConstruct[] {
  return [...(knownSecrets(scope).get(`${namespace}/${name}`) ?? [])];
}

function knownSecrets(scope: IConstruct): Map<string, Set<IConstruct>> {
  const root = scope.node.root;
  let known = databaseSecrets.get(root);
  if (!known) databaseSecrets.set(root, known = new Map());
  return known;
}

/** The name of the Secret an object puts in its namespace: an ExternalSecret's target, else the object's name. */
function secretNameOf(o: ApiObject): string {
  if (o.kind !== 'ExternalSecret') return o.name;
  return o.toJson()?.spec?.target?.name ?? o.name;
}

/**
 * Every Secret name a pod template reads: `secretKeyRef` (env), `secretRef` (envFrom, volume plugins), `secret`
 * volumes (`secretName`) and projected `secret` sources (`name`).
 */
function secretReferences(json: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(json)) {
    json.forEach((item) => secretReferences(item, found));
  } else if (typeof json === 'object' && json !== null) {
    for (const [key, value] of Object.entries(json)) {
      const ref = value as Record<string, unknown> | undefined;
      if ((key === 'secretKeyRef' || key === 'secretRef') && typeof ref?.name === 'string') found.add(ref.name);
      if (key === 'secret' && typeof ref?.secretName === 'string') found.add(ref.secretName);
      if (key === 'secret' && typeof ref?.name === 'string') found.add(ref.name);
      secretReferences(value, found);
    }
  }
  return found;
}
