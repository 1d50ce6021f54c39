import { Duration } from 'cdk8s';

/** Options of a retention policy. */
export interface RetentionOptions {
  /**
   * Keep at most this many backups (the newest).
   * @default - no count limit (then `maxAge` is required)
   */
  readonly keepLast?: number;
  /**
   * Delete backups older than this; the newest backup is always kept.
   * @default - no age limit (then `keepLast` is required)
   */
  readonly maxAge?: Duration;
}

/**
 * How long backups are kept, enforced by the schedule itself: each run prunes what it created
 * (selected by its own labels or file names) and never touches anything else.
 */
export class Retention {
  /** Keep the newest `count` backups. */
  public static keepLast(count: number): Retention {
    return new Retention({ keepLast: count });
  }

  /** Keep backups younger than `age` (and always the newest). */
  public static maxAge(age: Duration): Retention {
    return new Retention({ maxAge: age });
  }

  /** Both limits: a backup goes when either says so (the newest is always kept). */
  public static of(options: RetentionOptions): Retention {
    return new Retention(options);
  }

  private constructor(private readonly options: RetentionOptions) {}

  /** Count limit, if any. */
  public get keepLastCount(): number | undefined {
    return this.options.keepLast;
  }

  /**
   * Age limit in seconds, if any. Not rounded (a fraction stays a fraction, for the schedule's check
   * to refuse with the construct path), where cdk8s' own conversion would throw without one.
   */
  public get maxAgeSeconds(): number | undefined {
    return this.options.maxAge?.toSeconds({ integral: false });
  }
}
