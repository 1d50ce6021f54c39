import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import * as models from 'kubernetes-models';
import { parse } from 'yaml';

/** Where the CRD schemas live beside the project (shared/ is not part of the repository). */
export const CRD_DIR = path.resolve(__dirname, '../../../shared/crds');
export const CRDS_PRESENT = fs.existsSync(CRD_DIR);
/** Schemas this repository writes itself (the DR back-ends' CRDs, see crds/README.md): always present. */
export const LOCAL_CRD_DIR = path.resolve(__dirname, 'crds');

type Manifest = Record<string, any>;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Kinds whose names must be DNS-1035 labels rather than subdomains. */
const LABEL_NAMED = new Set(['Service', 'Namespace']);
/** The controller adds `controller-revision-hash: <name>-<10 chars>` to pods: names over 52 break it. */
const MAX_STS_NAME = 52;

/** Finds the kubernetes-models class of a built-in kind, e.g. apps/v1 StatefulSet -> models.apps.v1.StatefulSet. */
function modelOf(apiVersion: string, kind: string): any {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const groupKey = group === '' ? undefined : group.replace(/[.-]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  const groupModule = groupKey ? (models as any)[groupKey] : models;
  return groupModule?.[version]?.[kind];
}

/** CRD schemas by `group/version/kind`, read once from shared/crds (when present) and the repository's own. */
let crdSchemas: Map<string, any> | undefined;
function crdSchema(apiVersion: string, kind: string): any {
  if (!crdSchemas) {
    crdSchemas = new Map();
    const files = [CRD_DIR, LOCAL_CRD_DIR].filter((dir) => fs.existsSync(dir))
      .flatMap((dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => path.join(dir, f)));
    for (const file of files) {
      const crd = parse(fs.readFileSync(file, 'utf8'));
      for (const v of crd.spec.versions) {
        crdSchemas.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, v.schema.openAPIV3Schema);
      }
    }
  }
  return crdSchemas.get(`${apiVersion}/${kind}`);
}

// CRD patterns are Go (RE2) regular expressions; the inline case-insensitive flag `(?i)` becomes the JS 'i' flag.
const goRegExp = (source: string, flags: string) =>
  source.includes('(?i)') ? new RegExp(source.replace(/\(\?i\)/g, ''), `${flags}i`) : new RegExp(source, flags);
goRegExp.code = 'goRegExp';
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { regExp: goRegExp as any } });
const compiled = new Map<any, ReturnType<typeof ajv.compile>>();

/**
 * Fields a structural CRD schema does not know are pruned by the API server without a word:
 * report them, since that is silent data loss.
 */
function unknownFields(schema: any, data: any, at: string): string[] {
  if (!schema || data === null || typeof data !== 'object') return [];
  if (Array.isArray(data)) return data.flatMap((item, i) => unknownFields(schema.items, item, `${at}[${i}]`));
  if (schema['x-kubernetes-preserve-unknown-fields'] || !schema.properties) {
    return schema.additionalProperties && typeof schema.additionalProperties === 'object'
      ? Object.entries(data).flatMap(([k, v]) => unknownFields(schema.additionalProperties, v, `${at}.${k}`)) : [];
  }
  return Object.entries(data).flatMap(([k, v]) =>
    k in schema.properties ? unknownFields(schema.properties[k], v, `${at}.${k}`) : [`${at}.${k}`]);
}

/** What the props asked for, where the manifests alone cannot tell. */
export interface ValidationOptions {
  /**
   * QoS class the props asked for. Guaranteed: every container has requests equal to limits. Burstable: memory
   * requests equal limits and CPU limits are dropped (the library's Burstable form).
   * Left out: a pod in the Burstable form is taken as asked for; any other pod must be Guaranteed.
   */
  readonly qosClass?: 'Guaranteed' | 'Burstable';
}

