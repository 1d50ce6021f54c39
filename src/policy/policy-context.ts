import { objectNamespace } from './manifest';

/** Every object a check sees, for rules that compare objects (budgets against replicas, Services against pods). */
export class PolicyContext {
  /** The rendered objects, as JSON, in the order they were given. */
  public readonly objects: any[];
  private readonly byKind = new Map<string, any[]>();
  private readonly byKindAndNamespace = new Map<string, any[]>();
  private readonly memos = new Map<string, unknown>();

  constructor(objects: any[]) {
    this.objects = objects.filter((o) => o && typeof o === 'object' && typeof o.kind === 'string');
    for (const o of this.objects) {
      const list = this.byKind.get(o.kind) ?? [];
      list.push(o);
      this.byKind.set(o.kind, list);
      const key = `${o.kind}\0${objectNamespace(o)}`;
      const inNamespace = this.byKindAndNamespace.get(key) ?? [];
      inNamespace.push(o);
      this.byKindAndNamespace.set(key, inNamespace);
    }
  }

  /** The objects of one kind (e.g. `StatefulSet`), in every namespace. */
  public ofKind(kind: string): any[] {
    return this.byKind.get(kind) ?? [];
  }

  /** The objects of one kind in one namespace (`default` for objects that name none). */
  public inNamespace(kind: string, namespaceName: string): any[] {
    return this.byKindAndNamespace.get(`${kind}\0${namespaceName}`) ?? [];
  }

  /**
   * A value computed once per check (an index a rule needs for every object), under a key of the rule's choosing.
   * Rules run over every object: without it, a rule comparing objects costs the square of their number.
   * @jsii ignore jsii has no function types: for rules written in TypeScript
   */
  public memo(key: string, build: () => any): any {
    if (!this.memos.has(key)) this.memos.set(key, build());
    return this.memos.get(key);
  }

  /**
   * One object by kind, namespace and name.
   * @returns undefined when the set has none
   */
  public find(kind: string, namespaceName: string, name: string): any | undefined {
    if (Number.isNaN(name as unknown)) return undefined; // `===` never matches NaN, a Map would
    // By name, built once per kind and namespace: rules look up a Service or ServiceAccount for every workload.
    const byName: Map<unknown, any> = this.memo(`context:by-name:${kind}\0${namespaceName}`, () => {
      const index = new Map<unknown, any>();
      for (const o of this.inNamespace(kind, namespaceName)) if (!index.has(o.metadata?.name)) index.set(o.metadata?.name, o);
      return index;
    });
    return byName.get(name);
  }
}
