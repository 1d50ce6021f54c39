import { ShellCommand, isExpanded } from './shell-commands';

/**
 * The Kubernetes API requests a script's `kubectl` and `curl` calls make, as RBAC authorizes them (verb, API group,
 * resource with subresource, name, namespace). Only what can be read for sure: a call with an unknown flag, a resource
 * type held in a variable, a file argument or another kubeconfig gives no requests.
 */
export interface ApiRequest {
  readonly verb: string;
  readonly group: string;
  /** `statefulsets`, or with a subresource `statefulsets/scale`. */
  readonly resource: string;
  /** The object's name when the request names one: undefined for collections; `*` for a name known only at run time. */
  readonly name?: string;
  /** The namespace the call gives (`-n`), undefined for the pod's own. */
  readonly namespace?: string;
  /** The call, for findings. */
  readonly call: string;
}

/** The result of reading one call: its requests, or that it uses credentials of its own (no ServiceAccount token). */
export interface CallReading {
  readonly requests: ApiRequest[];
  readonly ownCredentials: boolean;
}

/** Resource names and short names of `kubectl api-resources` (built-in kinds and the snapshot CRDs), to [group, plural]. */
const RESOURCES: Record<string, [string, string]> = {};
for (const [group, resource, ...aliases] of [
  ['', 'pods', 'pod', 'po'], ['', 'configmaps', 'configmap', 'cm'], ['', 'secrets', 'secret'], ['', 'services', 'service', 'svc'],
  ['', 'persistentvolumeclaims', 'persistentvolumeclaim', 'pvc'], ['', 'persistentvolumes', 'persistentvolume', 'pv'],
  ['', 'serviceaccounts', 'serviceaccount', 'sa'], ['', 'endpoints', 'ep'], ['', 'events', 'event', 'ev'], ['', 'namespaces', 'namespace', 'ns'],
  ['', 'nodes', 'node', 'no'], ['', 'replicationcontrollers', 'replicationcontroller', 'rc'], ['', 'resourcequotas', 'resourcequota', 'quota'],
  ['', 'limitranges', 'limitrange', 'limits'],
  ['apps', 'statefulsets', 'statefulset', 'sts'], ['apps', 'deployments', 'deployment', 'deploy'], ['apps', 'daemonsets', 'daemonset', 'ds'],
  ['apps', 'replicasets', 'replicaset', 'rs'], ['apps', 'controllerrevisions', 'controllerrevision'],
  ['batch', 'jobs', 'job'], ['batch', 'cronjobs', 'cronjob', 'cj'], ['policy', 'poddisruptionbudgets', 'poddisruptionbudget', 'pdb'],
  ['coordination.k8s.io', 'leases', 'lease'], ['networking.k8s.io', 'networkpolicies', 'networkpolicy', 'netpol'],
  ['storage.k8s.io', 'storageclasses', 'storageclass', 'sc'], ['discovery.k8s.io', 'endpointslices', 'endpointslice'],
  ['snapshot.storage.k8s.io', 'volumesnapshots', 'volumesnapshot', 'vs'],
  ['snapshot.storage.k8s.io', 'volumesnapshotcontents', 'volumesnapshotcontent', 'vsc', 'vscs'],
  ['snapshot.storage.k8s.io', 'volumesnapshotclasses', 'volumesnapshotclass', 'vsclass', 'vsclasses'],
]) {
  for (const n of [resource, ...aliases]) RESOURCES[n] = [group, resource];
}

/** Flags taking a value, of every subcommand read here (`-f` and `-p` differ for logs: see `BOOLEAN_FOR`). */
const VALUE_FLAGS = new Set([
  '-n', '--namespace', '-l', '--selector', '-o', '--output', '-c', '--container', '-f', '--filename', '-p', '--patch', '--type',
  '--replicas', '--for', '--timeout', '--field-selector', '--current-replicas', '--resource-version', '-L', '--label-columns',
  '--sort-by', '--template', '--since', '--since-time', '--tail', '--grace-period', '--cascade', '--dry-run', '--chunk-size',
  '--field-manager', '--subresource', '--revision', '--from', '--from-literal', '--from-file', '--from-env-file', '--limit-bytes',
  '--pod-running-timeout', '--max-log-requests', '--request-timeout', '-v', '--v', '--duration', '--audience', '--bound-object-kind',
  '--bound-object-name', '--image', '--restart', '--validate',
]);
const BOOLEAN_FLAGS = new Set([
  '--all', '-A', '--all-namespaces', '--ignore-not-found', '--overwrite', '--wait', '-w', '--watch', '--watch-only', '--local',
  '--server-side', '--force', '--now', '-i', '--stdin', '-t', '--tty', '-q', '--quiet', '--no-headers', '--show-labels', '--show-kind',
  '--recursive', '-R', '--record', '--force-conflicts', '--previous', '--follow', '--timestamps', '--prefix', '--ignore-errors',
  '--all-containers', '--list', '--append-hash', '--save-config', '--prune', '--no-preserve', '--insecure-skip-tls-verify',
]);
/** Flags that make kubectl use other credentials than the pod's ServiceAccount token. */
const CREDENTIAL_FLAGS = new Set(['--kubeconfig', '--token', '--server', '-s', '--context', '--user', '--cluster', '--as', '--as-group',
  '--client-certificate', '--client-key', '--username', '--password']);

