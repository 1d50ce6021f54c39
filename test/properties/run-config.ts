/**
 * How many prop sets each property tries, and from which seed. `npm test` runs a few per property so the tier stays
 * fast; `npm run fuzz` sets FUZZ_RUNS (2000 by default) and FUZZ_SEED to explore more.
 */
export const SEED = Number(process.env.FUZZ_SEED ?? 42);
export const FUZZED = process.env.FUZZ_RUNS !== undefined;

/** Runs of one property: FUZZ_RUNS when fuzzing, else `quick` (chosen per property to keep `npm test` fast). */
export function runs(quick: number): number {
  return FUZZED ? Number(process.env.FUZZ_RUNS) : quick;
}

/** fast-check parameters every property shares: fixed seed, counterexample path printed for replay. */
export function params(quick: number) {
  return { seed: SEED, numRuns: runs(quick), verbose: 0 as const, endOnFailure: false };
}

/** Jest timeout of a property test: generous when fuzzing. */
export const TIMEOUT_MS = FUZZED ? 3_600_000 : 60_000;