/** Problems with one manifest: schema, names, labels and the API server's own rules. Empty when it is valid. */
export function manifestProblems(m: Manifest, options: ValidationOptions = {}): string[] {
  const problems: string[] = [];
  const id = `${m.kind}/${m.metadata?.name}`;
  const Model = modelOf(m.apiVersion, m.kind);
  const builtin = Model !== undefined;
  if (builtin) {
    try {
      new Model(m).validate();
    } catch (e) {
      problems.push(`${id}: schema: ${(e as Error).message}`);
    }
  } else {
    const schema = crdSchema(m.apiVersion.split('/')[0] + '/' + m.apiVersion.split('/')[1], m.kind);
    if (schema) {
      if (!compiled.has(schema)) compiled.set(schema, ajv.compile(schema));
      const validate = compiled.get(schema)!;
      if (!validate(m)) problems.push(`${id}: CRD schema: ${ajv.errorsText(validate.errors)}`);
      const unknown = unknownFields(schema, m, '');
      if (unknown.length) problems.push(`${id}: fields the CRD would prune: ${unknown.join(', ')}`);
    } else if (CRDS_PRESENT || !/(cert-manager|monitoring\.coreos|snapshot\.storage)/.test(m.apiVersion)) {
      problems.push(`${id}: no schema known for ${m.apiVersion} ${m.kind}`);
    }
  }
  problems.push(...nameProblems(m, id));
  problems.push(...clusterScopedProblems(m, id));
  if (builtin) problems.push(...apiServerProblems(m, id, options));
  return problems;
}

function checkLabels(labels: Record<string, string> | undefined, where: string, problems: string[]): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : '';
    const name = key.slice(slash + 1);
    if ((slash >= 0 && !DNS1123_SUBDOMAIN.test(prefix)) || name.length > 63 || !LABEL_NAME.test(name)) {
      problems.push(`${where}: label key "${key}" invalid`);
    }
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      problems.push(`${where}: label "${key}" value "${value}" invalid (63 characters at most)`);
    }
  }
}

function nameProblems(m: Manifest, id: string): string[] {
  const problems: string[] = [];
  const name: string = m.metadata?.name ?? '';
  const nameOk = LABEL_NAMED.has(m.kind) ? name.length <= 63 && DNS1035_LABEL.test(name) : name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
  if (!nameOk) problems.push(`${id}: name is not a valid ${LABEL_NAMED.has(m.kind) ? 'DNS-1035 label' : 'DNS-1123 subdomain'}`);
  if (m.kind === 'StatefulSet' && name.length > MAX_STS_NAME) problems.push(`${id}: StatefulSet name longer than ${MAX_STS_NAME}`);
  if ((m.kind === 'Job' || m.kind === 'CronJob') && name.length > 63) problems.push(`${id}: Job name longer than 63 (job-name label)`);
  if (m.metadata?.namespace !== undefined && !DNS1123_LABEL.test(m.metadata.namespace)) problems.push(`${id}: namespace invalid`);
  checkLabels(m.metadata?.labels, id, problems);
  const template = m.spec?.template ?? m.spec?.jobTemplate?.spec?.template;
  if (template) {
    checkLabels(template.metadata?.labels, `${id} pod template`, problems);
    const spec = template.spec ?? {};
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      if (!DNS1123_LABEL.test(c.name)) problems.push(`${id}: container name "${c.name}" invalid`);
      if (!/:[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(c.image) || /:latest$/.test(c.image)) problems.push(`${id}: image "${c.image}" has no pinned tag`);
      const envNames = (c.env ?? []).map((e: any) => e.name);
      const dup = envNames.find((n: string, i: number) => envNames.indexOf(n) !== i);
      if (dup) problems.push(`${id}: container "${c.name}" sets env ${dup} twice (the last one silently wins)`);
      for (const p of c.ports ?? []) {
        if (p.name && (p.name.length > 15 || !PORT_NAME.test(p.name))) problems.push(`${id}: port name "${p.name}" invalid`);
      }
    }
    for (const v of spec.volumes ?? []) if (!DNS1123_LABEL.test(v.name)) problems.push(`${id}: volume name "${v.name}" invalid`);
  }
  for (const t of m.spec?.volumeClaimTemplates ?? []) checkLabels(t.metadata?.labels, `${id} claim template`, problems);
  return problems;
}

/** Kinds that live outside namespaces (`kubectl api-resources --namespaced=false`), built-in and from the CRDs used here. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'PriorityClass',
  'RuntimeClass', 'IngressClass', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'APIService',
  'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'FlowSchema', 'PriorityLevelConfiguration', 'CertificateSigningRequest',
  'VolumeSnapshotClass', 'VolumeSnapshotContent', 'ClusterIssuer', 'VolumeReplicationClass', 'SchedulePolicy',
]);

/** A cluster-scoped object with a namespace reads as namespaced, and GitOps tools diff or refuse it. */
function clusterScopedProblems(m: Manifest, id: string): string[] {
  return CLUSTER_SCOPED.has(m.kind) && m.metadata?.namespace !== undefined
    ? [`${id}: cluster-scoped kind with metadata.namespace "${m.metadata.namespace}"`] : [];
}