interface KubectlArgs { positional: string[]; afterDash: string[]; flags: Map<string, string | true> }

/** The requests of one `kubectl ...` call (words from `kubectl` on). */
export function kubectlRequests(command: ShellCommand): CallReading {
  const none: CallReading = { requests: [], ownCredentials: false };
  // Global flags may come before the subcommand: `kubectl -n other get pods`.
  let at = 1;
  while (command.words[at]?.startsWith('-')) at += VALUE_FLAGS.has(command.words[at]) || CREDENTIAL_FLAGS.has(command.words[at]) ? 2 : 1;
  const sub = command.words[at];
  const parsed = parseArgs([...command.words.slice(1, at), ...command.words.slice(at + 1)], sub === 'logs' ? ['-f', '-p'] : []);
  if (parsed === 'credentials') return { requests: [], ownCredentials: true };
  if (!parsed || sub === undefined || isExpanded(sub)) return none;
  const namespaceFlag = parsed.flags.get('-n') ?? parsed.flags.get('--namespace');
  if (namespaceFlag === true || (typeof namespaceFlag === 'string' && isExpanded(namespaceFlag))) return none;
  if (parsed.flags.has('-A') || parsed.flags.has('--all-namespaces')) return none; // cluster-wide lists: not read
  const dryRun = parsed.flags.get('--dry-run');
  if (dryRun === 'client') return none;
  const call = ['kubectl', ...command.words.slice(1)].join(' ');
  const requests: ApiRequest[] = [];
  const add = (verb: string, target: Target, subresource?: string, name = target.name) =>
    requests.push({
      verb,
      group: target.group,
      resource: subresource ? `${target.resource}/${subresource}` : target.resource,
      name,
      namespace: target.namespace ?? (namespaceFlag as string | undefined),
      call,
    });
  const selected = parsed.flags.has('-l') || parsed.flags.has('--selector') || parsed.flags.has('--field-selector') || parsed.flags.has('--all');
  const targets = (args: string[]) => targetsOf(args, selected);
  switch (sub) {
    case 'get': {
      const watch = parsed.flags.has('-w') || parsed.flags.has('--watch') || parsed.flags.has('--watch-only');
      for (const t of targets(parsed.positional) ?? []) {
        add(t.name ? 'get' : 'list', t);
        if (watch) add('watch', t);
      }
      break;
    }
    case 'wait': case 'rollout':
      if (sub === 'rollout' && parsed.positional[0] !== 'status') return none;
      // kubectl wait and rollout status get the object, then list and watch it (a field selector on its name).
      for (const t of targets(sub === 'rollout' ? parsed.positional.slice(1) : parsed.positional) ?? []) {
        if (t.name) add('get', t);
        add('list', t);
        add('watch', t);
      }
      break;
    case 'patch': case 'label': case 'annotate': {
      // The resource builder gets each named object before patching it (kubectl's RetrieveLazy).
      const subresource = typeof parsed.flags.get('--subresource') === 'string' ? parsed.flags.get('--subresource') as string : undefined;
      if (parsed.flags.has('-f') || parsed.flags.has('--filename')) return none;
      const objects = sub === 'patch' ? parsed.positional : parsed.positional.slice(0, 1).concat(namesBeforeLabels(parsed.positional.slice(1)));
      for (const t of targets(objects) ?? []) {
        add(t.name ? 'get' : 'list', t, subresource);
        add('patch', t, subresource);
      }
      break;
    }
    case 'scale':
      // Gets the object, then patches its scale subresource (or gets and updates it under a precondition).
      for (const t of targets(parsed.positional) ?? []) {
        add(t.name ? 'get' : 'list', t);
        if (parsed.flags.has('--current-replicas') || parsed.flags.has('--resource-version')) {
          add('get', t, 'scale');
          add('update', t, 'scale');
        } else {
          add('patch', t, 'scale');
        }
      }
      break;
    case 'delete':
      if (parsed.flags.has('-f') || parsed.flags.has('--filename')) return none;
      for (const t of targets(parsed.positional) ?? []) {
        if (!t.name) add('list', t);
        add('delete', t);
      }
      break;
    case 'apply': case 'create':
      return { requests: applyRequests(sub, parsed, command, call, namespaceFlag as string | undefined), ownCredentials: false };
    case 'exec': case 'logs': case 'cp': {
      const pod = podOf(sub, parsed.positional, selected);
      if (!pod) return none;
      const target: Target = { group: '', resource: 'pods', name: pod.name, namespace: pod.namespace };
      add(pod.name ? 'get' : 'list', target);
      if (sub === 'logs') add('get', target, 'log', pod.name ?? '*');
      else add('create', target, 'exec');
      break;
    }
    default:
      return none;
  }
  return { requests, ownCredentials: false };
}

