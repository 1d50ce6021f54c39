import { Duration, Size } from 'cdk8s';
import { IConstruct } from 'constructs';
import { DatabaseConfigError, check } from './errors';

/**
 * The one place user numbers, sizes and durations are read. cdk8s' own conversions throw a plain
 * `Error` without a construct path for fractions (`Size.gibibytes(0.0001)`, `Duration.seconds(1.5)`),
 * and Kubernetes keeps most integers in int32: every reading here either returns a whole number
 * the API server accepts or throws a `DatabaseConfigError` naming the construct and the prop.
 */

/** The largest int32, the type of replicas, ports, ids, grace periods and most counts in the API. */
export const INT32_MAX = 2147483647;

export interface IntegerRange {
  /** @default 0 */
  readonly min?: number;
  /** @default INT32_MAX */
  readonly max?: number;
  /** What the number counts, for the message, e.g. "seconds". */
  readonly unit?: string;
}

function rangeText(min: number, max: number, unit?: string): string {
  return `a whole number from ${min} to ${max}${unit ? ` ${unit}` : ''}`;
}

/** Checks that `value` is a whole number within [min, max] (int32 by default) and returns it. */
export function checkInteger(scope: IConstruct, prop: string, value: number, range: IntegerRange = {}): number {
  const min = range.min ?? 0;
  const max = range.max ?? INT32_MAX;
  check(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max, scope,
    `\`${prop}\` (${String(value)}) must be ${rangeText(min, max, range.unit)}.`);
  return value;
}

/** Runs one of cdk8s' unit conversions, turning its plain error into ours. */
function convert(scope: IConstruct, prop: string, fix: string, fn: () => number): number {
  let value: number;
  try {
    value = fn();
  } catch (e) {
    throw new DatabaseConfigError(scope, `\`${prop}\` cannot be used: ${(e as Error).message} ${fix}`);
  }
  check(Number.isFinite(value), scope, `\`${prop}\` (${value}) is not a finite amount. ${fix}`);
  return value;
}

/** A duration as whole seconds within [min, max]. */
export function wholeSeconds(scope: IConstruct, prop: string, duration: Duration, range: IntegerRange = {}): number {
  const fix = 'Give a whole number of seconds, e.g. `Duration.seconds(30)` or `Duration.minutes(2)`.';
  const seconds = convert(scope, prop, fix, () => duration.toSeconds());
  return checkInteger(scope, prop, seconds, { unit: 'seconds', ...range });
}

/** A duration as whole minutes within [min, max]. */
export function wholeMinutes(scope: IConstruct, prop: string, duration: Duration, range: IntegerRange = {}): number {
  const fix = 'Give a whole number of minutes, e.g. `Duration.minutes(30)` or `Duration.hours(2)`.';
  const minutes = convert(scope, prop, fix, () => duration.toMinutes());
  return checkInteger(scope, prop, minutes, { unit: 'minutes', ...range });
}

/** A duration as whole hours within [min, max]. */
export function wholeHours(scope: IConstruct, prop: string, duration: Duration, range: IntegerRange = {}): number {
  const fix = 'Give a whole number of hours, e.g. `Duration.hours(24)` or `Duration.days(90)`.';
  const hours = convert(scope, prop, fix, () => duration.toHours());
  return checkInteger(scope, prop, hours, { unit: 'hours', ...range });
}

/**
 * A size as whole mebibytes within [min, max]. Quantities are rendered from this number as `<n>Mi`,
 * never in exponent form (`1e+24`), so the maximum keeps it a plain integer.
 */
export function wholeMebibytes(scope: IConstruct, prop: string, size: Size, range: IntegerRange = {}): number {
  const fix = 'Give a whole number of MiB, e.g. `Size.mebibytes(512)` or `Size.gibibytes(20)`.';
  const kib = convert(scope, prop, fix, () => size.toKibibytes());
  check(kib % 1024 === 0, scope, `\`${prop}\` (${kib} KiB) must be a whole number of MiB. ${fix}`);
  // 2^53 bytes is where integers stop being exact; a PiB-scale maximum is far below it.
  return checkInteger(scope, prop, kib / 1024, { unit: 'MiB', max: Number.MAX_SAFE_INTEGER / 1024 / 1024, ...range });
}
