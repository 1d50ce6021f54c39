/** Operator of a toleration. */
export enum TolerationOperator {
  EQUAL = 'Equal',
  EXISTS = 'Exists',
}

/** Effect of a taint a toleration matches. */
export enum TaintEffect {
  NO_SCHEDULE = 'NoSchedule',
  PREFER_NO_SCHEDULE = 'PreferNoSchedule',
  NO_EXECUTE = 'NoExecute',
}

/** A toleration of a node taint. */
export interface DatabaseToleration {
  /** Taint key. */
  readonly key: string;
  /**
   * @default TolerationOperator.EQUAL
   */
  readonly matchOperator?: TolerationOperator;
  /**
   * Taint value (with EQUAL).
   * @default - none
   */
  readonly value?: string;
  /**
   * @default - all effects
   */
  readonly effect?: TaintEffect;
}

/** Operator of a node selector requirement. */
export enum NodeSelectorOperator {
  IN = 'In',
  NOT_IN = 'NotIn',
  EXISTS = 'Exists',
  DOES_NOT_EXIST = 'DoesNotExist',
  GT = 'Gt',
  LT = 'Lt',
}

/** A requirement on node labels, for required node affinity. */
export interface NodeRequirement {
  readonly key: string;
  readonly matchOperator: NodeSelectorOperator;
  /**
   * @default - none (Exists, DoesNotExist)
   */
  readonly values?: string[];
}

/**
 * Dedicated database nodes, as the Data on Kubernetes whitepaper suggests: pods select nodes with
 * a label and tolerate the taint that keeps other workloads away.
 */
export interface DedicatedNodes {
  /** Node label key, e.g. `workload`. */
  readonly labelKey: string;
  /** Node label value, e.g. `database`. */
  readonly labelValue: string;
  /**
   * Taint key the pods tolerate (with the label value and NoSchedule).
   * @default - the label key
   */
  readonly taintKey?: string;
}
