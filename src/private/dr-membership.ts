import { IConstruct } from 'constructs';
import type { CrossSiteReplication } from '../engines/engine-definition';

/**
 * How a DRPair tells the ReplicatedDatabase it creates that it is one site of a pair, without a public prop a user
 * could set half of: the pair registers the membership under the scope and id it is about to use, and the database's
 * constructor takes it (once).
 */
const pending = new WeakMap<IConstruct, Map<string, CrossSiteReplication>>();

export function expectSiteDatabase(scope: IConstruct, id: string, crossSite: CrossSiteReplication): void {
  const byId = pending.get(scope) ?? new Map<string, CrossSiteReplication>();
  byId.set(id, crossSite);
  pending.set(scope, byId);
}

export function takeSiteMembership(scope: IConstruct, id: string): CrossSiteReplication | undefined {
  const byId = pending.get(scope);
  const found = byId?.get(id);
  byId?.delete(id);
  return found;
}
