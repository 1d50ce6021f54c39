import { NamedContainer, containersPhrase, everyContainer, joinQuote, pluralize, workloadPodSpec } from './pod-security';
import { annotationsOf, podTemplateOf } from '../../manifest';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * The Pod Security Standards "restricted" profile, check by check as the admission plugin runs it
 * (k8s.io/pod-security-admission policy/check_*.go, latest version; restricted includes every baseline check).
 * Each problem is `reason (detail)` in the plugin's words, so it matches the error a restricted namespace returns.
 */
export const restrictedPodSecurity: IPolicyRule = {
  id: 'SEC-RESTRICTED-POD-SECURITY',
  level: RuleLevel.ERROR,
  finding: 'A pod (or a workload\'s pod template) breaks the Pod Security Standards "restricted" profile.',
  explanation: 'A namespace labelled `pod-security.kubernetes.io/enforce: restricted` rejects these pods, and without the label they run with '
    + 'more privilege than a database or its Jobs need. Set `runAsNonRoot: true` and `seccompProfile.type: RuntimeDefault` on the pod, and '
    + '`allowPrivilegeEscalation: false` and `capabilities.drop: [ALL]` on every container; do not use privileged containers, host '
    + 'namespaces, hostPath volumes, host ports, unsafe sysctls, custom SELinux users/roles or an Unconfined AppArmor profile '
    + '(https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted).',
  evaluate(o: any): Verdict {
    const spec = workloadPodSpec(o);
    if (!spec) return Verdict.notApplicable();
    const podSecurity = spec.securityContext && typeof spec.securityContext === 'object' ? spec.securityContext : {};
    const containers = everyContainer(spec);
    // check_allowPrivilegeEscalation/capabilities_restricted/seccompProfile_restricted 1.25+: Linux-only fields, not required of Windows pods.
    const windows = spec.os?.name === 'windows';
    const checks: Array<string | undefined> = [
      windows ? undefined : allowPrivilegeEscalation(containers),
      appArmorProfile(podSecurity, containers, annotationsOf(podTemplateOf(o))),
      windows ? undefined : capabilities(containers),
      hostNamespaces(spec),
      hostPorts(containers),
      hostProbesAndLifecycle(containers),
      privileged(containers),
      procMount(containers),
      restrictedVolumes(spec),
      runAsNonRoot(podSecurity, containers),
      runAsUser(podSecurity, containers),
      seLinuxOptions(podSecurity, containers),
      windows ? undefined : seccompProfile(podSecurity, containers),
      sysctls(podSecurity),
      windowsHostProcess(podSecurity, containers),
    ];
    return Verdict.fromProblems(checks.filter((c): c is string => c !== undefined));
  },
};

const securityOf = (c: NamedContainer): any => (c.container.securityContext && typeof c.container.securityContext === 'object' ? c.container.securityContext : {});

function allowPrivilegeEscalation(containers: NamedContainer[]): string | undefined {
  const bad = containers.filter((c) => securityOf(c).allowPrivilegeEscalation !== false).map((c) => c.name);
  return bad.length ? `allowPrivilegeEscalation != false (${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false)` : undefined;
}

