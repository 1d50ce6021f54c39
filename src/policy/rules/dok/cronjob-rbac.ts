import { ApiRequest, kubectlRequests } from './api-requests';
import { curlRequests } from './curl-requests';
import { boundRules, isClusterScopedResource, rulesAllow } from './rbac-grants';
import { ShellCommand, shellCommands } from './shell-commands';
import { containersOf, objectNamespace, podSpecOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * A Job's script that calls the API server (kubectl, or curl with the pod's token) fails at run time, often at 3 a.m.
 * in the middle of a backup, when the pod has no token, runs as the namespace's `default` ServiceAccount, or lacks a
 * grant: every call is authorized by RBAC on verb, group, resource and name. The calls are read from the script
 * (kubectl's own requests: its resource builder gets an object before patching or scaling it, `wait` and
 * `rollout status` get, list and watch, `exec` gets the pod and creates pods/exec); only grants of Roles in the set are
 * judged, and a binding to a role outside the set leaves the ServiceAccount's grants unknown (not judged).
 */
export const cronJobRbac: IPolicyRule = {
  id: 'DOK-CRONJOB-RBAC',
  level: RuleLevel.ERROR,
  finding: 'A Job or CronJob calls the Kubernetes API without a token, a ServiceAccount of its own, or the RBAC grants its script needs.',
  explanation: 'A script that runs kubectl (or curl against the API server) authenticates with the pod\'s ServiceAccount token '
    + 'and is authorized call by call: keep automountServiceAccountToken on (or mount a projected token), give the Job a '
    + 'ServiceAccount of its own rather than `default`, and bind it a Role granting each verb on each resource the script '
    + 'uses (kubectl scale needs get on the object and patch on its scale subresource; kubectl exec needs get on pods and '
    + 'create on pods/exec). Otherwise the Job fails with Forbidden when it runs, not when it is applied.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (o?.kind !== 'Job' && o?.kind !== 'CronJob') return Verdict.notApplicable();
    const spec = podSpecOf(o);
    const callers = containersOf(spec).map(({ role, container }) => ({ role, container, usage: apiUsageOf(container) }))
      .filter((c) => c.usage.callsApi);
    if (callers.length === 0) return Verdict.notApplicable();
    const namespace = objectNamespace(o);
    const saName: string = spec?.serviceAccountName ?? spec?.serviceAccount ?? 'default';
    const serviceAccount = context.find('ServiceAccount', namespace, saName);
    const problems: string[] = [];
    const automount = spec?.automountServiceAccountToken ?? serviceAccount?.automountServiceAccountToken ?? true;
    for (const c of callers) {
      if (automount === false && !mountsProjectedToken(spec, c.container)) {
        const where = spec?.automountServiceAccountToken === false ? 'the pod' : `ServiceAccount \`${saName}\``;
        problems.push(`${c.role} \`${c.container?.name}\` calls the API server, but ${where} sets automountServiceAccountToken: false `
          + 'and no projected serviceAccountToken volume is mounted: the call has no credentials');
      }
    }
    if (saName === 'default') {
      problems.push(`runs as the \`default\` ServiceAccount of \`${namespace}\`: give it a ServiceAccount of its own, bound to a Role `
        + 'with the grants its API calls need');
    } else if (serviceAccount) {
      problems.push(...missingGrants(callers.flatMap((c) => c.usage.requests), context, namespace, saName));
    }
    return Verdict.fromProblems(problems);
  },
};

