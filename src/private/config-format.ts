/** Small renderers for engine configuration files; no runtime dependency is bundled for this. */

type Scalar = string | number | boolean;
export type YamlValue = Scalar | YamlValue[] | { [key: string]: YamlValue };

function yamlScalar(value: Scalar): string {
  if (typeof value !== 'string') return String(value);
  // Quote anything YAML could read as another type or as syntax.
  return /^[A-Za-z0-9_./:-]+$/.test(value) && !/^(true|false|yes|no|on|off|null|~|[-+]?[0-9.]+)$/i.test(value)
    ? value : JSON.stringify(value);
}

/** A mapping key: plain where YAML reads it as the same text (or number), else double-quoted like a scalar. */
function yamlKey(key: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(key) ? key : JSON.stringify(key);
}

/** Renders nested maps, lists and scalars as block YAML. */
export function toYaml(value: { [key: string]: YamlValue }, indent = ''): string {
  let out = '';
  for (const [k, v] of Object.entries(value)) {
    const key = yamlKey(k);
    if (Array.isArray(v)) {
      out += `${indent}${key}:\n`;
      for (const item of v) {
        if (typeof item === 'object' && !Array.isArray(item)) {
          const body = toYaml(item, `${indent}    `).replace(/^\s+/, '');
          out += `${indent}  - ${body}`;
        } else {
          out += `${indent}  - ${yamlScalar(item as Scalar)}\n`;
        }
      }
    } else if (typeof v === 'object') {
      out += `${indent}${key}:\n${toYaml(v, `${indent}  `)}`;
    } else {
      out += `${indent}${key}: ${yamlScalar(v)}\n`;
    }
  }
  return out;
}

/** Sets `a.b.c = value` inside a nested map (MongoDB documents its options with dotted names). */
export function setDotted(target: { [key: string]: YamlValue }, dotted: string, value: Scalar): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as { [key: string]: YamlValue };
  }
  node[parts[parts.length - 1]] = value;
}

/** Reads a user setting as number or boolean where it looks like one, so YAML keeps its type. */
export function typedScalar(value: string): Scalar {
  if (/^(true|false)$/.test(value)) return value === 'true';
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(value)) return Number(value);
  return value;
}

/**
 * Renders `key=value` lines of a Java properties file, escaped as java.util.Properties#load reads them: a backslash,
 * a line break, a separator (`=`, `:`) or a comment mark (`#`, `!`) in a value or key stays data, never a new entry.
 */
export function toProperties(entries: Record<string, string>): string {
  const escape = (text: string, key: boolean) => text
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/\f/g, '\\f')
    .replace(key ? /[=:#! ]/g : /[=:#!]/g, '\\$&')
    .replace(/^ /, '\\ ');
  return Object.entries(entries).map(([k, v]) => `${escape(k, true)}=${escape(v, false)}\n`).join('');
}
