import { DatabaseConfigError } from '../../src';

/** Expects `build` to throw our error, with a message holding (string) or matching (RegExp) every fragment. */
export function expectRefused(build: () => unknown, ...fragments: Array<string | RegExp>): void {
  let error: unknown;
  try {
    build();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DatabaseConfigError);
  const message = (error as DatabaseConfigError).message;
  for (const f of fragments) {
    if (typeof f === 'string') expect(message).toContain(f);
    else expect(message).toMatch(f);
  }
}
