import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { check } from './errors';

// Kubernetes naming rules, as enforced by the API server (k8s.io/apimachinery validation).
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
// A ConfigMap or Secret key (IsConfigMapKey): at most 253 of [-._a-zA-Z0-9], never "." or "..", nor starting "..".
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * The longest StatefulSet name: pods get the label
 * `controller-revision-hash: <name>-<hash>` where the hash takes up to 10 characters and
 * label values stop at 63, so 63 - 1 - 10 = 52.
 */
export const MAX_STATEFULSET_NAME = 52;

export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

export function isServiceName(value: string): boolean {
  return value.length <= 63 && DNS1035_LABEL.test(value);
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** A qualified label or annotation key: optional DNS-subdomain prefix, then a name of at most 63. */
export function isQualifiedKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

export function isConfigMapKey(value: string): boolean {
  return typeof value === 'string' && CONFIG_MAP_KEY.test(value) && value !== '.' && !value.startsWith('..');
}

export function isEnvName(value: string): boolean {
  return ENV_NAME.test(value);
}

/** Checks a name that must be a DNS-1123 subdomain (Secrets, ConfigMaps, StorageClasses, PriorityClasses). */
export function checkSubdomainName(scope: IConstruct, prop: string, value: string): void {
  check(isDnsSubdomain(value), scope,
    `\`${prop}\` ("${value}") is not a valid Kubernetes name: use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (RFC 1123 subdomain).`);
}

/** Checks user-supplied labels: keys qualified names, values at most 63 characters. */
export function checkLabels(scope: IConstruct, prop: string, labels: Record<string, string>): void {
  for (const [key, value] of Object.entries(labels)) {
    check(isQualifiedKey(key), scope,
      `\`${prop}\` key "${key}" is not a valid label key: use an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.'.`);
    check(isLabelValue(value), scope,
      `\`${prop}\` value "${value}" for key "${key}" is not a valid label value: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.`);
  }
}

export function checkAnnotationKeys(scope: IConstruct, prop: string, annotations: Record<string, string>): void {
  for (const key of Object.keys(annotations)) {
    check(isQualifiedKey(key), scope,
      `\`${prop}\` key "${key}" is not a valid annotation key: use an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.'.`);
  }
}

/**
 * The `app.kubernetes.io/version` value of an image tag: label values stop at 63 characters and hold no '@' or
 * ':', so a digest is left out and a longer tag is cut (the image itself keeps the whole reference).
 */
export function versionLabel(tag: string): string {
  return tag.replace(/^[^A-Za-z0-9]+/, '').slice(0, 63).replace(/[^A-Za-z0-9]+$/, '');
}

/** Volume names derived from a path: `/var/run/postgresql` becomes `var-run-postgresql`. */
export function volumeNameFor(path: string): string {
  return path.replace(/^\//, '').replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 63).replace(/-+$/, '');
}

/** Checks the namespace of the chart `scope` is in: the API server refuses every object in an invalid one. */
export function checkChartNamespace(scope: IConstruct): void {
  const namespace = Chart.of(scope).namespace;
  check(namespace === undefined || isDnsLabel(namespace), scope,
    `the chart's \`namespace\` ("${namespace}") is not a valid namespace name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label).`);
}