/** check_appArmorProfile: pod/container `appArmorProfile.type` RuntimeDefault or Localhost; the beta annotations runtime/default or localhost/*. */
function appArmorProfile(podSecurity: any, containers: NamedContainer[], annotations: Record<string, string>): string | undefined {
  const allowedType = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
  const setters: string[] = [];
  const values = new Set<string>();
  if (podSecurity.appArmorProfile && !allowedType(podSecurity.appArmorProfile.type)) {
    setters.push('pod');
    values.add(String(podSecurity.appArmorProfile.type));
  }
  const bad = containers.filter((c) => securityOf(c).appArmorProfile && !allowedType(securityOf(c).appArmorProfile.type));
  bad.forEach((c) => values.add(String(securityOf(c).appArmorProfile.type)));
  if (bad.length) setters.push(containersPhrase(bad.map((c) => c.name)));
  const badAnnotations = Object.entries(annotations)
    .filter(([k, v]) => k.startsWith('container.apparmor.security.beta.kubernetes.io/')
      && !(v === '' || v === 'runtime/default' || String(v).startsWith('localhost/')))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`).sort();
  if (badAnnotations.length) setters.push(pluralize('annotation', 'annotations', badAnnotations.length));
  if (!setters.length) return undefined;
  return `forbidden AppArmor profile (${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote([...[...values].sort(), ...badAnnotations])})`;
}

function capabilities(containers: NamedContainer[]): string | undefined {
  const missingDropAll: string[] = [];
  const addingForbidden: string[] = [];
  const forbidden = new Set<string>();
  for (const c of containers) {
    const caps = securityOf(c).capabilities ?? {};
    if (!(Array.isArray(caps.drop) && caps.drop.includes('ALL'))) missingDropAll.push(c.name);
    const added = (Array.isArray(caps.add) ? caps.add : []).filter((cap: unknown) => cap !== 'NET_BIND_SERVICE');
    if (added.length) addingForbidden.push(c.name);
    added.forEach((cap: unknown) => forbidden.add(String(cap)));
  }
  const details: string[] = [];
  if (missingDropAll.length) details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (addingForbidden.length) {
    details.push(`${containersPhrase(addingForbidden)} must not include ${joinQuote([...forbidden].sort())} in securityContext.capabilities.add`);
  }
  return details.length ? `unrestricted capabilities (${details.join('; ')})` : undefined;
}

function hostNamespaces(spec: any): string | undefined {
  const shared = ['hostIPC', 'hostNetwork', 'hostPID'].filter((field) => spec[field] === true);
  return shared.length ? `host namespaces (${shared.join(', ')})` : undefined;
}

function hostPorts(containers: NamedContainer[]): string | undefined {
  const ports = new Set<string>();
  const bad = containers.filter((c) => {
    const used = (Array.isArray(c.container.ports) ? c.container.ports : []).filter((p: any) => p?.hostPort !== undefined && p?.hostPort !== 0);
    used.forEach((p: any) => ports.add(String(p.hostPort)));
    return used.length > 0;
  }).map((c) => c.name);
  if (!bad.length) return undefined;
  return `hostPort (${containersPhrase(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', ports.size)} `
    + `${[...ports].sort().join(', ')})`;
}

/** check_hostProbesAndhostLifecycle (1.34+): probes and lifecycle handlers must not name a `host` (it can reach other hosts' ports). */
function hostProbesAndLifecycle(containers: NamedContainer[]): string | undefined {
  const hosts = new Set<string>();
  const bad = containers.filter((c) => {
    const handlers = [c.container.livenessProbe, c.container.readinessProbe, c.container.startupProbe,
      c.container.lifecycle?.postStart, c.container.lifecycle?.preStop];
    const named = handlers.flatMap((h: any) => [h?.httpGet?.host, h?.tcpSocket?.host]).filter((h: unknown) => typeof h === 'string' && h !== '');
    named.forEach((h: string) => hosts.add(h));
    return named.length > 0;
  }).map((c) => c.name);
  if (!bad.length) return undefined;
  return `probe or lifecycle host (${containersPhrase(bad)} ${pluralize('uses', 'use', bad.length)} `
    + `${pluralize('probe or lifecycle host', 'probe or lifecycle hosts', hosts.size)} ${joinQuote([...hosts].sort())})`;
}

function privileged(containers: NamedContainer[]): string | undefined {
  const bad = containers.filter((c) => securityOf(c).privileged === true).map((c) => c.name);
  return bad.length ? `privileged (${containersPhrase(bad)} must not set securityContext.privileged=true)` : undefined;
}

function procMount(containers: NamedContainer[]): string | undefined {
  const types = new Set<string>();
  const bad = containers.filter((c) => {
    const value = securityOf(c).procMount;
    if (value === undefined || value === null || value === 'Default') return false;
    types.add(String(value));
    return true;
  }).map((c) => c.name);
  return bad.length ? `procMount (${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote([...types].sort())})` : undefined;
}

/** check_volumes_restricted: inline volume sources other than these are forbidden (hostPath among them). */
const ALLOWED_VOLUME_SOURCES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

function restrictedVolumes(spec: any): string | undefined {
  const types = new Set<string>();
  const bad: string[] = [];
  for (const volume of Array.isArray(spec.volumes) ? spec.volumes : []) {
    const sources = Object.keys(volume ?? {}).filter((k) => k !== 'name' && volume[k] !== undefined && volume[k] !== null);
    if (sources.some((s) => ALLOWED_VOLUME_SOURCES.has(s))) continue;
    bad.push(String(volume?.name ?? '(unnamed)'));
    types.add(sources[0] ?? 'unknown');
  }
  if (!bad.length) return undefined;
  return `restricted volume types (${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} `
    + `${pluralize('restricted volume type', 'restricted volume types', types.size)} ${joinQuote([...types].sort())})`;
}

function runAsNonRoot(podSecurity: any, containers: NamedContainer[]): string | undefined {
  const setters: string[] = [];
  if (podSecurity.runAsNonRoot === false) setters.push('pod');
  const podNonRoot = podSecurity.runAsNonRoot === true;
  const explicitlyBad = containers.filter((c) => securityOf(c).runAsNonRoot === false).map((c) => c.name);
  const implicitlyBad = containers.filter((c) => typeof securityOf(c).runAsNonRoot !== 'boolean' && !podNonRoot).map((c) => c.name);
  if (explicitlyBad.length) setters.push(containersPhrase(explicitlyBad));
  if (setters.length) return `runAsNonRoot != true (${setters.join(' and ')} must not set securityContext.runAsNonRoot=false)`;
  if (implicitlyBad.length) return `runAsNonRoot != true (pod or ${containersPhrase(implicitlyBad)} must set securityContext.runAsNonRoot=true)`;
  return undefined;
}

function runAsUser(podSecurity: any, containers: NamedContainer[]): string | undefined {
  const setters: string[] = [];
  if (podSecurity.runAsUser === 0) setters.push('pod');
  const bad = containers.filter((c) => securityOf(c).runAsUser === 0).map((c) => c.name);
  if (bad.length) setters.push(containersPhrase(bad));
  return setters.length ? `runAsUser=0 (${setters.join(' and ')} must not set runAsUser=0)` : undefined;
}

/** check_seLinuxOptions: type empty, container_t, container_init_t or container_kvm_t; user and role never set. */
const ALLOWED_SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);

function seLinuxOptions(podSecurity: any, containers: NamedContainer[]): string | undefined {
  const types = new Set<string>();
  let user = false;
  let role = false;
  const valid = (opts: any): boolean => {
    let ok = true;
    if (!ALLOWED_SELINUX_TYPES.has(opts.type ?? '')) { ok = false; types.add(String(opts.type)); }
    if (opts.user) { ok = false; user = true; }
    if (opts.role) { ok = false; role = true; }
    return ok;
  };
  const setters: string[] = [];
  if (podSecurity.seLinuxOptions && !valid(podSecurity.seLinuxOptions)) setters.push('pod');
  const bad = containers.filter((c) => securityOf(c).seLinuxOptions && !valid(securityOf(c).seLinuxOptions)).map((c) => c.name);
  if (bad.length) setters.push(containersPhrase(bad));
  if (!setters.length) return undefined;
  const what = [
    ...(types.size ? [`${pluralize('type', 'types', types.size)} ${joinQuote([...types].sort())}`] : []),
    ...(user ? ['user may not be set'] : []),
    ...(role ? ['role may not be set'] : []),
  ];
  return `seLinuxOptions (${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${what.join('; ')})`;
}

function seccompProfile(podSecurity: any, containers: NamedContainer[]): string | undefined {
  const allowed = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
  const setters: string[] = [];
  const values = new Set<string>();
  let podSet = false;
  if (podSecurity.seccompProfile) {
    if (allowed(podSecurity.seccompProfile.type)) {podSet = true;} else { setters.push('pod'); values.add(String(podSecurity.seccompProfile.type)); }
  }
  const explicitlyBad = containers.filter((c) => securityOf(c).seccompProfile && !allowed(securityOf(c).seccompProfile.type));
  explicitlyBad.forEach((c) => values.add(String(securityOf(c).seccompProfile.type)));
  const implicitlyBad = containers.filter((c) => !securityOf(c).seccompProfile && !podSet).map((c) => c.name);
  if (explicitlyBad.length) setters.push(containersPhrase(explicitlyBad.map((c) => c.name)));
  if (setters.length) return `seccompProfile (${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote([...values].sort())})`;
  if (implicitlyBad.length) {
    return `seccompProfile (pod or ${containersPhrase(implicitlyBad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`;
  }
  return undefined;
}

/**
 * check_sysctls: the namespaced sysctls isolated from other pods (the kubelet's safe set), as of Kubernetes 1.27/1.28,
 * the oldest release this library targets. Later releases allow more; a pod using them is refused by a 1.28 cluster.
 */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.ip_local_reserved_ports',
]);
/** Sysctls the admission plugin allows only from a later release (check_sysctls.go sysctls_allowed_1_29, _1_32). */
const LATER_SAFE_SYSCTLS: Record<string, string> = {
  'net.ipv4.tcp_keepalive_time': '1.29',
  'net.ipv4.tcp_fin_timeout': '1.29',
  'net.ipv4.tcp_keepalive_intvl': '1.29',
  'net.ipv4.tcp_keepalive_probes': '1.29',
  'net.ipv4.tcp_rmem': '1.32',
  'net.ipv4.tcp_wmem': '1.32',
};

function sysctls(podSecurity: any): string | undefined {
  const bad = (Array.isArray(podSecurity.sysctls) ? podSecurity.sysctls : [])
    .map((s: any) => String(s?.name)).filter((n: string) => !SAFE_SYSCTLS.has(n))
    .map((n: string) => (LATER_SAFE_SYSCTLS[n] ? `${n} (allowed only from Kubernetes ${LATER_SAFE_SYSCTLS[n]})` : n));
  return bad.length ? `forbidden sysctls (${bad.join(', ')})` : undefined;
}

function windowsHostProcess(podSecurity: any, containers: NamedContainer[]): string | undefined {
  const setters: string[] = [];
  if (podSecurity.windowsOptions?.hostProcess === true) setters.push('pod');
  const bad = containers.filter((c) => securityOf(c).windowsOptions?.hostProcess === true).map((c) => c.name);
  if (bad.length) setters.push(containersPhrase(bad));
  return setters.length ? `hostProcess (${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true)` : undefined;
}
