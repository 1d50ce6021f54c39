import * as fc from 'fast-check';
import { Family, validEngine } from './engines';
import { Outcome, assertRefusedWell, outcomeOf } from './outcome';
import { Fields } from './suspicious';

/** A valid base prop set (engine of `family`, each other field present one time in four). */
export function validBase(family: Family, replicated: boolean, fields: Fields) {
  return fc.tuple(validEngine(family, replicated), fc.record(Object.fromEntries(Object.entries(fields).map(([k, f]) =>
    [k, fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: f.valid, weight: 1 })]))))
    .map(([choice, rest]) => ({ engine: choice.engine, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) }));
}

/** One field and two different valid values of it. */
export function twoValues(fields: Fields) {
  return fc.constantFrom(...Object.keys(fields)).chain((key) =>
    fc.tuple(fields[key].valid, fields[key].valid)
      .filter(([a, b]) => fc.stringify(a) !== fc.stringify(b))
      .map(([a, b]) => ({ key, a, b })));
}

/** One prop and two different valid values of it. */
export interface PropChange { readonly key: string; readonly a: unknown; readonly b: unknown }

/** Property 4: with a valid base, two different values of one prop give different output, or one is refused. */
export function changeShows(build: (chart: any, props: any) => void, base: Record<string, unknown>, change: PropChange): void {
  const baseOutcome = outcomeOf((chart) => build(chart, base));
  fc.pre(baseOutcome.error === undefined);
  const refusedOrManifests = (o: Outcome) => {
    if (o.error !== undefined) assertRefusedWell(o.error);
    return o.manifests;
  };
  const first = refusedOrManifests(outcomeOf((chart) => build(chart, { ...base, [change.key]: change.a })));
  const second = refusedOrManifests(outcomeOf((chart) => build(chart, { ...base, [change.key]: change.b })));
  if (first && second && JSON.stringify(first) === JSON.stringify(second)) {
    throw new Error(`[property 4: a changed prop changes the output or is refused] \`${change.key}\` ${fc.stringify(change.a)} and ${fc.stringify(change.b)} give the same manifests: one is ignored`);
  }
}

/** Fields with at least two valid values (a field with one cannot be changed to another valid value). */
export function changeable(fields: Fields): Fields {
  return Object.fromEntries(Object.entries(fields).filter(([, f]) => {
    const seen = new Set(fc.sample(f.valid, { numRuns: 30, seed: 1 }).map((v) => fc.stringify(v)));
    return seen.size > 1;
  }));
}
