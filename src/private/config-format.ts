/** Small renderers for engine configuration files; no runtime dependency is bundled for this. */

type Scalar = string | number | boolean;
export type YamlValue = Scalar | YamlValue[] | { [key: string]: YamlValue };

function yamlScalar(value: Scalar): string {
  if (typeof value !== 'string') return String(value);
  // Quote anything YAML could read as another type or as syntax.
  return /^[A-Za-z0-9_./:-]+$/.test(value) && !/^(true|false|yes|no|on|off|null|~|[-+]?[0-9.]+)$/i.test(value)
    ? value : JSON.stringify(value);
}

/** Renders nested maps, lists and scalars as block YAML. */
export function toYaml(value: { [key: string]: YamlValue }, indent = ''): string {
  let out = '';
  for (const [key, v] of Object.entries(value)) {
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
