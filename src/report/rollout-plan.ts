import { ApiObject } from 'cdk8s';
import { MemberRollout } from '../engines/engine-definition';

/**
 * What the StatefulSet controller reads when the pod template changes (a minor upgrade, an image bump, a setting
 * read at start), taken from the rendered StatefulSet so that a user's escape-hatch patch shows too.
 */
export interface RolloutStatefulSet {
  readonly name: string;
  readonly replicas: number;
  /** `RollingUpdate` or `OnDelete`. */
  readonly updateStrategy: string;
  /** Ordinals below it keep the old template (RollingUpdate only). */
  readonly partition: number;
  readonly minReadySeconds: number;
  /** `OrderedReady` or `Parallel`. */
  readonly podManagementPolicy: string;
  readonly terminationGracePeriodSeconds: number;
  /** A container of the pod has a preStop hook. */
  readonly preStop: boolean;
}

export interface RolloutInput {
  /** One StatefulSet, or one per rack of a ring. */
  readonly statefulSets: RolloutStatefulSet[];
  /** Several members with the engine's replication (ReplicatedDatabase), or one instance (StatefulDatabase). */
  readonly replicated: boolean;
  /** The engine's handover and readiness, where it has them. */
  readonly member?: MemberRollout;
  /** Names of the PodDisruptionBudgets over the members. */
  readonly budgets: string[];
}

/** Reads the rollout fields of a synthesized StatefulSet, with the API server's defaults for what it leaves out. */
export function rolloutStatefulSet(json: any): RolloutStatefulSet {
  const spec = json.spec ?? {};
  const pod = spec.template?.spec ?? {};
  const containers: any[] = [...(pod.containers ?? [])];
  return {
    name: json.metadata.name,
    replicas: spec.replicas ?? 1,
    updateStrategy: spec.updateStrategy?.type ?? 'RollingUpdate',
    partition: spec.updateStrategy?.rollingUpdate?.partition ?? 0,
    minReadySeconds: spec.minReadySeconds ?? 0,
    podManagementPolicy: spec.podManagementPolicy ?? 'OrderedReady',
    terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 30,
    preStop: containers.some((c) => c.lifecycle?.preStop !== undefined),
  };
}

/** What cdk8s keeps of an object before rendering it: the props it was made with and the user's JSON patches. */
interface Unrendered {
  readonly props?: { readonly spec?: unknown };
  readonly patches?: readonly unknown[];
}

/**
 * Reads the rollout fields of a StatefulSet the library made, as it synthesizes. Rendering resolves all of it, the
 * whole pod template (about 0.4 ms a StatefulSet, and an App validates twice per synth: the report of 1000
 * databases cost 0.8 s), while the fields read here are plain values the assembly wrote, equal before and after
 * rendering. So only a StatefulSet the user patched (`addJsonPatch`, the escape hatch) is rendered, for the patch to
 * show; should cdk8s no longer keep `props` and `patches`, every StatefulSet is rendered.
 */
export function readRolloutStatefulSet(statefulSet: ApiObject): RolloutStatefulSet {
  const { props, patches } = statefulSet as unknown as Unrendered;
  if (props?.spec === undefined || patches?.length !== 0) return rolloutStatefulSet(statefulSet.toJson());
  return rolloutStatefulSet({ ...props, metadata: { name: statefulSet.name } });
}

/**
 * The order a change of the pod template follows, as short sentences for the report. Kubernetes' part is the
 * StatefulSet controller's (kubernetes/kubernetes pkg/controller/statefulset/stateful_set_control.go
 * `updateStatefulSet`): it deletes the highest ordinal at or above the partition that is not on the new revision,
 * and the next only once that one is Running and Available (Ready for minReadySeconds). The engine's part is its
 * preStop hook and readiness probes (`ReplicationPlan.rollout`).
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#update-strategies
 * @see https://kubernetes.io/docs/concepts/workloads/pods/disruptions/#pod-disruption-budgets
 */
