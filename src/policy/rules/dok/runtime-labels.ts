import { labelsOf, runtimeLabelKeys, selectorMatches } from '../../manifest';

/**
 * Selectors against pod templates whose pods get some labels only at runtime (Patroni's `spilo-role`, the library's role
 * labeller): the template cannot say which value such a key will have, or whether it is set at all. Each runtime key is
 * tried absent, with every value the selectors name, and with a value none of them names.
 */

/** An assignment of runtime keys: a value, or undefined for "not set". */
export type RuntimeAssignment = Record<string, string | undefined>;

const OTHER_VALUE = '\u0000other';
/** At most this many runtime keys are enumerated (each multiplies the cases); the rest keep the template's value. */
const MAX_RUNTIME_KEYS = 4;

/**
 * Whether a selector selects `labels`; a malformed one (the API would refuse it) selects nothing, rather than throw on
 * other tools' YAML.
 */
export function selects(selector: any, labels: Record<string, string>): boolean {
  if (!selector || typeof selector !== 'object') return false;
  const { matchLabels, matchExpressions } = selector;
  if (matchLabels !== undefined && (matchLabels === null || typeof matchLabels !== 'object')) return false;
  if (matchExpressions !== undefined && (!Array.isArray(matchExpressions) || matchExpressions.some((e) => !e || typeof e !== 'object'))) return false;
  return selectorMatches(selector, labels);
}

/** The runtime label keys of a workload's pods (the controller's hint annotation). */
export function runtimeKeysOf(workload: any): string[] {
  return runtimeLabelKeys(workload).slice(0, MAX_RUNTIME_KEYS);
}

/** Values a selector names for `key`, in matchLabels, a plain map (Services) or expressions. */
export function valuesNamed(selector: any, key: string): string[] {
  if (!selector || typeof selector !== 'object') return [];
  const isLabelSelector = 'matchLabels' in selector || 'matchExpressions' in selector;
  const map = isLabelSelector ? selector.matchLabels ?? {} : selector;
  const values = typeof map?.[key] === 'string' ? [map[key]] : [];
  for (const e of isLabelSelector && Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
    if (e?.key === key && Array.isArray(e.values)) values.push(...e.values.filter((v: unknown) => typeof v === 'string'));
  }
  return values;
}

/** Every assignment of `keys` worth trying against `selectors`. */
export function runtimeAssignments(keys: string[], selectors: any[]): RuntimeAssignment[] {
  let result: RuntimeAssignment[] = [{}];
  for (const key of keys) {
    const candidates = [undefined, ...new Set(selectors.flatMap((s) => valuesNamed(s, key))), OTHER_VALUE];
    result = result.flatMap((a) => candidates.map((v) => ({ ...a, [key]: v })));
  }
  return result;
}

/** The labels of a pod of `template` under a runtime assignment. */
export function labelsUnder(templateLabels: Record<string, string>, assignment: RuntimeAssignment): Record<string, string> {
  const labels = { ...templateLabels };
  for (const [key, value] of Object.entries(assignment)) {
    if (value === undefined) delete labels[key];
    else labels[key] = value;
  }
  return labels;
}

/** The template labels of a workload. */
export function templateLabelsOf(workload: any, template: any): Record<string, string> {
  return template?.metadata?.labels ?? labelsOf(workload);
}

/**
 * The first runtime assignment under which every selector selects a pod of the template, or undefined when none does.
 * With no runtime keys this is plain selector matching.
 */
export function commonMatch(selectors: any[], templateLabels: Record<string, string>, keys: string[]): RuntimeAssignment | undefined {
  return runtimeAssignments(keys, selectors).find((a) => selectors.every((s) => selects(s, labelsUnder(templateLabels, a))));
}

/** How a runtime assignment reads in a finding: ` (pods labelled role=primary at runtime)`, or '' without runtime keys. */
export function describeAssignment(assignment: RuntimeAssignment, selectors: any[]): string {
  const parts = Object.entries(assignment).filter(([k]) => selectors.some((s) => mentions(s, k))).map(([k, v]) => (v === undefined ? `without ${k}` : v === OTHER_VALUE ? `with another ${k}` : `${k}=${v}`));
  return parts.length ? ` (pods ${parts.join(', ')} at runtime)` : '';
}

/** Whether a selector has a term on `key`. */
function mentions(selector: any, key: string): boolean {
  if (!selector || typeof selector !== 'object') return false;
  const isLabelSelector = 'matchLabels' in selector || 'matchExpressions' in selector;
  const map = isLabelSelector ? selector.matchLabels ?? {} : selector;
  return key in map || (Array.isArray(selector.matchExpressions) && selector.matchExpressions.some((e: any) => e?.key === key));
}
