import { Names } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { withoutNamespace } from '../private/cluster-scoped';
import { check } from '../private/errors';
import { checkSubdomainName } from '../private/names';
import { INT32_MAX, checkInteger } from '../private/numbers';
import { claimObjectNames } from '../private/object-names';
import { checkStruct, describeValue } from '../private/value-types';

/** The highest priority a user PriorityClass may have (HighestUserDefinablePriority). */
const MAX_USER_PRIORITY = 1_000_000_000;

/** Properties of a `DatabasePriorityClass`. */
export interface DatabasePriorityClassProps {
  /**
   * Priority value; higher is scheduled first and preempted last. Values above one billion are reserved for system pods.
   * @default 1000000
   */
  readonly value?: number;
  /**
   * Name of the PriorityClass.
   * @default - derived from the construct path
   */
  readonly name?: string;
  /**
   * @default 'Priority of stateful database pods (cdk8s-databases).'
   */
  readonly description?: string;
}

/**
 * A PriorityClass for database pods, which the Data on Kubernetes whitepaper pairs with Guaranteed QoS:
 * under pressure, the scheduler preempts other work before the databases.
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/
 */
export class DatabasePriorityClass extends Construct {
  /** Name of the PriorityClass, for `priorityClassName`. */
  public readonly name: string;

  constructor(scope: Construct, id: string, props: DatabasePriorityClassProps = {}) {
    super(scope, id);
    checkStruct(this, 'props', props, '{ value: 1000000 }');
    this.name = props.name ?? Names.toDnsLabel(this);
    checkSubdomainName(this, 'name', this.name);
    const value = props.value ?? 1_000_000;
    const description = props.description ?? 'Priority of stateful database pods (cdk8s-databases).';
    check(typeof description === 'string', this, `\`description\` must be a string, not ${describeValue(description)}.`);
    // An int32; the API server keeps values above one billion for the system-critical classes.
    checkInteger(this, 'value', value, { min: -INT32_MAX - 1, max: MAX_USER_PRIORITY, hint: 'higher values are reserved for system-critical pods' });
    withoutNamespace(new k8s.KubePriorityClass(this, 'Resource', {
      metadata: { name: this.name, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-databases' } },
      value,
      globalDefault: false,
      preemptionPolicy: 'PreemptLowerPriority',
      description,
    }));
    claimObjectNames(this, 'Give each DatabasePriorityClass of the app its own `name`: PriorityClasses are cluster-wide.');
  }
}