/** Throws with every problem of every manifest. */
export function assertValidManifests(manifests: Manifest[], options: ValidationOptions = {}): void {
  const problems = manifests.flatMap((m) => manifestProblems(m, options));
  problems.push(...budgetOverlaps(manifests));
  const names = new Set<string>();
  for (const m of manifests) {
    const key = `${m.apiVersion}/${m.kind}/${m.metadata?.namespace ?? ''}/${m.metadata?.name}`;
    if (names.has(key)) problems.push(`duplicate object ${key}`);
    names.add(key);
  }
  if (problems.length > 0) throw new Error(`invalid manifests:\n${problems.join('\n')}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Rules the API server enforces that the OpenAPI schemas do not carry. Each cites the Go validation it mirrors
// (kubernetes/kubernetes pkg/apis/*/validation, k8s.io/apimachinery, k8s.io/pod-security-admission).

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/**
 * Fields typed int32 in the API (the decoder refuses anything else). Fields typed int64 that are still held to the
 * int32 range (user and group ids: `IsValidUserID`/`IsValidGroupID`) are listed in ID_FIELDS.
 */
const INT32_FIELDS = new Set([
  'replicas', 'minReadySeconds', 'revisionHistoryLimit', 'partition', 'maxUnavailable', 'maxSurge', 'minAvailable',
  'containerPort', 'hostPort', 'port', 'targetPort', 'nodePort', 'initialDelaySeconds', 'timeoutSeconds', 'periodSeconds',
  'successThreshold', 'failureThreshold', 'completions', 'parallelism', 'backoffLimit', 'ttlSecondsAfterFinished',
  'successfulJobsHistoryLimit', 'failedJobsHistoryLimit', 'maxSkew', 'minDomains', 'weight', 'defaultMode', 'mode',
  'start', 'priority',
]);
/** int64 fields (still whole numbers; JSON numbers past 2^53 lose precision on the way). */
const INT64_FIELDS = new Set(['terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'startingDeadlineSeconds', 'expirationSeconds']);
/** apimachinery validation.IsValidUserID / IsValidGroupID: 0..2147483647. */
const ID_FIELDS = new Set(['runAsUser', 'runAsGroup', 'fsGroup']);
/** Fields that must not be negative (core/apps/batch validation: ValidateNonnegativeField). */
const NON_NEGATIVE = new Set([
  'replicas', 'minReadySeconds', 'terminationGracePeriodSeconds', 'initialDelaySeconds', 'timeoutSeconds', 'periodSeconds',
  'successThreshold', 'failureThreshold', 'completions', 'parallelism', 'backoffLimit', 'ttlSecondsAfterFinished',
  'successfulJobsHistoryLimit', 'failedJobsHistoryLimit', 'startingDeadlineSeconds', 'partition', 'revisionHistoryLimit',
]);
/** apimachinery validation.IsValidPortNum: 1..65535. */
const PORT_FIELDS = new Set(['containerPort', 'port', 'targetPort', 'nodePort', 'hostPort']);

/** Every number in a built-in object sits in a whole-number field: check its type range. */
function numberProblems(data: any, at: string, out: string[]): void {
  if (Array.isArray(data)) {
    data.forEach((item, i) => numberProblems(item, `${at}[${i}]`, out));
    return;
  }
  if (data === null || typeof data !== 'object') return;
  for (const [key, value] of Object.entries(data)) {
    const where = `${at}.${key}`;
    if (typeof value !== 'number') {
      numberProblems(value, where, out);
      continue;
    }
    if (!Number.isSafeInteger(value)) {
      out.push(`${where} (${value}) is not a whole number the API decodes (int32/int64 fields only)`);
      continue;
    }
    if (INT32_FIELDS.has(key) && (value < INT32_MIN || value > INT32_MAX)) out.push(`${where} (${value}) is outside int32`);
    if (INT64_FIELDS.has(key) && value < 0) out.push(`${where} (${value}) is negative`);
    if (ID_FIELDS.has(key) && (value < 0 || value > INT32_MAX)) out.push(`${where} (${value}) must be between 0 and 2147483647 (IsValidUserID)`);
    if (NON_NEGATIVE.has(key) && value < 0) out.push(`${where} (${value}) must be greater than or equal to 0`);
    if (PORT_FIELDS.has(key) && (value < 1 || value > 65535)) out.push(`${where} (${value}) must be between 1 and 65535, inclusive (IsValidPortNum)`);
  }
}

/**
 * apimachinery resource.ParseQuantity grammar (`<signedNumber><suffix>`, suffix binarySI, decimalSI or an exponent),
 * written as the server writes quantities back (Quantity.String(): a whole number and a suffix, never an exponent,
 * a '+' or a decimal point). Anything else is accepted then rewritten, so the stored object never equals the manifest
 * and every apply shows a diff. Not enforced: the server's choice of the largest suffix (`1024Mi` is stored `1Gi`,
 * `1000m` as `1`), which only changes the spelling.
 */
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;
const CANONICAL_QUANTITY = /^(0|[1-9]\d*)([KMGTPE]i|[numkMGTPE])?$/;

function quantityProblem(value: unknown, where: string): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? undefined : `${where}: quantity ${value} is not a whole non-negative number`;
  if (typeof value !== 'string' || !QUANTITY.test(value)) return `${where}: "${value}" is not a quantity (resource.ParseQuantity)`;
  if (!CANONICAL_QUANTITY.test(value)) return `${where}: quantity "${value}" is not a whole number with a suffix (the server rewrites it: canonical form)`;
  return undefined;
}

/** Every quantity of a pod spec and of claim templates/claims. */
function quantityProblems(m: Manifest, id: string, pod: any, out: string[]): void {
  const check = (map: Record<string, unknown> | undefined, where: string) => {
    for (const [k, v] of Object.entries(map ?? {})) {
      const p = quantityProblem(v, `${where}.${k}`);
      if (p) out.push(`${id}: ${p}`);
    }
  };
  for (const c of pod ? [...(pod.initContainers ?? []), ...(pod.containers ?? [])] : []) {
    check(c.resources?.requests, `container ${c.name} requests`);
    check(c.resources?.limits, `container ${c.name} limits`);
  }
  for (const v of pod?.volumes ?? []) {
    if (v.emptyDir?.sizeLimit !== undefined) check({ sizeLimit: v.emptyDir.sizeLimit }, `volume ${v.name} emptyDir`);
  }
  for (const t of m.spec?.volumeClaimTemplates ?? []) check(t.spec?.resources?.requests, `claim template ${t.metadata?.name}`);
  if (m.kind === 'PersistentVolumeClaim') check(m.spec?.resources?.requests, 'claim');
}

/**
 * robfig/cron ParseStandard as the CronJob controller and batch validation (validateScheduleFormat) use it:
 * five fields or a @descriptor; minute 0-59, hour 0-23, day 1-31, month 1-12 or JAN-DEC, weekday 0-6 or SUN-SAT;
 * `TZ=`/`CRON_TZ=` refused ("use timeZone field instead").
 */
const CRON_FIELDS: Array<{ name: string; min: number; max: number; names?: string[] }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];
const CRON_DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

export function cronProblem(schedule: unknown): string | undefined {
  if (typeof schedule !== 'string') return `schedule ${String(schedule)} is not a string`;
  if (/(^|\s)(CRON_)?TZ=/.test(schedule)) return 'schedule must not use TZ or CRON_TZ: use the timeZone field';
  const s = schedule.trim();
  if (s.startsWith('@')) return CRON_DESCRIPTORS.has(s) || /^@every \S+$/.test(s) ? undefined : `unknown descriptor "${s}"`;
  const fields = s.split(/\s+/);
  if (fields.length !== 5) return `schedule "${schedule}" has ${fields.length} fields, not 5`;
  for (let i = 0; i < 5; i++) {
    const spec = CRON_FIELDS[i];
    const value = (text: string): number | undefined => {
      const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
      if (named >= 0) return named + spec.min;
      return /^\d+$/.test(text) ? Number(text) : undefined;
    };
    for (const part of fields[i].split(',')) {
      const [range, step, extra] = part.split('/');
      if (extra !== undefined || (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0))) return `${spec.name} "${part}": bad step`;
      if (range === '*' || range === '?') continue;
      const [lo, hi, more] = range.split('-');
      const a = value(lo);
      const b = hi === undefined ? a : value(hi);
      if (more !== undefined || a === undefined || b === undefined) return `${spec.name} "${part}" is not a number, name or range`;
      if (a < spec.min || b > spec.max) return `${spec.name} "${part}" is outside ${spec.min}-${spec.max}`;
      if (a > b) return `${spec.name} "${part}": beginning of range after end`;
    }
  }
  return undefined;
}

/** batch validateTimeZone: not "Local", and time.LoadLocation finds it in the tz database (case-sensitive). */
export function timeZoneProblem(tz: string): string | undefined {
  if (tz.toLowerCase() === 'local') return 'timeZone "Local" is refused';
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return `timeZone "${tz}" is not in the tz database`;
  }
  if (tz !== resolved && tz.toLowerCase() === resolved.toLowerCase()) return `timeZone "${tz}" is spelt "${resolved}" in the tz database (LoadLocation is case-sensitive)`;
  return undefined;
}

const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

/** Pod Security Standards "restricted" (k8s.io/pod-security-admission policy check_*.go), on one pod spec. */
function restrictedProblems(pod: any, where: string, out: string[]): void {
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  const podSc = pod.securityContext ?? {};
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const at = `${where} container ${c.name}`;
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) out.push(`${at}: runAsNonRoot is not true (check_runAsNonRoot)`);
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) out.push(`${at}: runAsUser 0 (check_runAsUser)`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${at}: allowPrivilegeEscalation is not false (check_allowPrivilegeEscalation)`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${at}: capabilities do not drop ALL (check_capabilities_restricted)`);
    const added = (sc.capabilities?.add ?? []).filter((cap: string) => cap !== 'NET_BIND_SERVICE');
    if (added.length) out.push(`${at}: adds capabilities ${added.join(',')} (check_capabilities_restricted)`);
    if (sc.privileged === true) out.push(`${at}: privileged (check_privileged)`);
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${at}: seccompProfile is not RuntimeDefault (check_seccompProfile_restricted)`);
  }
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (!type || !RESTRICTED_VOLUMES.includes(type)) out.push(`${where}: volume ${v.name} of type ${type} (check_restrictedVolumes)`);
  }
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push(`${where}: host namespaces (check_hostNamespaces)`);
}