/** Flags and positional words; undefined when a flag is unknown (its value would be taken for an argument). */
function parseArgs(args: string[], booleanHere: string[]): KubectlArgs | 'credentials' | undefined {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return { positional, afterDash: args.slice(i + 1), flags };
    if (!a.startsWith('-') || a === '-') { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (CREDENTIAL_FLAGS.has(name)) return 'credentials';
    if (eq > 0) { flags.set(name, a.slice(eq + 1)); continue; }
    if (booleanHere.includes(name) || BOOLEAN_FLAGS.has(name)) { flags.set(name, true); continue; }
    if (VALUE_FLAGS.has(name)) {
      if (i + 1 >= args.length) return undefined; // kubectl refuses the call: nothing is requested
      flags.set(name, args[++i]);
      continue;
    }
    if (/^-[a-zA-Z]{2,}$/.test(a) && [...a.slice(1)].every((l) => BOOLEAN_FLAGS.has(`-${l}`) || booleanHere.includes(`-${l}`))) {
      for (const l of a.slice(1)) flags.set(`-${l}`, true);
      continue;
    }
    if (/^-[a-zA-Z]./.test(a) && VALUE_FLAGS.has(a.slice(0, 2))) { flags.set(a.slice(0, 2), a.slice(2)); continue; } // -nfoo
    return undefined;
  }
  return { positional, afterDash: [], flags };
}

interface Target { group: string; resource: string; name?: string; namespace?: string }

/**
 * `TYPE[,TYPE] [NAME...]` or `TYPE/NAME...`: the objects named, or the collections when none is (or a selector is
 * given). Undefined when a type cannot be read (a variable, an unknown short name).
 */
function targetsOf(args: string[], selected: boolean): Target[] | undefined {
  if (args.length === 0) return undefined;
  const out: Target[] = [];
  if (args[0].includes('/')) {
    for (const a of args) {
      const slash = a.indexOf('/');
      const type = resolveType(a.slice(0, slash));
      if (!type || slash < 0) return undefined;
      out.push({ ...type, name: nameOf(a.slice(slash + 1)) });
    }
    return out;
  }
  for (const typeWord of args[0].split(',')) {
    const type = resolveType(typeWord);
    if (!type) return undefined;
    const names = args.slice(1);
    if (names.length === 0 || selected) out.push({ ...type });
    else for (const n of names) out.push({ ...type, name: nameOf(n) });
  }
  return out;
}

/** label/annotate: the names before the first `key=value` or `key-` argument. */
function namesBeforeLabels(args: string[]): string[] {
  const end = args.findIndex((a) => a.includes('=') || /-$/.test(a));
  return end < 0 ? args : args.slice(0, end);
}

function nameOf(word: string): string {
  return isExpanded(word) ? '*' : word;
}

/** `sts`, `statefulset`, `statefulsets.apps`, `statefulsets.v1.apps`, `volumereplication.replication.storage.openshift.io`. */
export function resolveType(word: string): { group: string; resource: string } | undefined {
  if (!word || isExpanded(word)) return undefined;
  const lower = word.toLowerCase();
  const dot = lower.indexOf('.');
  if (dot < 0) {
    const known = RESOURCES[lower];
    return known ? { group: known[0], resource: known[1] } : undefined;
  }
  let group = lower.slice(dot + 1);
  const versioned = /^v\d+(?:(?:alpha|beta)\d+)?\.(.+)$/.exec(group);
  if (versioned) group = versioned[1];
  const head = lower.slice(0, dot);
  const known = RESOURCES[head];
  return { group, resource: known && known[0] === group ? known[1] : plural(head) };
}

