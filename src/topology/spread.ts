import { k8s } from 'cdk8s-plus-28';

/** Options of a required spread. */
export interface RequiredSpreadOptions {
  /**
   * How many more members one domain may hold than the least loaded one.
   * @default 1
   */
  readonly maxSkew?: number;
  /**
   * The number of domains the scheduler assumes exist: with fewer eligible domains, the global minimum
   * counts as zero, so pods stay Pending rather than pile into the remaining domains.
   * @default - the declared zone count (zones), none (hosts)
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/#spread-constraint-definition
   */
  readonly minDomains?: number;
  /**
   * Pod label keys whose values narrow the pods counted, e.g. `['controller-revision-hash']` so a rolling
   * update spreads the new revision by itself (Kubernetes 1.27+ beta, on by default from 1.27).
   * @default - none: all members count
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/#spread-constraint-definition
   */
  readonly matchLabelKeys?: string[];
}

/** Options of a preferred spread. */
export interface PreferredSpreadOptions {
  /**
   * @default 1
   */
  readonly maxSkew?: number;
  /**
   * Pod label keys whose values narrow the pods counted (see `RequiredSpreadOptions.matchLabelKeys`).
   * @default - none: all members count
   */
  readonly matchLabelKeys?: string[];
}

/**
 * How members spread over a topology domain (zones or hosts), as a topologySpreadConstraint.
 * Unlike required pod anti-affinity, a spread with `maxSkew` still schedules more members than domains.
 */
export class Spread {
  /** The scheduler refuses placements that break the skew (`DoNotSchedule`). */
  public static required(options: RequiredSpreadOptions = {}): Spread {
    return new Spread('DoNotSchedule', options.maxSkew ?? 1, options.minDomains, options.matchLabelKeys);
  }

  /** The scheduler prefers placements that keep the skew but schedules anyway (`ScheduleAnyway`). */
  public static preferred(options: PreferredSpreadOptions = {}): Spread {
    return new Spread('ScheduleAnyway', options.maxSkew ?? 1, undefined, options.matchLabelKeys);
  }

  /** No constraint over this domain. */
  public static none(): Spread {
    return new Spread(undefined, 0, undefined, undefined);
  }

  private constructor(
    /** `DoNotSchedule`, `ScheduleAnyway`, or undefined for none. */
    public readonly whenUnsatisfiable: string | undefined,
    /** Maximum skew. */
    public readonly maxSkew: number,
    /** minDomains, for required spreads. */
    public readonly minDomains: number | undefined,
    /** matchLabelKeys. */
    public readonly matchLabelKeys: string[] | undefined,
  ) {}

  /** Whether the scheduler enforces it. */
  public get isRequired(): boolean {
    return this.whenUnsatisfiable === 'DoNotSchedule';
  }
}

export const ZONE_KEY = 'topology.kubernetes.io/zone';
export const HOST_KEY = 'kubernetes.io/hostname';

/**
 * A topologySpreadConstraint over all members of a database. Tainted nodes the pods do not
 * tolerate and nodes their node affinity excludes are not counted as domains (`Honor`).
 */
export function spreadConstraint(spread: Spread, topologyKey: string, selector: Record<string, string>,
  minDomains?: number): k8s.TopologySpreadConstraint | undefined {
  if (!spread.whenUnsatisfiable) return undefined;
  return {
    topologyKey,
    maxSkew: spread.maxSkew,
    whenUnsatisfiable: spread.whenUnsatisfiable,
    labelSelector: { matchLabels: selector },
    ...(spread.isRequired && minDomains !== undefined ? { minDomains } : {}),
    ...(spread.matchLabelKeys && spread.matchLabelKeys.length > 0 ? { matchLabelKeys: spread.matchLabelKeys } : {}),
    nodeAffinityPolicy: 'Honor',
    nodeTaintsPolicy: 'Honor',
  };
}

/**
 * The most members one domain can hold when `replicas` spread over `domains` with this spread:
 * the skew bound allows max <= min + maxSkew, so max <= (replicas + (domains - 1) * maxSkew) / domains.
 * Without a required spread, every member may land in one domain.
 */
export function worstMembersPerDomain(required: boolean, maxSkew: number, replicas: number, domains: number): number {
  if (!required || domains <= 1) return replicas;
  return Math.min(replicas, Math.floor((replicas + (domains - 1) * maxSkew) / domains));
}
