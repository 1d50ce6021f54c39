/** Options of a rolling update. */
export interface RollingUpdateOptions {
  /**
   * Only pods with an ordinal greater than or equal to the partition are updated: a canary
   * for a new engine version or configuration.
   * @default 0
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#partitions
   */
  readonly partition?: number;
}

/** How the StatefulSet replaces pods when the template changes. */
export class UpdateStrategy {
  /** Replace pods one at a time, highest ordinal first, waiting for each to be ready. */
  public static rollingUpdate(options: RollingUpdateOptions = {}): UpdateStrategy {
    return new UpdateStrategy('RollingUpdate', options.partition ?? 0);
  }

  /** Replace pods only when someone deletes them: for engines upgraded by hand, member by member. */
  public static onDelete(): UpdateStrategy {
    return new UpdateStrategy('OnDelete', undefined);
  }

  private constructor(
    /** `RollingUpdate` or `OnDelete`. */
    public readonly strategyType: string,
    /** Partition of a rolling update. */
    public readonly partition: number | undefined,
  ) {}
}

/** Whether pods start one after another or all at once. */
export enum PodManagementPolicy {
  /** One at a time, in ordinal order (StatefulSet default). */
  ORDERED_READY = 'OrderedReady',
  /** All at once: for engines that find their peers themselves. */
  PARALLEL = 'Parallel',
}
