import { Duration, Size } from 'cdk8s';
import { IConstruct } from 'constructs';
import { DatabaseConfigError, check } from './errors';
import { checkInstance, describeValue } from './value-types';

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
  /** Why the bounds are what they are, or how to fix the value: ends the message. */
  readonly hint?: string;
}

function rangeText(min: number, max: number, range: IntegerRange): string {
  return `a whole number from ${min} to ${max}${range.unit ? ` ${range.unit}` : ''}${range.hint ? `: ${range.hint}` : ''}`;
}

/** Checks that `value` is a whole number within [min, max] (int32 by default) and returns it. */
export function checkInteger(scope: IConstruct, prop: string, value: number, range: IntegerRange = {}): number {
  const min = range.min ?? 0;
  const max = range.max ?? INT32_MAX;
  check(typeof value === 'number', scope, `\`${prop}\` must be a number, not ${describeValue(value)}: give ${rangeText(min, max, range)}.`);
  check(Number.isInteger(value) && value >= min && value <= max, scope,
    `\`${prop}\` (${String(value)}) must be ${rangeText(min, max, range)}.`);
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
  checkInstance(scope, prop, duration, Duration, 'cdk8s `Duration`', '`Duration.seconds(30)`');
  const fix = 'Give a whole number of seconds, e.g. `Duration.seconds(30)` or `Duration.minutes(2)`.';
  const seconds = convert(scope, prop, fix, () => duration.toSeconds());
  return checkInteger(scope, prop, seconds, { unit: 'seconds', ...range });
}

/** A duration as whole minutes within [min, max]. */
export function wholeMinutes(scope: IConstruct, prop: string, duration: Duration, range: IntegerRange = {}): number {
  checkInstance(scope, prop, duration, Duration, 'cdk8s `Duration`', '`Duration.minutes(30)`');
  const fix = 'Give a whole number of minutes, e.g. `Duration.minutes(30)` or `Duration.hours(2)`.';
  const minutes = convert(scope, prop, fix, () => duration.toMinutes());
  return checkInteger(scope, prop, minutes, { unit: 'minutes', ...range });
}

/** A duration as whole hours within [min, max]. */
export function wholeHours(scope: IConstruct, prop: string, duration: Duration, range: IntegerRange = {}): number {
  checkInstance(scope, prop, duration, Duration, 'cdk8s `Duration`', '`Duration.hours(24)`');
  const fix = 'Give a whole number of hours, e.g. `Duration.hours(24)` or `Duration.days(90)`.';
  const hours = convert(scope, prop, fix, () => duration.toHours());
  return checkInteger(scope, prop, hours, { unit: 'hours', ...range });
}

/**
 * The largest size read, in MiB (8 PiB): 2^53 bytes is where integers stop being exact, and engines
 * derive byte counts (buffers, caches, heaps) from the size. It renders as a plain `<n>Mi`.
 */
export const MAX_MEBIBYTES = Math.floor(Number.MAX_SAFE_INTEGER / 1024 / 1024);

/**
 * A size as whole mebibytes within [min, max]. Quantities are rendered from this number as `<n>Mi`,
 * never in exponent form (`1e+24`), so the maximum keeps it a plain integer.
 */
export function wholeMebibytes(scope: IConstruct, prop: string, size: Size, range: IntegerRange = {}): number {
  checkInstance(scope, prop, size, Size, 'cdk8s `Size`', '`Size.gibibytes(20)`');
  const fix = 'Give a whole number of MiB, e.g. `Size.mebibytes(512)` or `Size.gibibytes(20)`.';
  const kib = convert(scope, prop, fix, () => size.toKibibytes());
  check(kib % 1024 === 0, scope, `\`${prop}\` (${kib} KiB) must be a whole number of MiB. ${fix}`);
  return checkInteger(scope, prop, kib / 1024, { unit: 'MiB', max: MAX_MEBIBYTES, ...range });
}

/** The longest Go `time.Duration` in whole hours (int64 nanoseconds): cert-manager parses `<n>h` into one. */
export const GO_DURATION_MAX_HOURS = 2562047;

const PLAIN_MILLIS = /^(-?)([0-9]{1,16})m$/;
const PLAIN_UNITS = /^(-?)([0-9]{1,13})(?:\.([0-9]{1,3}))?$/;

/**
 * A cdk8s-plus `Cpu` amount ("250m", "2", "1.5") as millicores, or NaN when it is not a plain decimal
 * of whole millicores: `Cpu.units(1e21)` gives "1e+21" and `Cpu.units(0.0001)` a tenth of a millicore.
 */
export function millicoresOf(amount: string): number {
  const millis = PLAIN_MILLIS.exec(amount);
  if (millis) return (millis[1] ? -1 : 1) * Number(millis[2]);
  const units = PLAIN_UNITS.exec(amount);
  if (units) return (units[1] ? -1 : 1) * (Number(units[2]) * 1000 + Number((units[3] ?? '').padEnd(3, '0')));
  return NaN;
}

/** A CPU amount as whole millicores within [min, max] (int32 by default), rendered as a plain `<n>m`. */
export function wholeMillicores(scope: IConstruct, prop: string, amount: string, range: IntegerRange = {}): number {
  const millis = millicoresOf(String(amount));
  check(!Number.isNaN(millis), scope,
    `\`${prop}\` ("${amount}") is not a whole number of millicores written plainly: give e.g. \`Cpu.millis(500)\` or \`Cpu.units(2)\`.`);
  return checkInteger(scope, prop, millis, { unit: 'millicores', ...range });
}
