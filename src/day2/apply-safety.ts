import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import { ApplyFinding, ApplyVerdict } from './apply-finding';
import { ALL_APPLY_RULES } from './apply-rules/all-rules';
import { Manifest, indexOutputs } from './apply-rules/manifests';

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
    // An object given twice counts as its last copy, as the last apply wins.
    const context = indexOutputs(objectsOf(previous), objectsOf(current));
    const { previous: before, current: after } = context;
    const identities = [...after.keys(), ...[...before.keys()].filter((id) => !after.has(id))];
    return identities.flatMap((id) => ALL_APPLY_RULES.flatMap((rule) => rule(before.get(id), after.get(id), context)));
  }

  /**
   * Findings for applying the manifests of `currentDir` over those of `previousDir`: every `.yaml`, `.yml` and `.json`
   * file in each folder and its subfolders (hidden ones left out), YAML files with any number of documents. Documents with neither `apiVersion` nor
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

function readManifests(dir: string, argument: string): any[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`ApplySafety: \`${argument}\` (${dir}) is not a directory: give the folder the synth wrote its manifests to`);
  }
  const files = manifestFiles(dir);
  if (files.length === 0) {
    throw new Error(`ApplySafety: \`${argument}\` (${dir}) holds no .yaml, .yml or .json file, in it or its subfolders: give the folder the synth wrote its manifests to`);
  }
  return files.flatMap((file) => {
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

/**
 * The manifest files of `dir` and its subfolders, in path order: cdk8s writes a folder per chart with
 * `outputFileExtension` and FOLDER_PER_CHART_FILE_PER_RESOURCE. Hidden entries (`.git`) are left out.
 */
function manifestFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => {
      const entry = path.join(dir, e.name);
      if (e.isDirectory()) return manifestFiles(entry);
      return MANIFEST_FILE.test(e.name) && fs.statSync(entry).isFile() ? [entry] : [];
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
