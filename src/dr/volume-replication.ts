import { ApiObject, Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { parseMemberClaimName } from '../private/claim-names';
import { withoutNamespace } from '../private/cluster-scoped';
import { check } from '../private/errors';
import { checkLabels, checkSubdomainName, isDnsLabel } from '../private/names';
import { wholeMinutes } from '../private/numbers';
import { checkStringMap, checkStruct, describeValue } from '../private/value-types';

const CSI_ADDONS_API = 'replication.storage.openshift.io/v1alpha1';
const STORK_API = 'stork.libopenstorage.org/v1alpha1';
/** Parameter keys under this prefix are the csi-addons controller's own; it refuses any it does not know. */
const RESERVED_PREFIX = 'replication.storage.openshift.io/';
const SECRET_NAME_KEY = `${RESERVED_PREFIX}replication-secret-name`;
const SECRET_NAMESPACE_KEY = `${RESERVED_PREFIX}replication-secret-namespace`;
const SCHEDULING_INTERVAL_KEY = 'schedulingInterval';
/** Stork replaces it in a background pre-exec command with the wait for the snapshot (pkg/cmdexecutor). */
const STORK_WAIT_PLACEHOLDER = '${WAIT_CMD}';
/** CSI spec: a driver name has at most 63 characters, alphanumerics at both ends, '-', '.' and alphanumerics between. */
const CSI_DRIVER_NAME = /^[A-Za-z0-9]([-.A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;

const DEFAULT_CSI_ADDONS_INTERVAL = Duration.minutes(5);
/** Stork's own `default-migration-policy` and `storkctl create migrationschedule` use 30 minutes. */
const DEFAULT_STORK_INTERVAL = Duration.minutes(30);

/**
 * What `storkctl activate migration` reads on a scaled-down workload: the replicas to scale it back to
 * (pkg/resourceutils/updatereplicas.go). A passive site's StatefulSets carry it with `replicas: 0`.
 */
export const STORK_MIGRATION_REPLICAS_ANNOTATION = 'stork.libopenstorage.org/migrationReplicas';

/** Options of csi-addons volume replication. */
export interface CsiAddonsReplicationOptions {
  /**
   * The CSI driver that provisions the data volumes and mirrors them, e.g. `rbd.csi.ceph.com`: the same as the
   * StorageClass's provisioner on both sites.
   * @see https://github.com/csi-addons/kubernetes-csi-addons/blob/main/docs/volumereplicationclass.md
   */
  readonly provisioner: string;

  /**
   * How often the driver ships a snapshot of each volume to the other site (the class's `schedulingInterval`,
   * written in minutes). The RPO is this interval plus the time one sync takes. The class's parameters are
   * immutable: changing the interval of a running pair needs a new `replicationClassName`.
   * @default Duration.minutes(5)
   */
  readonly interval?: Duration;

  /**
   * Name of the VolumeReplicationClass emitted on both sites (cluster-scoped).
   * @default - `<namespace>-<database>-replication`
   */
  readonly replicationClassName?: string;

  /**
   * Driver parameters, e.g. `{ mirroringMode: 'snapshot' }` for ceph-csi. The interval and the replication Secret
   * have their own props.
   * @default - none
   */
  readonly parameters?: { [key: string]: string };

  /**
   * Secret whose credentials the csi-addons controller passes to the driver, e.g. Rook's `rook-csi-rbd-provisioner`.
   * Set together with `replicationSecretNamespace`.
   * @default - none: the driver uses its own credentials
   */
  readonly replicationSecretName?: string;

  /**
   * Namespace of `replicationSecretName`, e.g. `rook-ceph`.
   * @default - none: only with `replicationSecretName`
   */
  readonly replicationSecretNamespace?: string;
}

/** Options of Portworx Stork migrations. */
export interface StorkReplicationOptions {
  /**
   * Name of the ClusterPair, in the database's namespace on the active site, that points at the other site. It holds
   * the other cluster's credentials, so it is never synthesized: create it with `storkctl create clusterpair`.
   * @see https://docs.portworx.com/portworx-enterprise/operations/disaster-recovery/async-dr.html
   */
  readonly clusterPair: string;

  /**
   * How often a Migration copies the data volumes to the other site (SchedulePolicy `intervalMinutes`). The RPO is
   * this interval plus the time one migration takes; synchronous pairs lose no data, and migrate only the claim
   * objects this often.
   * @default Duration.minutes(30)
   */
  readonly interval?: Duration;

  /**
   * Metro DR: one Portworx cluster stretched over both sites writes every block on both before acknowledging it
   * (RPO 0), and the migrations carry only the claim objects (`includeVolumes: false`). Needs a ClusterPair made with
   * `storkctl create clusterpair --mode sync-dr`, a witness node, and a round-trip latency of about 10 ms at most.
   * @default false
   * @see https://2.11.docs.portworx.com/operations/operate-kubernetes/disaster-recovery/
   */
  readonly synchronous?: boolean;
}

/** One site of a pair, as the back-ends see it. */
export interface VolumeReplicationSiteInput {
  readonly namespace: string;
  readonly databaseName: string;
  /** The member data claims, `<claim template>-<StatefulSet>-<ordinal>` (see private/claim-names). */
  readonly claims: string[];
  readonly statefulSetNames: string[];
  /** Labels of every object emitted. */
  readonly labels: Record<string, string>;
  /**
   * Labels the member claims carry (the claim template's): Stork then migrates only these claims, not every claim of
   * the namespace. Left out: the whole namespace.
   */
  readonly claimSelector?: Record<string, string>;
  /** Whether this site is the active one. */
  readonly primary: boolean;
}

/** A VolumeReplicationClass and its VolumeReplications, validated. */
export interface CsiAddonsObjectsOptions {
  readonly className: string;
  readonly provisioner: string;
  readonly intervalMinutes: number;
  readonly parameters?: Record<string, string>;
  readonly secretName?: string;
  readonly secretNamespace?: string;
}

/** A command Stork runs with `sh -c` in the selected pods around each migration (a Rule action). */
export interface StorkExecCommand {
  readonly podSelector: Record<string, string>;
  readonly command: string;
  /** @default - the pod's first container */
  readonly container?: string;
  /** Run in one of the selected pods only (e.g. the primary's CHECKPOINT). @default false */
  readonly runInSinglePod?: boolean;
  /**
   * Pre-exec only: keep the command running while the volumes are copied (a lock held by a session); the command
   * must hold `${WAIT_CMD}` where it waits. @default false
   */
  readonly background?: boolean;
}

/** Application consistency around each Stork migration: quiesce before, resume after. */
export interface StorkConsistency {
  readonly preExec?: StorkExecCommand;
  readonly postExec?: StorkExecCommand;
}

/** A SchedulePolicy, the pre/post Rules and a MigrationSchedule, validated. */
export interface StorkObjectsOptions extends StorkConsistency {
  readonly clusterPair: string;
  readonly intervalMinutes: number;
  /** @default false */
  readonly synchronous?: boolean;
}

/** What a back-end resolves to for one pair: plain data for the objects, the RPO figure and the report. */
export interface VolumeReplicationPlan {
  readonly backend: 'csi-addons' | 'stork';
  /** Replication interval: the RPO is at most this plus one sync, unless synchronous. */
  readonly intervalMinutes: number;
  /** Writes reach both sites before they are acknowledged: RPO 0. */
  readonly synchronous: boolean;
  readonly csiAddons?: CsiAddonsObjectsOptions;
  readonly stork?: StorkObjectsOptions;
}

/**
 * Storage-level replication of a database's data volumes to the other site of a DRPair. The storage copies blocks,
 * not transactions: the passive site's copy is crash-consistent (the engine recovers it as after a power loss), or
 * application-consistent where Stork runs the engine's quiesce around each copy. The passive site's database stays
 * scaled to zero until it is promoted, since its claims must be the replicated volumes, not new empty ones.
 */
export class VolumeReplicationBackend {
  /**
   * csi-addons `VolumeReplication`: one per data claim, `primary` on the active site and `secondary` on the passive
   * one, under a `VolumeReplicationClass` that sets the driver's snapshot interval (ceph-csi RBD mirroring,
   * for one). Asynchronous only: the API has no synchronous mode.
   * @see https://github.com/csi-addons/kubernetes-csi-addons/blob/main/docs/volumereplication.md
   */
  public static csiAddons(options: CsiAddonsReplicationOptions): VolumeReplicationBackend {
    return new VolumeReplicationBackend('csi-addons', options, undefined);
  }

  /**
   * Portworx Stork: on the active site a `MigrationSchedule` copies the data claims to the other site through an
   * existing ClusterPair, each time a `SchedulePolicy` fires, between the engine's quiesce and resume `Rule`s.
   * The passive site holds none of these.
   * @see https://github.com/libopenstorage/stork
   */
  public static stork(options: StorkReplicationOptions): VolumeReplicationBackend {
    return new VolumeReplicationBackend('stork', undefined, options);
  }

  private constructor(
    /** @internal */ public readonly _kind: 'csi-addons' | 'stork',
    private readonly csiAddonsOptions: CsiAddonsReplicationOptions | undefined,
    private readonly storkOptions: StorkReplicationOptions | undefined,
  ) {}

  /** @internal Whether writes reach both sites before they are acknowledged (RPO 0). */
  public get _synchronous(): boolean {
    return this.storkOptions?.synchronous === true;
  }

  /** @internal The replication interval in seconds (validated): the RPO is at most this plus one sync. */
  public _intervalSeconds(scope: IConstruct): number {
    return intervalMinutes(scope, this._kind, this._kind === 'csi-addons' ? this.csiAddonsOptions?.interval : this.storkOptions?.interval) * 60;
  }

  /** @internal Reads the options once, throwing for any the back-end cannot use. */
  public _plan(scope: IConstruct, site: { readonly namespace: string; readonly databaseName: string }): VolumeReplicationPlan {
    return this._kind === 'csi-addons'
      ? csiAddonsPlan(scope, this.csiAddonsOptions, site)
      : storkPlan(scope, this.storkOptions);
  }

  /** @internal The objects of one site; `consistency` is used by Stork (csi-addons copies are crash-consistent). */
  public _objects(scope: Construct, input: VolumeReplicationSiteInput, consistency: StorkConsistency = {}): ApiObject[] {
    const plan = this._plan(scope, input);
    return plan.csiAddons
      ? csiAddonsObjects(scope, input, plan.csiAddons)
      : storkObjects(scope, input, { ...plan.stork!, ...consistency });
  }
}

function intervalMinutes(scope: IConstruct, kind: 'csi-addons' | 'stork', interval: Duration | undefined): number {
  return kind === 'csi-addons'
    ? wholeMinutes(scope, 'csiAddons.interval', interval ?? DEFAULT_CSI_ADDONS_INTERVAL,
      { min: 1, hint: 'the class\'s schedulingInterval is written in whole minutes, e.g. Duration.minutes(5)' })
    : wholeMinutes(scope, 'stork.interval', interval ?? DEFAULT_STORK_INTERVAL,
      { min: 1, hint: 'SchedulePolicy intervalMinutes is a whole number of minutes, e.g. Duration.minutes(15)' });
}

function csiAddonsPlan(scope: IConstruct, options: CsiAddonsReplicationOptions | undefined,
  site: { readonly namespace: string; readonly databaseName: string }): VolumeReplicationPlan {
  checkStruct(scope, 'csiAddons', options, "{ provisioner: 'rbd.csi.ceph.com' }");
  const o = options as CsiAddonsReplicationOptions;
  check(typeof o.provisioner === 'string' && CSI_DRIVER_NAME.test(o.provisioner), scope,
    `\`csiAddons.provisioner\` (${describeValue(o.provisioner)}) is not a CSI driver name: give the provisioner of the data volumes' StorageClass, e.g. 'rbd.csi.ceph.com' (at most 63 letters, digits, '-' and '.', starting and ending with a letter or digit).`);
  const minutes = intervalMinutes(scope, 'csi-addons', o.interval);
  const className = o.replicationClassName ?? `${site.namespace}-${site.databaseName}-replication`;
  checkSubdomainName(scope, 'csiAddons.replicationClassName', className);
  if (o.parameters !== undefined) {
    checkStringMap(scope, 'csiAddons.parameters', o.parameters, "{ mirroringMode: 'snapshot' }");
    for (const key of Object.keys(o.parameters)) {
      check(!key.startsWith(RESERVED_PREFIX), scope,
        `\`csiAddons.parameters\` key "${key}" is reserved by the csi-addons controller: set the replication Secret with \`replicationSecretName\` and \`replicationSecretNamespace\`.`);
      check(key !== SCHEDULING_INTERVAL_KEY, scope,
        `\`csiAddons.parameters\` key "${key}" is set from \`interval\`: remove it and give \`interval: Duration.minutes(n)\`.`);
    }
  }
  const { replicationSecretName: secretName, replicationSecretNamespace: secretNamespace } = o;
  check((secretName === undefined) === (secretNamespace === undefined), scope,
    `\`csiAddons.replicationSecretName\` and \`replicationSecretNamespace\` go together (the controller reads the Secret from that namespace): set ${secretName === undefined ? '`replicationSecretName` too' : '`replicationSecretNamespace` too, e.g. \'rook-ceph\''}, or neither.`);
  if (secretName !== undefined) checkSubdomainName(scope, 'csiAddons.replicationSecretName', secretName);
  check(secretNamespace === undefined || (typeof secretNamespace === 'string' && isDnsLabel(secretNamespace)), scope,
    `\`csiAddons.replicationSecretNamespace\` (${describeValue(secretNamespace)}) is not a namespace name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit.`);
  return {
    backend: 'csi-addons',
    intervalMinutes: minutes,
    synchronous: false,
    csiAddons: { className, provisioner: o.provisioner, intervalMinutes: minutes, parameters: o.parameters, secretName, secretNamespace },
  };
}

function storkPlan(scope: IConstruct, options: StorkReplicationOptions | undefined): VolumeReplicationPlan {
  checkStruct(scope, 'stork', options, "{ clusterPair: 'site-b' }");
  const o = options as StorkReplicationOptions;
  check(typeof o.clusterPair === 'string', scope,
    `\`stork.clusterPair\` must be the name of the ClusterPair to the other site, not ${describeValue(o.clusterPair)}: create it with \`storkctl create clusterpair\` and give its name.`);
  checkSubdomainName(scope, 'stork.clusterPair', o.clusterPair);
  const minutes = intervalMinutes(scope, 'stork', o.interval);
  check(o.synchronous === undefined || typeof o.synchronous === 'boolean', scope,
    `\`stork.synchronous\` must be true or false, not ${describeValue(o.synchronous)}.`);
  const synchronous = o.synchronous ?? false;
  return { backend: 'stork', intervalMinutes: minutes, synchronous, stork: { clusterPair: o.clusterPair, intervalMinutes: minutes, synchronous } };
}

/** Checks what the pair hands over: a claim of no listed StatefulSet would replicate a volume the database never mounts. */
function checkSite(scope: IConstruct, input: VolumeReplicationSiteInput): void {
  check(input.claims.length > 0, scope, `database "${input.databaseName}" has no data claims to replicate.`);
  for (const claim of input.claims) {
    const owned = parseMemberClaimName(claim).some((p) => input.statefulSetNames.includes(p.statefulSetName));
    check(owned, scope,
      `claim "${claim}" is not a member claim (<claim template>-<StatefulSet>-<ordinal>) of ${input.statefulSetNames.join(', ')}.`);
  }
  checkLabels(scope, 'labels', input.labels);
}

/**
 * csi-addons: the VolumeReplicationClass (both sites: the VolumeReplications name it) and one VolumeReplication per
 * data claim, named after the claim, `primary` on the active site and `secondary` on the passive one.
 */
export function csiAddonsObjects(scope: Construct, input: VolumeReplicationSiteInput, options: CsiAddonsObjectsOptions): ApiObject[] {
  checkSite(scope, input);
  const parameters: Record<string, string> = {
    ...options.parameters,
    [SCHEDULING_INTERVAL_KEY]: `${options.intervalMinutes}m`,
    ...(options.secretName !== undefined ? { [SECRET_NAME_KEY]: options.secretName, [SECRET_NAMESPACE_KEY]: options.secretNamespace! } : {}),
  };
  const replicationClass = withoutNamespace(new ApiObject(scope, 'VolumeReplicationClass', {
    apiVersion: CSI_ADDONS_API,
    kind: 'VolumeReplicationClass',
    metadata: { name: options.className, labels: input.labels },
    spec: { provisioner: options.provisioner, parameters },
  }));
  const replications = input.claims.map((claim) => new ApiObject(scope, `VolumeReplication-${claim}`, {
    apiVersion: CSI_ADDONS_API,
    kind: 'VolumeReplication',
    metadata: { name: claim, namespace: input.namespace, labels: input.labels },
    spec: {
      volumeReplicationClass: options.className,
      replicationState: input.primary ? 'primary' : 'secondary',
      dataSource: { kind: 'PersistentVolumeClaim', name: claim },
      // A demoted old primary that diverged stays in error until someone asks for `resync`, which discards its
      // unreplicated writes: never automatic.
      autoResync: false,
    },
  }));
  return [replicationClass, ...replications];
}

function checkExec(scope: IConstruct, prop: string, exec: StorkExecCommand, pre: boolean): void {
  checkStringMap(scope, `${prop}.podSelector`, exec.podSelector, "{ 'app.kubernetes.io/instance': 'orders' }");
  check(Object.keys(exec.podSelector).length > 0, scope,
    `\`${prop}.podSelector\` is empty: Stork would run the command in every pod of the namespace. Give the database's pod labels.`);
  checkLabels(scope, `${prop}.podSelector`, exec.podSelector);
  check(typeof exec.command === 'string' && exec.command.trim() !== '', scope,
    `\`${prop}.command\` must be a shell command, not ${describeValue(exec.command)}.`);
  check(exec.container === undefined || isDnsLabel(exec.container), scope,
    `\`${prop}.container\` (${describeValue(exec.container)}) is not a container name.`);
  check(pre || !exec.background, scope,
    `\`${prop}.background\` is only for pre-exec commands: Stork refuses background actions in post-exec rules.`);
  check(!exec.background || exec.command.includes(STORK_WAIT_PLACEHOLDER), scope,
    `\`${prop}.command\` runs in the background but holds no ${STORK_WAIT_PLACEHOLDER}: Stork replaces it with the wait for the copy; put it where the command holds its lock.`);
}

function storkRule(scope: Construct, id: string, name: string, input: VolumeReplicationSiteInput, exec: StorkExecCommand): ApiObject {
  return new ApiObject(scope, id, {
    apiVersion: STORK_API,
    kind: 'Rule',
    metadata: { name, namespace: input.namespace, labels: input.labels },
    rules: [{
      podSelector: exec.podSelector,
      ...(exec.container !== undefined ? { container: exec.container } : {}),
      actions: [{
        type: 'command',
        value: exec.command,
        ...(exec.background ? { background: true } : {}),
        ...(exec.runInSinglePod ? { runInSinglePod: true } : {}),
      }],
    }],
  });
}

/**
 * Stork, active site only: the SchedulePolicy (cluster-scoped, so named after the namespace too), the quiesce and
 * resume Rules, and the MigrationSchedule. Volumes only (`includeResources: false`): the passive site's chart holds
 * its own StatefulSets, which Stork would otherwise overwrite; the migrated claims bind to them by name.
 */
export function storkObjects(scope: Construct, input: VolumeReplicationSiteInput, options: StorkObjectsOptions): ApiObject[] {
  checkSite(scope, input);
  if (!input.primary) return [];
  if (options.preExec) checkExec(scope, 'preExec', options.preExec, true);
  if (options.postExec) checkExec(scope, 'postExec', options.postExec, false);
  if (input.claimSelector) checkLabels(scope, 'claimSelector', input.claimSelector);
  const policyName = `${input.namespace}-${input.databaseName}-dr`;
  const objects = [withoutNamespace(new ApiObject(scope, 'StorkSchedulePolicy', {
    apiVersion: STORK_API,
    kind: 'SchedulePolicy',
    metadata: { name: policyName, labels: input.labels },
    policy: { interval: { intervalMinutes: options.intervalMinutes } },
  }))];
  const preRule = `${input.databaseName}-dr-quiesce`;
  const postRule = `${input.databaseName}-dr-resume`;
  if (options.preExec) objects.push(storkRule(scope, 'StorkPreExecRule', preRule, input, options.preExec));
  if (options.postExec) objects.push(storkRule(scope, 'StorkPostExecRule', postRule, input, options.postExec));
  objects.push(new ApiObject(scope, 'StorkMigrationSchedule', {
    apiVersion: STORK_API,
    kind: 'MigrationSchedule',
    metadata: { name: `${input.databaseName}-dr`, namespace: input.namespace, labels: input.labels },
    spec: {
      schedulePolicyName: policyName,
      suspend: false,
      template: {
        spec: {
          clusterPair: options.clusterPair,
          namespaces: [input.namespace],
          includeResources: false,
          // Synchronous: the stretched Portworx cluster already holds the data on both sites.
          includeVolumes: !(options.synchronous ?? false),
          startApplications: false,
          purgeDeletedResources: false,
          ...(input.claimSelector ? { selectors: input.claimSelector } : {}),
          ...(options.preExec ? { preExecRule: preRule } : {}),
          ...(options.postExec ? { postExecRule: postRule } : {}),
        },
      },
    },
  }));
  return objects;
}

/**
 * A passive site's StatefulSet under Stork: zero replicas, and the count `storkctl activate migration` scales it back
 * to. (The DRPair's own promotion flips `activeSite`; this keeps Stork's runbook working too.)
 */
export function storkPassiveAnnotations(replicas: number): Record<string, string> {
  return { [STORK_MIGRATION_REPLICAS_ANNOTATION]: String(replicas) };
}
