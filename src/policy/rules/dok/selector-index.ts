/**
 * Narrowing "which of these selectors select which of those label sets" from every pair to the few that share a label
 * pair. The indexes only ever return a superset, in the original order: the rules then apply their own exact test to
 * the candidates, so a verdict never depends on the index.
 */

/** The map of labels a selector requires exactly, as selectorMatches reads it (`matchLabels`, or a Service's plain map). */
export function requiredLabels(selector: any): Record<string, unknown> | undefined {
  if (!selector || typeof selector !== 'object') return undefined;
  const isLabelSelector = 'matchLabels' in selector || 'matchExpressions' in selector;
  const map = isLabelSelector ? selector.matchLabels ?? {} : selector;
  return map && typeof map === 'object' && !Array.isArray(map) ? map : undefined;
}

function pairKey(key: string, value: unknown): string {
  return `${key}\u0000${String(value)}`;
}

/** Items (workloads, pod templates) by each of their label pairs, and by each runtime key they have. */
export class LabelledIndex<T> {
  private readonly position = new Map<T, number>();
  private readonly byPair = new Map<string, T[]>();
  private readonly byRuntimeKey = new Map<string, T[]>();
  /** Items whose labels are not a map: any selector may select them (as far as the index knows). */
  private readonly unindexed: T[] = [];

  /**
   * @param labelsOf the labels a selector is tested against
   * @param runtimeKeys keys a selector term may match whatever the labels say (set at runtime)
   */
  constructor(public readonly items: T[], labelsOf: (item: T) => unknown, runtimeKeys: (item: T) => string[] = () => []) {
    items.forEach((item, i) => {
      this.position.set(item, i);
      const labels = labelsOf(item);
      if (!labels || typeof labels !== 'object') {
        this.unindexed.push(item);
      } else {
        for (const [k, v] of Object.entries(labels)) push(this.byPair, pairKey(k, v), item);
      }
      for (const k of new Set(runtimeKeys(item))) push(this.byRuntimeKey, k, item);
    });
  }

  /**
   * The items that may have every label of `required` (or the key at runtime), in their original order; every item when
   * `required` is undefined or empty.
   */
  public candidates(required: Record<string, unknown> | undefined): T[] {
    const entries = required ? Object.entries(required) : [];
    if (entries.length === 0) return this.items;
    let best: T[] | undefined;
    for (const [k, v] of entries) {
      const pair = this.byPair.get(pairKey(k, v)) ?? [];
      const runtime = this.byRuntimeKey.get(k) ?? [];
      const size = pair.length + runtime.length;
      if (best === undefined || size < best.length) best = runtime.length ? [...pair, ...runtime] : pair;
      if (best.length === 0) break;
    }
    return this.inOrder([...best!, ...this.unindexed]);
  }

  /** Position of an item in `items`, or undefined for one the index does not hold. */
  public indexOf(item: T): number | undefined {
    return this.position.get(item);
  }

  private inOrder(list: T[]): T[] {
    return [...new Set(list)].sort((a, b) => this.position.get(a)! - this.position.get(b)!);
  }
}

/**
 * Selectors by one label pair each of them requires: the selectors that may select a label set are those indexed under
 * one of its pairs (or whose pair's key is one of its runtime keys), plus those that require no pair at all.
 */
export class SelectorIndex<T> {
  private readonly position = new Map<T, number>();
  private readonly byPair = new Map<string, T[]>();
  private readonly byKey = new Map<string, T[]>();
  private readonly always: T[] = [];

  constructor(public readonly items: T[], required: (item: T) => Record<string, unknown> | undefined) {
    const pairs = items.map((item) => Object.entries(required(item) ?? {}));
    // Each selector goes under its rarest pair (an instance name rather than the engine's name shared by all).
    const frequency = new Map<string, number>();
    for (const entries of pairs) for (const [k, v] of entries) frequency.set(pairKey(k, v), (frequency.get(pairKey(k, v)) ?? 0) + 1);
    items.forEach((item, i) => {
      this.position.set(item, i);
      const rarest = pairs[i].reduce<[string, unknown] | undefined>((best, e) => (best === undefined
        || frequency.get(pairKey(e[0], e[1]))! < frequency.get(pairKey(best[0], best[1]))! ? e : best), undefined);
      if (!rarest) {
        this.always.push(item);
      } else {
        push(this.byPair, pairKey(rarest[0], rarest[1]), item);
        push(this.byKey, rarest[0], item);
      }
    });
  }

  /**
   * The selectors that may select one of `labelSets`, a term on one of `runtimeKeys` matching any value; in their
   * original order.
   */
  public candidates(labelSets: unknown[], runtimeKeys: string[] = []): T[] {
    const found: T[] = [...this.always];
    for (const labels of labelSets) {
      if (!labels || typeof labels !== 'object') return this.items;
      for (const [k, v] of Object.entries(labels)) found.push(...this.byPair.get(pairKey(k, v)) ?? []);
    }
    for (const k of runtimeKeys) found.push(...this.byKey.get(k) ?? []);
    return [...new Set(found)].sort((a, b) => this.position.get(a)! - this.position.get(b)!);
  }
}

function push<K, T>(map: Map<K, T[]>, key: K, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}