/** Each request no rule bound to the ServiceAccount allows, once per verb, resource, name and namespace. */
function missingGrants(requests: ApiRequest[], context: PolicyContext, namespace: string, saName: string): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const r of requests) {
    const target = r.namespace ?? namespace;
    const key = JSON.stringify([r.verb, r.group, r.resource, r.name, target]);
    if (seen.has(key)) continue;
    seen.add(key);
    const bound = boundRules(context, namespace, saName, target, isClusterScopedResource(r.resource));
    if (bound.unknown.length || rulesAllow(bound.rules, r)) continue;
    const name = r.name && r.name !== '*' ? ` \`${r.name}\`` : '';
    problems.push(`\`${shorten(r.call)}\` needs ${r.verb} on ${r.resource}${r.group ? ` (${r.group})` : ''}${name}`
      + `${target !== namespace ? ` in namespace \`${target}\`` : ''}, which no Role or ClusterRole bound to ServiceAccount \`${saName}\` grants`);
  }
  return problems;
}

/** Whether a container calls the API server, and the requests that can be read from its command. */
function apiUsageOf(container: any): { callsApi: boolean; requests: ApiRequest[] } {
  const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const line = [...asList(container?.command), ...asList(container?.args)];
  if (line.length === 0 || !line.every((w) => typeof w === 'string')) return { callsApi: false, requests: [] };
  const words = line as string[];
  const env: any[] = Array.isArray(container?.env) ? container.env : [];
  if (env.some((e) => e?.name === 'KUBECONFIG')) return { callsApi: false, requests: [] }; // credentials of its own
  const ownNamespace = new Set<string>(env.filter((e) => e?.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace').map((e) => e.name));
  const program = basename(words[0]);
  let script = '';
  let commands: ShellCommand[];
  const flag = words.findIndex((w, i) => i > 0 && /^-[a-z]*c[a-z]*$/.test(w));
  if (['sh', 'bash', 'ash', 'dash', 'zsh'].includes(program) && flag > 0 && typeof words[flag + 1] === 'string') {
    script = words[flag + 1];
    commands = shellCommands(script);
  } else if (program === 'kubectl') {
    commands = [{ words: ['kubectl', ...words.slice(1)], assignments: [] }];
  } else if (!container?.command && /kubectl/.test(String(container?.image ?? ''))) {
    commands = [{ words: ['kubectl', ...words], assignments: [] }]; // a kubectl image's entrypoint is kubectl
  } else {
    return { callsApi: false, requests: [] };
  }
  const requests: ApiRequest[] = [];
  let callsApi = false;
  for (const c of commands) {
    const kubectl = withoutPrefixes(c.words);
    if (kubectl.length === 0 || basename(kubectl[0]) !== 'kubectl') continue;
    const reading = kubectlRequests({ ...c, words: kubectl });
    if (reading.ownCredentials) continue;
    callsApi = true;
    requests.push(...reading.requests);
  }
  const curl = curlRequests(script, commands, ownNamespace);
  requests.push(...curl.requests);
  callsApi = callsApi || curl.callsApi || /\/var\/run\/secrets\/kubernetes\.io\/serviceaccount\b/.test(script);
  return { callsApi, requests };
}

/** `exec kubectl`, `command kubectl`, `timeout 300 kubectl`: the words from the program on. */
function withoutPrefixes(words: string[]): string[] {
  let w = words;
  while (['exec', 'command', 'nohup'].includes(w[0])) w = w.slice(1);
  if (w[0] === 'timeout') {
    w = w.slice(1);
    while (w[0]?.startsWith('-')) w = w.slice(['-s', '-k', '--signal', '--kill-after'].includes(w[0]) ? 2 : 1);
    w = w.slice(1);
  }
  return w;
}

function mountsProjectedToken(spec: any, container: any): boolean {
  const tokenVolumes = new Set((Array.isArray(spec?.volumes) ? spec.volumes : [])
    .filter((v: any) => (v?.projected?.sources ?? []).some((s: any) => s?.serviceAccountToken))
    .map((v: any) => v.name));
  return (Array.isArray(container?.volumeMounts) ? container.volumeMounts : []).some((m: any) => tokenVolumes.has(m?.name));
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function shorten(call: string): string {
  const one = call.replace(/\s+/g, ' ');
  return one.length > 100 ? `${one.slice(0, 97)}...` : one;
}
