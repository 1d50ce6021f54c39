import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { appState } from './app-state';
import { namespaceOf } from './cluster-scoped';
import { clusterOf } from './clusters';
import { check } from './errors';

/** Per app root: every object this library's constructs emitted, by `kind/namespace/name`, and the construct that emitted it. */
const emitted = new WeakMap<IConstruct, Map<string, IConstruct>>();

/**
 * Claims the kind, namespace and name of every object under `owner` for it, across the whole app (all charts),
 * and throws at the first one another construct (or `owner` itself) already emitted: Kubernetes would keep one
 * of the two, and `kubectl apply` would silently replace the first with the second.
 * Called when a construct is complete, so the second of two colliding constructs fails as it is created,
 * with `Testing.synth` and `app.synth()` alike.
 * @param fix what to change, naming the prop that derives the names
 */
export function claimObjectNames(owner: IConstruct, fix: string): void {
  const claimed = appState(emitted, owner, () => new Map<string, IConstruct>(), duplicateObjects);
  for (const c of owner.node.findAll()) {
    if (!ApiObject.isApiObject(c)) continue;
    const obj = c as ApiObject;
    const namespace = namespaceOf(obj);
    const key = `${clusterOf(obj)}/${obj.kind}/${namespace ?? ''}/${obj.name}`;
    const first = claimed.get(key);
    const where = namespace ? ` in namespace "${namespace}"` : '';
    const what = first === owner ? `two ${obj.kind} objects named "${obj.name}"${where}` : `${obj.kind} "${obj.name}"${where}, which ${first?.node.path} emits too`;
    check(first === undefined, owner,
      `emits ${what}: Kubernetes keeps one object per kind, namespace and name, so one would replace the other. ${fix}`);
    claimed.set(key, owner);
  }
}

/**
 * The app-level check, run at synth once every construct exists: two objects of one API group, kind, namespace and
 * name anywhere in the app — the user's own objects included (a Service \`orders\` beside a database \`orders\`),
 * which \`claimObjectNames\` cannot see when they are created after the database.
 */
function duplicateObjects(root: IConstruct): string[] {
  const seen = new Map<string, ApiObject>();
  const errors: string[] = [];
  for (const c of root.node.findAll()) {
    if (!ApiObject.isApiObject(c)) continue;
    const obj = c as ApiObject;
    const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
    const namespace = namespaceOf(obj);
    const key = `${clusterOf(obj)}/${group}/${obj.kind}/${namespace ?? ''}/${obj.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, obj);
      continue;
    }
    const where = namespace ? ` in namespace "${namespace}"` : '';
    errors.push(`${obj.kind} "${obj.name}"${where} is emitted twice, by ${first.node.path} and by ${obj.node.path}: Kubernetes keeps one ` +
      'object per kind, namespace and name, so `kubectl apply` would replace the first with the second. Rename one of them ' +
      '(a database derives its objects\' names from its `name`: <name>, <name>-headless, <name>-metrics, <name>-config, <name>-creds...).');
  }
  return errors;
}
