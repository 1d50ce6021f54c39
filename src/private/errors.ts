import { IConstruct } from 'constructs';

/**
 * The one error every invalid prop or conflicting combination throws.
 *
 * The message always names the construct path, the prop, the reason and the fix, so a
 * failing `cdk8s synth` in CI points at the line to change.
 */
export class DatabaseConfigError extends Error {
  constructor(scope: IConstruct, message: string) {
    super(`${scope.node.path}: ${message}`);
    this.name = 'DatabaseConfigError';
  }
}

/** Throws a `DatabaseConfigError` naming `scope` when `condition` is false. */
export function check(condition: boolean, scope: IConstruct, message: string): asserts condition {
  if (!condition) throw new DatabaseConfigError(scope, message);
}