export function planRollout(input: RolloutInput): string[] {
  const sets = input.statefulSets;
  const rolling = sets.filter((s) => s.updateStrategy !== 'OnDelete');
  const plan = [
    'What rolls: a change of the pod template (image or version, resources, env, settings read at start, which the '
      + 'config-checksum annotation covers); a change elsewhere in the StatefulSet restarts nothing.',
    ...sets.map((s) => input.replicated ? memberOrder(s) : singleOrder(s)),
  ];
  if (input.replicated) {
    for (const policy of new Set(rolling.map((s) => s.podManagementPolicy))) {
      plan.push(policyEffect(policy, sets.length > 1 ? rolling.filter((s) => s.podManagementPolicy === policy) : []));
    }
    if (sets.length > 1) {
      plan.push(`The ${sets.length} StatefulSets (${sets.map((s) => s.name).join(', ')}) roll independently and at the same time: `
        + 'Kubernetes orders the members of one StatefulSet, never one StatefulSet after another, so one member of each may stop '
        + 'at once unless the engine\'s stop hook serialises them (below).');
    }
  }
  const stop = `${sets.some((s) => s.preStop) ? 'its preStop hook, then' : 'only'} SIGTERM, within the `
    + `${sets[0].terminationGracePeriodSeconds} s grace period`;
  if (!input.replicated) plan.push(`Stop: ${stop}.`);
  else plan.push(input.member ? `Handover: ${input.member.beforeStop}` : `Handover: none planned; a stopping member gets ${stop}.`);
  if (input.member) plan.push(`Ready means: ${input.member.readyWhen}.`);
  if (rolling.some((s) => s.partition < s.replicas)) {
    plan.push('An updated member that never becomes Ready stops the rollout there; reverting the template is not enough: '
      + 'also delete that pod, so that it is recreated from the reverted template (StatefulSet "forced rollback").');
  }
  if (input.budgets.length > 0) {
    plan.push(`PodDisruptionBudgets (${input.budgets.join(', ')}) do not gate this: the StatefulSet controller deletes pods itself, `
      + 'and budgets limit evictions (drains) only. A member down for the rollout does count against them, so a drain during the '
      + 'rollout may wait.');
  }
  return plan;
}

/** The members of one StatefulSet of a replicated database, in the order they take the new template. */
function memberOrder(s: RolloutStatefulSet): string {
  const updated = ordinalsDown(s.name, s.replicas - 1, s.partition);
  const held = ordinalsDown(s.name, Math.min(s.partition, s.replicas) - 1, 0);
  if (s.updateStrategy === 'OnDelete') {
    return `${s.name} (OnDelete): nothing rolls by itself; a member takes the new template only when its pod is deleted. `
      + `Delete them one at a time, highest ordinal first (${sequence(ordinalsDown(s.name, s.replicas - 1, 0))}), each once `
      + 'the one before it is Ready again (`kubectl wait --for=condition=Ready pod/<pod>`).';
  }
  if (updated.length === 0) {
    return `${s.name} (RollingUpdate, partition ${s.partition}): nothing rolls; the partition holds every member `
      + `(${held.join(', ')}) on the old template. Lower it to roll.`;
  }
  const partition = s.partition > 0 ? `, partition ${s.partition}` : '';
  return `${s.name} (RollingUpdate${partition}): ${sequence(updated)}, one at a time: the controller deletes a member, `
    + `recreates it from the new template and stops the next only once it is ${readiness(s)}.`
    + (held.length > 0 ? ` ${held.join(', ')} ${held.length > 1 ? 'stay' : 'stays'} on the old template (ordinals below the `
      + 'partition are held, and come back on it when deleted): lower the partition to 0 to finish.' : '');
}

/** The only member of a StatefulDatabase. */
function singleOrder(s: RolloutStatefulSet): string {
  const pod = `${s.name}-0`;
  const outage = `the database is unavailable from its stop until it is ${readiness(s)} again`;
  if (s.updateStrategy === 'OnDelete') {
    return `${s.name} (OnDelete): nothing rolls by itself; ${pod}, the only member, takes the new template when you delete it `
      + `(\`kubectl delete pod ${pod}\`): ${outage}.`;
  }
  if (s.partition >= 1) {
    return `${s.name} (RollingUpdate, partition ${s.partition}): nothing rolls; the partition holds ${pod}, the only member, on the `
      + 'old template. Set it to 0 to roll.';
  }
  return `${s.name} (RollingUpdate): ${pod}, the only member, restarts on the new template: ${outage}.`;
}

function policyEffect(policy: string, sets: RolloutStatefulSet[]): string {
  const which = sets.length > 0 ? ` (${sets.map((s) => s.name).join(', ')})` : '';
  return policy === 'Parallel'
    ? `podManagementPolicy Parallel${which} changes how members are created and removed when scaling, not updates: they still go `
      + 'one member at a time.'
    : `podManagementPolicy OrderedReady${which}: before it stops the next member the controller also waits until every member of `
      + 'the StatefulSet, updated or not, is Running and Ready, so a member down for another reason holds the rollout.';
}

function readiness(s: RolloutStatefulSet): string {
  return s.minReadySeconds > 0 ? `Running and Ready for ${s.minReadySeconds} s (minReadySeconds)` : 'Running and Ready';
}

/** `<name>-<from>` down to `<name>-<to>`. */
function ordinalsDown(name: string, from: number, to: number): string[] {
  const pods: string[] = [];
  for (let i = from; i >= to; i--) pods.push(`${name}-${i}`);
  return pods;
}

function sequence(pods: string[]): string {
  return pods.join(', then ');
}
