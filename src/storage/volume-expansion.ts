import { ApiObject, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { DatabaseConfigError, check } from '../private/errors';
import { wholeMebibytes } from '../private/numbers';

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

/** The name the StatefulSet controller gives a member's claim: `<claim template>-<StatefulSet>-<ordinal>`. */
export function memberClaimName(claimTemplateName: string, statefulSetName: string, ordinal: number): string {
  return `${claimTemplateName}-${statefulSetName}-${ordinal}`;
}

/** A Size as a Kubernetes quantity: whole GiB where it is one, else MiB. */
export function quantityOf(size: Size): string {
  const mib = size.toMebibytes();
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}

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
  if (props.storageClassName !== undefined) refuseClassWithoutExpansion(scope, props.storageClassName, original, storage);
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

/**
 * At synth, once every object exists (the StorageClass may be made after the database): refuses growth when the app
 * holds the StorageClass in use and it does not allow expansion, which the API server would answer by refusing the
 * claims' update.
 */
function refuseClassWithoutExpansion(scope: IConstruct, className: string, from: Size, to: Size): void {
  scope.node.addValidation({
    validate: () => {
      const classes = scope.node.root.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c))
        .filter((o) => o.kind === 'StorageClass' && o.name === className);
      const fixed = classes.find((o) => o.toJson().allowVolumeExpansion !== true);
      if (fixed) {
        throw new DatabaseConfigError(scope,
          `\`storageSize\` (${quantityOf(to)}) grows the data volumes from \`originalStorageSize\` (${quantityOf(from)}), but StorageClass "${className}" (${fixed.node.path}) `
          + 'does not allow volume expansion: the API server refuses to grow claims of that class. Set `allowVolumeExpansion: true` on the StorageClass '
          + `(a change the API server accepts on an existing class), or keep \`storageSize\` at ${quantityOf(from)}.`);
      }
      return [];
    },
  });
}
