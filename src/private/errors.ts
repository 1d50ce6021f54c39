import { IConstruct } from 'constructs';

/**
 * The one error every invalid prop or conflicting combination throws.
 *
 * The message always names the construct path, the prop, the reason and the fix, so a failing
 * `cdk8s synth` in CI points at the line to change. Catch it with `instanceof DatabaseConfigError`
 * (it is an `Error` too) or, across jsii languages, `DatabaseConfigError.isDatabaseConfigError(e)`.
 *
 * jsii refuses a class that extends `Error` (JSII3004), so the class is declared on its own and
 * joined to `Error`'s prototype chain below: `instanceof Error`, `stack` and `toString()` behave as
 * for any error.
 */
export class DatabaseConfigError {
  /** Whether `x` is an error thrown by this library for an invalid prop. */
  public static isDatabaseConfigError(x: any): boolean {
    return x instanceof DatabaseConfigError;
  }

  /** Always "DatabaseConfigError". */
  public readonly name: string = 'DatabaseConfigError';
  /** The construct path, then what is wrong and how to fix it. */
  public readonly message: string;
  /** Path of the construct whose props are wrong. */
  public readonly constructPath: string;
  /** Where it was thrown. */
  public readonly stack?: string;

  constructor(scope: IConstruct, message: string) {
    this.constructPath = scope.node.path;
    this.message = `${this.constructPath}: ${message}`;
    Error.captureStackTrace?.(this, DatabaseConfigError);
  }
}
Object.setPrototypeOf(DatabaseConfigError.prototype, Error.prototype);

/** Throws a `DatabaseConfigError` naming `scope` when `condition` is false. */
export function check(condition: boolean, scope: IConstruct, message: string): asserts condition {
  if (!condition) throw new DatabaseConfigError(scope, message);
}