/**
 * QoS (pkg/apis/core/helper/qos GetPodQOS): Guaranteed when every container has CPU and memory limits equal to
 * requests. The library's Burstable form: memory requests equal limits, no CPU limits.
 */
function qosProblems(pod: any, where: string, asked: ValidationOptions['qosClass'], out: string[]): void {
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  const same = (a: unknown, b: unknown) => a !== undefined && String(a) === String(b);
  const guaranteed = (c: any) => ['cpu', 'memory'].every((r) => same(c.resources?.limits?.[r], c.resources?.requests?.[r] ?? c.resources?.limits?.[r]));
  const burstable = (c: any) => c.resources?.limits?.cpu === undefined && c.resources?.requests?.cpu !== undefined
    && same(c.resources?.limits?.memory, c.resources?.requests?.memory);
  const form = asked ?? (containers.length > 0 && containers.every(burstable) ? 'Burstable' : 'Guaranteed');
  for (const c of containers) {
    // Asked Burstable, helper containers may still be Guaranteed (requests == limits is always allowed).
    if (!(form === 'Guaranteed' ? guaranteed(c) : burstable(c) || guaranteed(c))) {
      out.push(`${where} container ${c.name}: resources ${JSON.stringify(c.resources ?? {})} are not ${form} (requests == limits${form === 'Burstable' ? ' for memory, no CPU limit' : ''})`);
    }
  }
}

