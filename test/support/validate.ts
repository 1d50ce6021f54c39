import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import * as models from 'kubernetes-models';
import { parse } from 'yaml';

/** Where the CRD schemas live beside the project (shared/ is not part of the repository). */
export const CRD_DIR = path.resolve(__dirname, '../../../shared/crds');
export const CRDS_PRESENT = fs.existsSync(CRD_DIR);

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

/** CRD schemas by `group/version/kind`, read once from shared/crds. */
let crdSchemas: Map<string, any> | undefined;
function crdSchema(apiVersion: string, kind: string): any {
  if (!CRDS_PRESENT) return undefined;
  if (!crdSchemas) {
    crdSchemas = new Map();
    for (const file of fs.readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml'))) {
      const crd = parse(fs.readFileSync(path.join(CRD_DIR, file), 'utf8'));
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

/** Problems with one manifest: schema, names and labels. Empty when it is valid. */
export function manifestProblems(m: Manifest): string[] {
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

/** Throws with every problem of every manifest. */
export function assertValidManifests(manifests: Manifest[]): void {
  const problems = manifests.flatMap(manifestProblems);
  const names = new Set<string>();
  for (const m of manifests) {
    const key = `${m.apiVersion}/${m.kind}/${m.metadata?.namespace ?? ''}/${m.metadata?.name}`;
    if (names.has(key)) problems.push(`duplicate object ${key}`);
    names.add(key);
  }
  if (problems.length > 0) throw new Error(`invalid manifests:\n${problems.join('\n')}`);
}
