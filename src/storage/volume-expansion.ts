import { ApiObject, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { appState } from '../private/app-state';
import { memberClaimName } from '../private/claim-names';
import { DatabaseConfigError, check } from '../private/errors';
import { wholeMebibytes } from '../private/numbers';
import { quantityOf } from '../private/quantity';

/** On a StatefulSet whose claims were grown: the size its claim template keeps, the one the volumes were created with. */
export const ANNOTATION_ORIGINAL_STORAGE_SIZE = 'cdk8s-databases.io/original-storage-size';

/**
 * On every grown claim: GitOps tools never delete it when it leaves the manifests (a deleted claim is lost data).
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#no-prune-resources
 * @see https://fluxcd.io/flux/components/kustomize/kustomizations/#garbage-collection
 */
export const NEVER_PRUNE: Readonly<Record<string, string>> = {
  'argocd.argoproj.io/sync-options': 'Prune=false',
  'kustomize.toolkit.fluxcd.io/prune': 'disabled',
};

/** The sizes of a database's data volumes. */
export interface StorageSizes {
  /** What the claim template asks for: the size the volumes were created with. */
  readonly template: Size;
  /** What every member's claim is grown to, when `storageSize` was raised past `originalStorageSize`. */
  readonly grown?: Size;
}

/** The props volume expansion reads (a subset of StatefulDatabaseProps, which storage must not import). */
export interface VolumeSizeProps {
  readonly storageSize?: Size;
  readonly originalStorageSize?: Size;
  readonly storageClassName?: string;
}

/**
 * Checks `originalStorageSize` against `storageSize` and returns the sizes to render. A StatefulSet's
 * `volumeClaimTemplates` cannot change (kubernetes #68737, KEP-661), so the template keeps the original size and
 * each member's claim is emitted at the new one: claims grow in place where the StorageClass allows expansion.
 * `storageSize` itself is checked by validateProps.
 */
export function planVolumeSizes(scope: IConstruct, props: VolumeSizeProps, defaultSize: Size): StorageSizes {
  const storage = props.storageSize ?? defaultSize;
  const original = props.originalStorageSize;
  if (original === undefined) return { template: storage };
  const originalMib = wholeMebibytes(scope, 'originalStorageSize', original,
    { min: 1, hint: 'give the size the data volumes were created with, e.g. `Size.gibibytes(10)`' });
  check(props.storageSize !== undefined, scope,
    `\`originalStorageSize\` (${quantityOf(original)}) is set without \`storageSize\`: it records the size the volumes were created with when \`storageSize\` grows them. `
    + `Set \`storageSize\` to the new size (at least ${quantityOf(original)}), or remove \`originalStorageSize\`.`);
  const storageMib = storage.toMebibytes();
  check(storageMib >= originalMib, scope,
    `\`storageSize\` (${quantityOf(storage)}) is smaller than \`originalStorageSize\` (${quantityOf(original)}): volumes never shrink (the API server refuses a smaller claim). `
    + `Set \`storageSize\` to at least ${quantityOf(original)}; for smaller volumes, create a new database and restore a backup into it (\`restoreFrom\`).`);
  if (storageMib === originalMib) return { template: storage };
  const className = props.storageClassName;
  if (className !== undefined) refuseClassWithoutExpansion({ database: scope, className, from: original, to: storage });
  return { template: original, grown: storage };
}

/** The claim template of one StatefulSet and how many members it has. */
export interface GrownClaimsOptions {
  readonly statefulSetName: string;
  readonly replicas: number;
  readonly template: k8s.KubePersistentVolumeClaimProps;
  readonly size: Size;
}

/**
 * Emits each member's claim as the StatefulSet controller names it, with the template's fields and the grown size:
 * `kubectl apply` patches `spec.resources.requests.storage` of the live claims, and on a fresh install creates them
 * at that size before the controller would (call it before creating the StatefulSet, so they come first).
 */
export function emitGrownClaims(scope: IConstruct, options: GrownClaimsOptions): void {
  const { metadata, spec } = options.template;
  for (let ordinal = 0; ordinal < options.replicas; ordinal++) {
    const name = memberClaimName(metadata!.name!, options.statefulSetName, ordinal);
    new k8s.KubePersistentVolumeClaim(scope, `Claim-${name}`, {
      metadata: { name, labels: metadata!.labels, annotations: { ...NEVER_PRUNE } },
      spec: { ...spec, resources: { requests: { storage: k8s.Quantity.fromString(quantityOf(options.size)) } } },
    });
  }
}

/** A database growing its claims of a StorageClass, checked at synth against the app's StorageClasses. */
interface Growth { readonly database: IConstruct; readonly className: string; readonly from: Size; readonly to: Size }

/** Per app root: every growth of claims of a named StorageClass, checked by one validation of the app. */
const growths = new WeakMap<IConstruct, Growth[]>();

/**
 * At synth, once every object exists (the StorageClass may be made after the database): refuses growth when the app
 * holds the StorageClass in use and it does not allow expansion, which the API server would answer by refusing the
 * claims' update. One validation of the app indexes its StorageClasses once and checks every growth (one walk of
 * the app per database made synth quadratic in the number of grown databases).
 */
function refuseClassWithoutExpansion(growth: Growth): void {
  appState(growths, growth.database, (): Growth[] => [], checkGrowths).push(growth);
}

function checkGrowths(root: IConstruct, all: Growth[]): string[] {
  const fixedClasses = new Map<string, ApiObject>();
  for (const c of root.node.findAll()) {
    if (!ApiObject.isApiObject(c)) continue;
    const o = c as ApiObject;
    if (o.kind === 'StorageClass' && !fixedClasses.has(o.name) && o.toJson().allowVolumeExpansion !== true) fixedClasses.set(o.name, o);
  }
  for (const { database, className, from, to } of all) {
    const fixed = fixedClasses.get(className);
    if (fixed) {
      throw new DatabaseConfigError(database,
        `\`storageSize\` (${quantityOf(to)}) grows the data volumes from \`originalStorageSize\` (${quantityOf(from)}), but StorageClass "${className}" (${fixed.node.path}) `
        + 'does not allow volume expansion: the API server refuses to grow claims of that class. Set `allowVolumeExpansion: true` on the StorageClass '
        + `(a change the API server accepts on an existing class), or keep \`storageSize\` at ${quantityOf(from)}.`);
    }
  }
  return [];
}