/** Uniqueness and references inside one pod spec (core validation validateContainers/validateVolumes/validateVolumeMounts). */
function podReferenceProblems(pod: any, claimNames: string[], where: string, out: string[]): void {
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  const dupes = (names: string[]) => names.filter((n, i) => names.indexOf(n) !== i);
  for (const d of dupes(containers.map((c) => c.name))) out.push(`${where}: container name ${d} twice (validateContainers: Duplicate)`);
  const volumes: string[] = (pod.volumes ?? []).map((v: any) => v.name);
  for (const d of dupes(volumes)) out.push(`${where}: volume name ${d} twice (validateVolumes: Duplicate)`);
  // Pod warnings (pkg/api/pod/warnings.go) flag a port name used twice in a pod: a Service's named targetPort is ambiguous.
  const portNames = containers.flatMap((c) => (c.ports ?? []).map((p: any) => p.name).filter((n: unknown) => n));
  for (const d of dupes(portNames)) out.push(`${where}: port name ${d} twice in the pod`);
  // A StatefulSet's claim templates become volumes of its pods (ValidatePodTemplateSpecForStatefulSet leaves the check
  // to pod creation, where validateVolumeMounts refuses a mount of an unknown volume).
  const declared = new Set([...volumes, ...claimNames]);
  for (const c of containers) {
    const at = `${where} container ${c.name}`;
    const mounts = c.volumeMounts ?? [];
    for (const mnt of mounts) if (!declared.has(mnt.name)) out.push(`${at}: volumeMount ${mnt.name} names no volume (validateVolumeMounts: NotFound)`);
    for (const d of dupes(mounts.map((mnt: any) => mnt.mountPath))) out.push(`${at}: mountPath ${d} twice (validateVolumeMounts: must be unique)`);
    for (const d of dupes((c.ports ?? []).map((p: any) => `${p.containerPort}/${p.protocol ?? 'TCP'}`))) out.push(`${at}: port ${d} twice`);
    for (const e of c.env ?? []) {
      for (const ref of [e.valueFrom?.secretKeyRef, e.valueFrom?.configMapKeyRef].filter((r) => r)) {
        if (!ref.name || !ref.key) out.push(`${at}: env ${e.name} key reference without name and key (validateSecretKeySelector: Required)`);
        else if (!/^[-._a-zA-Z0-9]+$/.test(ref.key) || ref.key.length > 253) out.push(`${at}: env ${e.name} key "${ref.key}" invalid (IsConfigMapKey)`);
      }
    }
    for (const ef of c.envFrom ?? []) {
      const ref = ef.secretRef ?? ef.configMapRef;
      if (ref && !ref.name) out.push(`${at}: envFrom without a name (Required)`);
    }
  }
}

