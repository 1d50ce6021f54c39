import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import { ApplyFinding, ApplyVerdict } from './apply-finding';
import { ALL_APPLY_RULES } from './apply-rules/all-rules';
import { Manifest, identity } from './apply-rules/manifests';

export * from './apply-finding';

const MANIFEST_FILE = /\.(ya?ml|json)$/;

/** Verdicts that make an apply fail or lose data: the CLI exits 1 on any of them. */
const BLOCKING = new Set([ApplyVerdict.REJECTED, ApplyVerdict.ENGINE_REFUSES, ApplyVerdict.DATA_LOSS]);

/**
 * Checks a new synthesized output against the previous one before it is applied to a running database.
 *
 * Many fields of a StatefulSet, a claim or a Job cannot change on an existing object: `kubectl apply` then fails
 * halfway, or a change is accepted that the engine refuses to start on (a PostgreSQL major version), or restarts every
 * member at once. Each finding names the object, the field, what applying it does and the documented way through.
 * Objects are matched by API group, kind, namespace and name, as the API server matches them.
 */
export class ApplySafety {
  /**
   * Findings for applying `current` over what `previous` created.
   * @param previous the manifests applied last (plain objects, e.g. `Testing.synth(chart)` of the last release)
   * @param current the manifests about to be applied
   */
  public static check(previous: any[], current: any[]): ApplyFinding[] {
    const context = { previous: objectsOf(previous), current: objectsOf(current) };
    const before = byIdentity(context.previous);
    const after = byIdentity(context.current);
    const identities = [...after.keys(), ...[...before.keys()].filter((id) => !after.has(id))];
    return identities.flatMap((id) => ALL_APPLY_RULES.flatMap((rule) => rule(before.get(id), after.get(id), context)));
  }

  /**
   * Findings for applying the manifests of `currentDir` over those of `previousDir`: every `.yaml`, `.yml` and `.json`
   * file directly in each folder, YAML files with any number of documents. Documents with neither `apiVersion` nor
   * `kind` (such as the synth report) are not manifests and are left out.
   * @param previousDir the folder of the output applied last (e.g. a copy of `dist/` from the last release)
   * @param currentDir the folder of the output about to be applied (e.g. `dist/`)
   */
  public static checkDirectories(previousDir: string, currentDir: string): ApplyFinding[] {
    return ApplySafety.check(readManifests(previousDir, 'previousDir'), readManifests(currentDir, 'currentDir'));
  }

  /** Whether a finding means the apply fails or loses data (REJECTED, ENGINE_REFUSES, DATA_LOSS). */
  public static isBlocking(finding: ApplyFinding): boolean {
    return BLOCKING.has(finding.verdict);
  }

  private constructor() {}
}

/** The objects of an output, `List` items unwrapped, anything that is not an object with a kind left out. */
function objectsOf(manifests: unknown[]): Manifest[] {
  return (manifests ?? []).flatMap((m: any): Manifest[] => {
    if (m === null || typeof m !== 'object' || typeof m.kind !== 'string') return [];
    return m.kind.endsWith('List') && Array.isArray(m.items) ? objectsOf(m.items) : [m];
  });
}

/** Objects by identity; an object given twice counts as its last copy, as the last apply wins. */
function byIdentity(objects: Manifest[]): Map<string, Manifest> {
  return new Map(objects.map((m) => [identity(m), m]));
}

function readManifests(dir: string, argument: string): any[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`ApplySafety: \`${argument}\` (${dir}) is not a directory: give the folder the synth wrote its manifests to`);
  }
  const files = fs.readdirSync(dir).filter((f) => MANIFEST_FILE.test(f) && fs.statSync(path.join(dir, f)).isFile()).sort();
  if (files.length === 0) {
    throw new Error(`ApplySafety: \`${argument}\` (${dir}) holds no .yaml, .yml or .json file: give the folder the synth wrote its manifests to`);
  }
  return files.flatMap((f) => {
    const file = path.join(dir, f);
    // Documents with neither apiVersion nor kind are no manifests (the synth report beside the YAML) and are left out.
    // cdk8s's Yaml.load keeps going past a syntax error: what it makes of a broken manifest is caught here.
    return parseFile(file).filter((m, i) => {
      if (m === null || typeof m !== 'object' || (m.apiVersion === undefined && m.kind === undefined)) return false;
      if (typeof m.apiVersion !== 'string' || typeof m.kind !== 'string' || typeof m.metadata?.name !== 'string') {
        throw new Error(`ApplySafety: document ${i + 1} of ${file} is not a Kubernetes object (apiVersion, kind and metadata.name): fix the file or move it out of the folder`);
      }
      return true;
    });
  });
}

function parseFile(file: string): any[] {
  if (!file.endsWith('.json')) return Yaml.load(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`ApplySafety: ${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return Array.isArray(parsed) ? parsed : [parsed];
}
