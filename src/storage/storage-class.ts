import { ApiObjectMetadata, Names } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PvcRetention } from './volume';
import { checkChoice, checkFlag } from '../private/choices';
import { withoutNamespace } from '../private/cluster-scoped';
import { check } from '../private/errors';
import { checkSubdomainName, isQualifiedKey } from '../private/names';
import { claimObjectNames } from '../private/object-names';
import { checkStringList, checkStringMap, checkStruct } from '../private/value-types';

/** When a volume is provisioned and bound. */
export enum VolumeBindingMode {
  /** Provision where the pod is scheduled: the volume lands in the pod's zone. */
  WAIT_FOR_FIRST_CONSUMER = 'WaitForFirstConsumer',
  /** Provision at once, wherever the provisioner likes; pods may then not fit the zone. */
  IMMEDIATE = 'Immediate',
}

/** Properties of a `DatabaseStorageClass`. */
export interface DatabaseStorageClassProps {
  /** CSI provisioner, e.g. `ebs.csi.aws.com` or `pd.csi.storage.gke.io`. */
  readonly provisioner: string;
  /**
   * Provisioner parameters, e.g. `{ type: 'gp3', encrypted: 'true' }`.
   * @default - none
   */
  readonly parameters?: Record<string, string>;
  /**
   * Name of the StorageClass.
   * @default - derived from the construct path
   */
  readonly name?: string;
  /**
   * What happens to a volume when its claim is deleted.
   * @default PvcRetention.RETAIN
   */
  readonly reclaimPolicy?: PvcRetention;
  /**
   * @default VolumeBindingMode.WAIT_FOR_FIRST_CONSUMER
   */
  readonly volumeBindingMode?: VolumeBindingMode;
  /**
   * Whether claims can grow in place (volume expansion, a day-2 operation).
   * @default true
   */
  readonly allowVolumeExpansion?: boolean;
  /**
   * @default - none
   */
  readonly mountOptions?: string[];
}

/**
 * A StorageClass made for databases: volumes are created in the zone where the pod lands
 * (WaitForFirstConsumer), can grow, and are kept when their claim is deleted (Retain).
 * @see https://kubernetes.io/docs/concepts/storage/storage-classes/
 */
export class DatabaseStorageClass extends Construct {
  /** Name of the StorageClass, for `storageClassName`. */
  public readonly name: string;

  constructor(scope: Construct, id: string, props: DatabaseStorageClassProps) {
    super(scope, id);
    checkStruct(this, 'props', props, "{ provisioner: 'ebs.csi.aws.com' }");
    this.name = props.name ?? Names.toDnsLabel(this);
    checkSubdomainName(this, 'name', this.name);
    checkStorageClassProps(this, props);
    const metadata: ApiObjectMetadata = { name: this.name, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-databases' } };
    withoutNamespace(new k8s.KubeStorageClass(this, 'Resource', {
      metadata,
      provisioner: props.provisioner,
      parameters: props.parameters,
      reclaimPolicy: props.reclaimPolicy ?? PvcRetention.RETAIN,
      volumeBindingMode: props.volumeBindingMode ?? VolumeBindingMode.WAIT_FOR_FIRST_CONSUMER,
      allowVolumeExpansion: props.allowVolumeExpansion ?? true,
      mountOptions: props.mountOptions,
    }));
    claimObjectNames(this, 'Give each DatabaseStorageClass of the app its own `name`: StorageClasses are cluster-wide.');
  }
}

// The API server's limits on provisioner parameters (k8s.io/kubernetes pkg/apis/storage/validation).
const MAX_PARAMETERS = 512;
const MAX_PARAMETERS_BYTES = 256 * 1024;

function checkStorageClassProps(scope: Construct, props: DatabaseStorageClassProps): void {
  checkChoice(scope, 'reclaimPolicy', props.reclaimPolicy, PvcRetention, 'PvcRetention');
  checkChoice(scope, 'volumeBindingMode', props.volumeBindingMode, VolumeBindingMode, 'VolumeBindingMode');
  checkFlag(scope, 'allowVolumeExpansion', props.allowVolumeExpansion);
  const provisioner = props.provisioner;
  check(typeof provisioner === 'string' && provisioner.length > 0, scope, '`provisioner` is empty: name the CSI driver, e.g. `ebs.csi.aws.com`.');
  // The API server lower-cases it and checks a qualified name: an optional DNS prefix and '/', then at most 63 characters.
  check(isQualifiedKey(provisioner.toLowerCase()), scope,
    `\`provisioner\` ("${provisioner}") is not a valid provisioner name: give the CSI driver's name, e.g. \`ebs.csi.aws.com\` or \`kubernetes.io/aws-ebs\` (at most 63 letters, digits, '-', '_' or '.' after an optional DNS prefix and '/').`);
  if (props.parameters !== undefined) checkStringMap(scope, 'parameters', props.parameters, "{ type: 'gp3', encrypted: 'true' }");
  if (props.mountOptions !== undefined) checkStringList(scope, 'mountOptions', props.mountOptions, "['noatime']");
  const parameters = Object.entries(props.parameters ?? {});
  check(parameters.length <= MAX_PARAMETERS, scope, `\`parameters\` has ${parameters.length} entries; a StorageClass takes at most ${MAX_PARAMETERS}.`);
  let bytes = 0;
  for (const [key, value] of parameters) {
    check(key.length > 0, scope, '`parameters` has an empty key: name every parameter.');
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  check(bytes <= MAX_PARAMETERS_BYTES, scope, `\`parameters\` hold ${bytes} bytes; a StorageClass takes at most ${MAX_PARAMETERS_BYTES} (256 KiB).`);
  for (const option of props.mountOptions ?? []) {
    check(option.length > 0 && !/\s/.test(option), scope,
      `\`mountOptions\` entry "${option}" must be a non-empty option without spaces, e.g. 'noatime'.`);
  }
}