/** The rules of one built-in object the schemas miss. */
function apiServerProblems(m: Manifest, id: string, options: ValidationOptions): string[] {
  const out: string[] = [];
  numberProblems(m, id, out);
  if (m.kind === 'PriorityClass' && (m.value > 1000000000 || m.value < INT32_MIN)) out.push(`${id}: value ${m.value} above 1000000000 (reserved for system classes, ValidatePriorityClass)`);
  if (m.kind === 'CronJob') {
    const problem = cronProblem(m.spec?.schedule);
    if (problem) out.push(`${id}: ${problem} (validateScheduleFormat)`);
    if (m.spec?.timeZone !== undefined) {
      const tz = timeZoneProblem(m.spec.timeZone);
      if (tz) out.push(`${id}: ${tz} (validateTimeZone)`);
    }
  }
  const template = m.spec?.template ?? m.spec?.jobTemplate?.spec?.template;
  const pod = m.kind === 'Pod' ? m.spec : template?.spec;
  quantityProblems(m, id, pod, out);
  if (pod) {
    const claims = (m.spec?.volumeClaimTemplates ?? []).map((t: any) => t.metadata?.name);
    podReferenceProblems(pod, claims, id, out);
    // The library's own policy (STYLE.md "Defaults protect users"), on the objects it made, not on test workloads.
    if (m.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'cdk8s-databases') {
      restrictedProblems(pod, id, out);
      qosProblems(pod, id, options.qosClass, out);
    }
  }
  return out;
}

/** Whether a label selector (matchLabels and matchExpressions) selects these labels. */
function selects(selector: any, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpr = (selector?.matchExpressions ?? []).every((e: any) => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In': return has && e.values.includes(labels[e.key]);
      case 'NotIn': return !has || !e.values.includes(labels[e.key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
  return byLabel && byExpr;
}

/**
 * The eviction API refuses a pod that more than one PodDisruptionBudget selects ("This pod has more than one
 * PodDisruptionBudget, which the eviction subresource does not support", pkg/registry/core/pod/storage/eviction.go):
 * drains then stall. Checked on the pod templates as rendered.
 */
function budgetOverlaps(manifests: Manifest[]): string[] {
  const budgets = manifests.filter((m) => m.kind === 'PodDisruptionBudget');
  const out: string[] = [];
  for (const m of manifests) {
    const labels = m.spec?.template?.metadata?.labels;
    if (!labels || m.kind === 'Job' || m.kind === 'CronJob') continue;
    const ns = m.metadata?.namespace ?? '';
    const hits = budgets.filter((b) => (b.metadata?.namespace ?? '') === ns && selects(b.spec?.selector, labels));
    if (hits.length > 1) out.push(`${m.kind}/${m.metadata?.name}: pods selected by ${hits.length} PodDisruptionBudgets (${hits.map((b) => b.metadata.name).join(', ')}): eviction refuses them`);
  }
  return out;
}
