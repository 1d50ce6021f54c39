import { ApiRequest } from './api-requests';
import { ShellCommand, isExpanded } from './shell-commands';

/** What a script's curl calls to the Kubernetes API need, and whether it calls the API with curl at all. */
export interface CurlReading {
  readonly requests: ApiRequest[];
  readonly callsApi: boolean;
}

/**
 * The requests of a script's `curl` calls to the API server (`https://kubernetes.default.svc`, or
 * `$KUBERNETES_SERVICE_HOST`), direct or through a shell function wrapping curl with `"$@"`. URLs are read after
 * replacing the script's literal assignments (`API=https://kubernetes.default.svc/api/v1/namespaces`); a namespace in a
 * variable is the pod's own when the variable comes from the ServiceAccount's namespace file or the downward API
 * (`ownNamespaceVariables`), otherwise the call is not read. REST paths and verbs: Kubernetes API concepts
 * (kubernetes.io/docs/reference/using-api/api-concepts) and RBAC request verbs (GET of a collection is list, DELETE of
 * one is deletecollection, `?watch=true` is watch).
 */
export function curlRequests(script: string, commands: ShellCommand[], ownNamespaceVariables: Set<string>): CurlReading {
  const variables = new Map<string, string>();
  for (const c of commands) {
    for (const a of c.assignments) {
      const eq = a.indexOf('=');
      variables.set(a.slice(0, eq), a.slice(eq + 1));
    }
  }
  for (const [name, value] of variables) {
    if (/^\$\(cat\s+"?[^"]*\/namespace"?\)$/.test(value) && /\/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/namespace/.test(expandInside(value, variables))) {
      ownNamespaceVariables.add(name);
    }
  }
  const wrappers = curlWrappers(script, commands);
  const requests: ApiRequest[] = [];
  let callsApi = false;
  for (const c of commands) {
    const head = c.words[0];
    const words = head === 'curl' || head?.endsWith('/curl') ? c.words.slice(1)
      : wrappers.has(head) ? [...wrappers.get(head)!, ...c.words.slice(1)] : undefined;
    if (!words) continue;
    const reading = readCurl(words, variables, ownNamespaceVariables);
    if (!reading) continue;
    callsApi = true;
    if (reading.request) requests.push({ ...reading.request, call: c.words.join(' ') });
  }
  return { requests, callsApi };
}

/**
 * `name() { curl ... "$@"; }`: the curl words before `"$@"`, by function name. The lexer reads a definition as the
 * command `name` (ended by its `()`), the commands of substitutions in the body, then the body's commands.
 */
function curlWrappers(script: string, commands: ShellCommand[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  commands.forEach((c, i) => {
    const name = c.words[0];
    if (c.words.length !== 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !new RegExp(`(^|[\\s;])${name}\\s*\\(\\)`).test(script)) return;
    const curl = commands.slice(i + 1, i + 6).find((x) => x.words[0] === 'curl' && x.words[x.words.length - 1] === '$@');
    if (curl) found.set(name, curl.words.slice(1, -1));
  });
  return found;
}

/** `$(cat "$SA/namespace")` with `$SA` replaced, to see which file it reads. */
function expandInside(value: string, variables: Map<string, string>): string {
  return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, n) => {
    const v = variables.get(n);
    return v !== undefined && !isExpanded(v) ? v : whole;
  });
}

function expand(word: string, variables: Map<string, string>): string {
  // Only values known at synth time replace a variable: `NS=$(cat ...)` stays `$NS`.
  return word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a, b) => {
    const value = variables.get(a ?? b);
    return value !== undefined && !isExpanded(value) ? value : whole;
  });
}

const API_HOST = /^https?:\/\/(kubernetes\.default(\.svc(\.cluster\.local)?)?|\$\{?KUBERNETES_SERVICE_HOST\}?)(:[^/]*)?(\/|$)/;
const DATA_FLAGS = new Set(['-d', '--data', '--data-raw', '--data-binary', '--data-urlencode', '--json', '-F', '--form']);

/** One curl call: undefined when it does not call the API server; `request` undefined when the call cannot be read. */
function readCurl(words: string[], variables: Map<string, string>, own: Set<string>): { request?: Omit<ApiRequest, 'call'> } | undefined {
  let method: string | undefined;
  let sendsData = false;
  let url: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '-X' || w === '--request') {method = words[++i];} else if (/^-X./.test(w)) {method = w.slice(2);} else if (DATA_FLAGS.has(w)) { sendsData = true; i++; } else if (w === '-T' || w === '--upload-file') { method = method ?? 'PUT'; i++; } else if (w === '-I' || w === '--head') {method = 'HEAD';} else if (!w.startsWith('-') && API_HOST.test(expand(w, variables))) {url = expand(w, variables);}
  }
  if (!url) return undefined;
  method = (method ?? (sendsData ? 'POST' : 'GET')).toUpperCase();
  if (isExpanded(method)) return {};
  const [path, query = ''] = url.replace(API_HOST, '/').split('?');
  const segments = path.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 2) { group = ''; rest = segments.slice(2); } else if (segments[0] === 'apis' && segments.length >= 3) { group = segments[1]; rest = segments.slice(3); } else {return {};}
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const ns = rest[1];
    if (isExpanded(ns)) {
      const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(ns)?.[1];
      if (!variable || !own.has(variable)) return {};
    } else {
      namespace = ns;
    }
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (!resource || isExpanded(resource) || (subresource !== undefined && isExpanded(subresource))) return {};
  const objectName = name === undefined ? undefined : isExpanded(name) ? '*' : name;
  const verb = verbOf(method, objectName !== undefined, /(^|&)watch=(true|1)/.test(query));
  if (!verb) return {};
  return { request: { verb, group, resource: subresource ? `${resource}/${subresource}` : resource, name: objectName, namespace } };
}

function verbOf(method: string, named: boolean, watch: boolean): string | undefined {
  switch (method) {
    case 'GET': case 'HEAD': return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return named ? 'delete' : 'deletecollection';
    default: return undefined;
  }
}
