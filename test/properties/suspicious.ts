import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';

/**
 * "Valid values plus one suspicious value each": prop sets are mostly valid, with at most one field swapped for an
 * edge value (empty, huge, fractional, negative, NaN, 2^31, 2^32, unicode, capitals, shell metacharacters, 64+
 * characters, '/', '..'). Class instances are labelled so a counterexample prints as the code that builds it.
 */

/** Gives `value` the printed form `label` in fast-check counterexamples. */
export function labelled<T extends object>(value: T, label: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => label, enumerable: false });
  return value;
}

/** A cdk8s or construct-library value built by `make`, printed as `code`; undefined when building it throws. */
function built<T extends object>(code: string, make: () => T): T | undefined {
  try {
    return labelled(make(), code);
  } catch {
    return undefined;
  }
}
const defined = <T>(values: Array<T | undefined>): T[] => values.filter((v): v is T => v !== undefined);

export const EDGE_STRINGS = [
  '', ' ', 'x'.repeat(64), 'a'.repeat(300), 'Orders', 'ünïcødé', '日本', '$(x)', '`id`', '${X}', "'", '"', ';', 'a;b',
  'a\nb', '\n', 'a/b', '..', '../x', '-a', 'a b', '\\', '*', '#', 'a=b', '%s', '\t', 'a.b',
];
export const EDGE_NUMBERS = [0, -1, 0.5, 1.5, NaN, 2 ** 31, 2 ** 32, Infinity, -Infinity, 1e24, 2 ** 53 + 2, -(2 ** 31) - 1];

export const edgeString = () => fc.constantFrom(...EDGE_STRINGS);
export const edgeNumber = () => fc.constantFrom(...EDGE_NUMBERS);

export const edgeDuration = () => fc.constantFrom(...defined([
  built('Duration.seconds(0.5)', () => Duration.seconds(0.5)),
  built('Duration.millis(1500)', () => Duration.millis(1500)),
  built('Duration.seconds(0)', () => Duration.seconds(0)),
  built('Duration.seconds(NaN)', () => Duration.seconds(NaN)),
  built('Duration.seconds(Infinity)', () => Duration.seconds(Infinity)),
  built('Duration.seconds(2**31)', () => Duration.seconds(2 ** 31)),
  built('Duration.seconds(2**32)', () => Duration.seconds(2 ** 32)),
  built('Duration.days(1e9)', () => Duration.days(1e9)),
]));

export const edgeSize = () => fc.constantFrom(...defined([
  built('Size.mebibytes(0.5)', () => Size.mebibytes(0.5)),
  built('Size.kibibytes(1)', () => Size.kibibytes(1)),
  built('Size.gibibytes(0)', () => Size.gibibytes(0)),
  built('Size.gibibytes(0.0001)', () => Size.gibibytes(0.0001)),
  built('Size.gibibytes(NaN)', () => Size.gibibytes(NaN)),
  built('Size.gibibytes(2**32)', () => Size.gibibytes(2 ** 32)),
  built('Size.pebibyte(1e9)', () => Size.pebibyte(1e9)),
  built('Size.mebibytes(2**31)', () => Size.mebibytes(2 ** 31)),
]));

export const edgeCpu = () => fc.constantFrom(...defined([
  built('Cpu.millis(0)', () => kplus.Cpu.millis(0)),
  built('Cpu.millis(0.5)', () => kplus.Cpu.millis(0.5)),
  built('Cpu.units(0.0001)', () => kplus.Cpu.units(0.0001)),
  built('Cpu.units(NaN)', () => kplus.Cpu.units(NaN)),
  built('Cpu.millis(-1)', () => kplus.Cpu.millis(-1)),
  built('Cpu.units(2**32)', () => kplus.Cpu.units(2 ** 32)),
  built('Cpu.units(1e24)', () => kplus.Cpu.units(1e24)),
]));

/** A record of strings with one edge key or edge value. */
export const edgeRecord = (validKey: string, validValue: string) => fc.oneof(
  edgeString().map((k) => ({ [k]: validValue })),
  edgeString().map((v) => ({ [validKey]: v })),
);

/** An array with one element swapped for an edge, or empty, or a duplicate. */
export function edgeArray<T>(valid: T[], edge: fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.oneof<fc.Arbitrary<T[]>[]>(
    fc.constant([] as T[]),
    fc.constant(valid.length ? [valid[0], valid[0]] : []),
    edge.map((e) => [...valid.slice(1), e]),
  );
}

/** How one field is generated: its valid values, and its suspicious ones. */
export interface Field<T = unknown> {
  readonly valid: fc.Arbitrary<T>;
  readonly edge: fc.Arbitrary<T>;
}
export type Fields = Record<string, Field>;

/** A field the construct refuses in this setting (e.g. a single-instance prop on a replicated database): tried only as the swap. */
export function onlyAsEdge(f: Field): Field {
  return { valid: fc.constant(undefined), edge: fc.oneof(f.edge, f.valid) };
}

/** A generated prop set, and which field (if any) carries a suspicious value. */
export interface Sample<P> {
  readonly props: P;
  readonly suspicious?: string;
}

/**
 * Prop sets from `fields`: `required` keys always present, each optional key present about one time in `presence`,
 * and, one time in two, one key (present or not) swapped for one of its edge values.
 */
export function oneSuspicious<P>(fields: Fields, required: string[] = [], presence = 4): fc.Arbitrary<Sample<P>> {
  const keys = Object.keys(fields);
  const base = fc.record(Object.fromEntries(keys.map((k) => [k, required.includes(k)
    ? fields[k].valid
    : fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant(undefined), weight: presence - 1 }, { arbitrary: fields[k].valid, weight: 1 })])));
  const swap = fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: fc.oneof(...keys.map((k) => fields[k].edge.map((v) => ({ key: k, value: v })))), weight: 1 },
  );
  return fc.tuple(swap, base).map(([s, b]) => {
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(b)) if (v !== undefined) props[k] = v;
    if (s) props[s.key] = s.value;
    return { props: props as P, suspicious: s?.key };
  });
}
