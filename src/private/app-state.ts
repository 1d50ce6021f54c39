import { IConstruct } from 'constructs';

/**
 * State kept once per app (the root of the construct tree) and checked by one validation of the whole app: every
 * construct adds to it as it is made, and the check runs once at synth, however many constructs there are (a check
 * per construct that walks the app makes synth quadratic).
 * @param validate runs at synth with the app's root and the state, returning errors or throwing
 */
export function appState<T>(registry: WeakMap<IConstruct, T>, scope: IConstruct, create: () => T,
  validate: (root: IConstruct, state: T) => string[]): T {
  const root = scope.node.root;
  const existing = registry.get(root);
  if (existing !== undefined) return existing;
  const state = create();
  registry.set(root, state);
  root.node.addValidation({ validate: () => validate(root, state) });
  return state;
}
