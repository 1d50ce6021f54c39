import { ENV_RING_LOCK } from '../../engines/cassandra-ring';
import { rolloutStatefulSet } from '../../report/rollout-plan';
import { ApplyVerdict } from '../apply-finding';
import { ApplyRule, Manifest, finding, identity, instanceOf, kubectlTarget, namespacedKey, sameJson } from './manifests';

/** Whether the pod template of this StatefulSet differs from the previous output's StatefulSet of the same identity. */
function templateChanged(sts: Manifest, previous: Map<string, Manifest>): boolean {
  const old = previous.get(identity(sts));
  return old !== undefined && !sameJson(old.spec?.template, sts.spec?.template);
}

/**
 * Whether the engine serializes the stops of this StatefulSet's members with its siblings': a Cassandra ring node's
 * preStop takes the ring's Lease (named in its env), so racks rolled together still stop one node at a time.
 */
const stopsSerialized = (sts: Manifest) => (sts.spec?.template?.spec?.containers ?? [])
  .some((c: Manifest) => (c.env ?? []).some((e: Manifest) => e.name === ENV_RING_LOCK));

const onDelete = (sts: Manifest) => rolloutStatefulSet(sts).updateStrategy === 'OnDelete';

/**
 * What a pod template change does to the members. The StatefulSet controller rolls one StatefulSet one pod at a time
 * (RollingUpdate), but each StatefulSet on its own: the racks of one ring, changed in one apply, each restart a member
 * at the same moment, unless the engine serializes their stops (a Cassandra ring's preStop Lease). With OnDelete, or a
 * partition at or above the replicas, nothing restarts.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#update-strategies
 */
export const statefulSetRollout: ApplyRule = (previous, current, context) => {
  if (previous?.kind !== 'StatefulSet' || current?.kind !== 'StatefulSet' || sameJson(previous.spec?.template, current.spec?.template)) return [];
  const namespace = current.metadata?.namespace ? ` -n ${current.metadata.namespace}` : '';
  if (onDelete(current)) {
    return [finding(current, 'spec.template', ApplyVerdict.NO_EFFECT,
      'the pod template changes, but the update strategy is OnDelete: no pod runs the new template until it is deleted',
      `delete the pods one at a time, waiting for each to be Ready: \`kubectl delete pod ${current.metadata?.name}-<i>${namespace}\`, highest ordinal first`)];
  }
  // The same reading, with the API server's defaults, as the report's rollout plan.
  const { replicas, partition } = rolloutStatefulSet(current);
  if (partition >= replicas) {
    return [finding(current, 'spec.template', ApplyVerdict.NO_EFFECT,
      `the pod template changes, but the rolling update's partition (${partition}) is at or above the replicas (${replicas}): only pods from ordinal ${partition} up are updated, and there are none`,
      `lower the partition (\`UpdateStrategy.rollingUpdate({ partition })\`) step by step to roll the members, e.g. \`kubectl rollout status statefulset/${current.metadata?.name}${namespace}\` after each`)];
  }
  const instance = instanceOf(current);
  const siblings = instance === undefined || stopsSerialized(current) ? []
    : (context.currentStatefulSetsByInstance.get(namespacedKey(current.metadata?.namespace, instance)) ?? [])
      .filter((m) => m !== current && !onDelete(m) && templateChanged(m, context.previous));
  if (siblings.length > 0) {
    const names = [current, ...siblings].map((m) => m.metadata?.name).sort();
    return [finding(current, 'spec.template', ApplyVerdict.RESTARTS_ALL,
      `the pod templates of ${names.length} StatefulSets of \`${instance}\` (${names.join(', ')}) change in one apply: each rolls on its own, `
      + 'so one member of every rack restarts at the same moment, which can take a range below quorum',
      `apply one StatefulSet at a time and wait for it: \`kubectl apply\` with only ${current.metadata?.name}, then \`kubectl rollout status ${kubectlTarget(current)}\`, then the next rack`)];
  }
  if (replicas === 1) {
    return [finding(current, 'spec.template', ApplyVerdict.RESTARTS_ALL,
      'the pod template changes and the database has one member: it restarts, and the database is unavailable until it is Ready again',
      'apply in a maintenance window, or run replicas (ReplicatedDatabase) so members restart one at a time')];
  }
  return [];
};