/** The plural resource name of a kind or singular name, as CRDs and built-in kinds form it. */
export function plural(singular: string): string {
  const s = singular.toLowerCase();
  if (RESOURCES[s]) return RESOURCES[s][1];
  if (/(s|x|z|ch|sh)$/.test(s)) return `${s}es`;
  if (/[^aeiou]y$/.test(s)) return `${s.slice(0, -1)}ies`;
  return `${s}s`;
}

/** The pod of exec/logs/cp: `POD`, `pod/POD`, `NS/POD:path` (cp). */
function podOf(sub: string, args: string[], selected: boolean): { name?: string; namespace?: string } | undefined {
  if (sub === 'logs' && selected) return {};
  if (sub === 'cp') {
    const remote = args.find((a) => /^[^:/]+(\/[^:/]+)?:/.test(a));
    if (!remote) return undefined;
    const spec = remote.slice(0, remote.indexOf(':'));
    const [namespace, name] = spec.includes('/') ? spec.split('/') : [undefined, spec];
    if (namespace !== undefined && isExpanded(namespace)) return undefined;
    return { name: nameOf(name), namespace };
  }
  const first = args[0];
  if (!first) return undefined;
  if (first.includes('/')) {
    const [type, name] = first.split('/');
    return resolveType(type)?.resource === 'pods' ? { name: nameOf(name) } : undefined;
  }
  return { name: nameOf(first) };
}

/** apply/create `-f -` with a here-document: each object of it; `create configmap|secret|job|token`. */
function applyRequests(sub: string, parsed: KubectlArgs, command: ShellCommand, call: string, namespace: string | undefined): ApiRequest[] {
  const file = parsed.flags.get('-f') ?? parsed.flags.get('--filename');
  const requests: ApiRequest[] = [];
  const input = command.heredoc ?? (command.input?.words[0] === 'cat' && command.input.words.length === 1 ? command.input.heredoc : undefined);
  if (file === '-' && input !== undefined) {
    const serverSide = parsed.flags.has('--server-side');
    for (const doc of input.split(/^---\s*$/m)) {
      const kind = /^kind:\s*["']?([A-Za-z0-9]+)/m.exec(doc)?.[1];
      const apiVersion = /^apiVersion:\s*["']?([^\s"']+)/m.exec(doc)?.[1];
      if (!kind || !apiVersion) continue;
      const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
      const metadata = /^metadata:\s*\n((?:[ \t]+.*\n?)*)/m.exec(doc)?.[1] ?? '';
      const name = /^[ \t]{1,4}name:\s*["']?([^\s"']+)/m.exec(metadata)?.[1];
      const ns = /^[ \t]{1,4}namespace:\s*["']?([^\s"']+)/m.exec(metadata)?.[1];
      if (ns !== undefined && isExpanded(ns)) continue;
      const base = { group, resource: plural(kind), namespace: ns ?? namespace, call };
      // Client-side apply gets the object, creates it when absent, patches it otherwise; server-side apply patches
      // (creating through the patch needs create too); create only creates.
      const verbs = sub === 'create' ? ['create'] : serverSide ? ['patch', 'create'] : ['get', 'create', 'patch'];
      for (const verb of verbs) requests.push({ ...base, verb, name: verb === 'create' ? undefined : (name ? nameOf(name) : '*') });
    }
    return requests;
  }
  if (sub !== 'create' || file !== undefined) return requests;
  const [what, ...rest] = parsed.positional;
  const kinds: Record<string, [string, string]> = { configmap: ['', 'configmaps'], cm: ['', 'configmaps'], secret: ['', 'secrets'], job: ['batch', 'jobs'] };
  if (what === 'token' && rest[0]) {
    requests.push({ verb: 'create', group: '', resource: 'serviceaccounts/token', name: nameOf(rest[0]), namespace, call });
  } else if (kinds[what]) {
    requests.push({ verb: 'create', group: kinds[what][0], resource: kinds[what][1], namespace, call });
    const from = parsed.flags.get('--from');
    if (what === 'job' && typeof from === 'string' && from.includes('/')) {
      const type = resolveType(from.slice(0, from.indexOf('/')));
      if (type) requests.push({ verb: 'get', ...type, name: nameOf(from.slice(from.indexOf('/') + 1)), namespace, call });
    }
  }
  return requests;
}
