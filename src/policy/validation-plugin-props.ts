import * as path from 'path';
import { MIN_REASON_LENGTH, PolicySuppression } from './evaluate';
import { PolicyPack } from './policy-pack';
import { RuleLevel } from './rule';

// The plugin's properties come from cdk8s.yaml, unchecked by any compiler: each is checked here, and an error names the
// property, what is wrong and the fix (the CLI prints it as the synth's error).

const PREFIX = 'PolicyValidationPlugin (cdk8s.yaml `validations[].properties`)';
const PROPERTIES = ['packs', 'failOn', 'suppressions'];
const SUPPRESSION_FIELDS = ['ruleId', 'reason', 'kind', 'namespace', 'name'];
const LEVELS: string[] = [RuleLevel.ERROR, RuleLevel.WARNING, RuleLevel.INFO];

export function refuseUnknownProperties(props: any): void {
  if (typeof props !== 'object' || Array.isArray(props)) {
    throw new Error(`${PREFIX}: the properties must be a mapping (e.g. \`properties: { failOn: error }\`), not ${JSON.stringify(props)}.`);
  }
  for (const key of Object.keys(props)) {
    if (!PROPERTIES.includes(key)) {
      throw new Error(`${PREFIX}: unknown property \`${key}\`: the properties are ${PROPERTIES.map((p) => `\`${p}\``).join(', ')}.`);
    }
  }
}

/** A pack given by path: `./team-pack.js`, `../policies/pack.js`, `/abs/pack.js`, or any name ending in .js. */
function isPath(spec: string): boolean {
  return spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('.\\') || spec.startsWith('..\\')
    || path.isAbsolute(spec) || /\.(c?js)$/.test(spec);
}

/** The packs named by `packs`: built-in names, or modules resolved against `cwd` (the cdk8s project, where the CLI runs). */
export function loadPacks(specs: unknown, cwd: string, prefix = PREFIX): PolicyPack[] {
  if (specs === undefined || specs === null) return PolicyPack.builtIns();
  const builtInNames = PolicyPack.builtIns().map((p) => p.name);
  const valid = `${builtInNames.map((n) => `'${n}'`).join(', ')}, or the path of a module exporting PolicyPacks (e.g. './team-pack.js')`;
  if (!Array.isArray(specs) || specs.length === 0 || specs.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new Error(`${prefix}: \`packs\` must be a non-empty list of pack names or paths, got ${JSON.stringify(specs)}: use ${valid} `
      + '(leave `packs` out for both built-in packs).');
  }
  const packs: PolicyPack[] = [];
  for (const spec of specs as string[]) {
    if (isPath(spec)) {
      packs.push(...packsOfModule(spec, cwd, prefix));
      continue;
    }
    const pack = PolicyPack.builtIn(spec);
    if (!pack) throw new Error(`${prefix}: \`packs\` names an unknown pack '${spec}': use ${valid}.`);
    packs.push(pack);
  }
  return packs;
}

function packsOfModule(spec: string, cwd: string, prefix: string): PolicyPack[] {
  const file = path.resolve(cwd, spec);
  let exported: any;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(file);
  } catch (e) {
    throw new Error(`${prefix}: \`packs\` entry '${spec}' (resolved from the current folder, the cdk8s project, to ${file}) cannot be loaded: `
      + `${String((e as Error)?.message ?? e).split('\n')[0]}. Fix the path, or the module's error.`);
  }
  const candidates = new Set<any>();
  const collect = (v: any) => (Array.isArray(v) ? v.forEach((x) => candidates.add(x)) : candidates.add(v));
  collect(exported);
  if (exported && typeof exported === 'object' && !Array.isArray(exported)) Object.values(exported).forEach(collect);
  // Duck typing, not `instanceof`: the module may import another copy of this library (the project's own) than the
  // one the CLI installed the plugin with. PolicyPack.of re-checks the rules.
  const packs = [...candidates].filter((c) => c && typeof c === 'object' && typeof c.name === 'string' && Array.isArray(c.rules));
  if (packs.length === 0) {
    throw new Error(`${prefix}: \`packs\` entry '${spec}' (${file}) exports no PolicyPack: export one, e.g. `
      + '`module.exports = { teamPack: PolicyPack.of(\'team\', [myRule]) }`.');
  }
  return packs.map((p) => {
    if (p instanceof PolicyPack) return p;
    try {
      return PolicyPack.of(p.name, p.rules);
    } catch (e) {
      throw new Error(`${prefix}: \`packs\` entry '${spec}': ${(e as Error).message}`);
    }
  });
}

export function checkFailOn(failOn: unknown): RuleLevel {
  if (failOn === undefined || failOn === null) return RuleLevel.ERROR;
  if (typeof failOn !== 'string' || !LEVELS.includes(failOn)) {
    throw new Error(`${PREFIX}: \`failOn\` is ${JSON.stringify(failOn)}: use one of ${LEVELS.join(', ')} `
      + '(findings at or above it fail the synth; leave it out for error).');
  }
  return failOn as RuleLevel;
}

export function checkSuppressions(suppressions: unknown, packs: PolicyPack[]): PolicySuppression[] {
  if (suppressions === undefined || suppressions === null) return [];
  if (!Array.isArray(suppressions)) {
    throw new Error(`${PREFIX}: \`suppressions\` must be a list of { ruleId, reason, kind?, namespace?, name? }, got ${JSON.stringify(suppressions)}.`);
  }
  const ruleIds = new Set(packs.flatMap((p) => p.rules.map((r) => r.id)));
  suppressions.forEach((s: any, i: number) => {
    const where = `\`suppressions[${i}]\``;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) {
      throw new Error(`${PREFIX}: ${where} must be a mapping { ruleId, reason, kind?, namespace?, name? }, got ${JSON.stringify(s)}.`);
    }
    const unknown = Object.keys(s).find((k) => !SUPPRESSION_FIELDS.includes(k));
    if (unknown) throw new Error(`${PREFIX}: ${where} has an unknown field \`${unknown}\`: the fields are ${SUPPRESSION_FIELDS.join(', ')}.`);
    if (typeof s.ruleId !== 'string' || !ruleIds.has(s.ruleId)) {
      throw new Error(`${PREFIX}: ${where}.ruleId ${JSON.stringify(s.ruleId)} is not a rule of the packs checked `
        + `(${packs.map((p) => p.name).join(', ')}): use a rule id from RULES.md or your pack, e.g. '${[...ruleIds][0] ?? 'DOK-GUARANTEED-QOS'}'.`);
    }
    if (typeof s.reason !== 'string' || s.reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(`${PREFIX}: ${where}.reason for ${s.ruleId} is ${JSON.stringify(s.reason)}: say why breaking the rule is right here, `
        + `in at least ${MIN_REASON_LENGTH} characters.`);
    }
    for (const field of ['kind', 'namespace', 'name']) {
      if (s[field] !== undefined && (typeof s[field] !== 'string' || s[field] === '')) {
        throw new Error(`${PREFIX}: ${where}.${field} must be a non-empty string (leave it out to match every ${field}), got ${JSON.stringify(s[field])}.`);
      }
    }
  });
  // cdk8s.yaml says `namespace`, as a manifest does; the API field is `namespaceName` (a reserved word in C#).
  return suppressions.map((s: any) => ({ ruleId: s.ruleId, reason: s.reason, kind: s.kind, namespaceName: s.namespace, name: s.name }));
}
