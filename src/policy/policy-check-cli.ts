import * as fs from 'fs';
import * as path from 'path';
import { objectRef } from './manifest';
import { Policy } from './policy';
import { FindingStatus, PolicyFinding } from './policy-finding';
import { PolicyPack } from './policy-pack';
import { readManifestFiles, yamlFilesOf } from './read-manifests';
import { RuleLevel } from './rule';
import { loadPacks } from './validation-plugin-props';

const COMMAND = 'cdk8s-databases-policy-check';
const LEVELS: string[] = [RuleLevel.ERROR, RuleLevel.WARNING, RuleLevel.INFO];
const USAGE = `usage: ${COMMAND} [--pack <name or ./module.js>]... [--fail-on error|warning|info] [--json] [<file or folder>...]\n`
  + '  <file or folder>  YAML manifests from any tool (.yaml, .yml; folders are read with their subfolders; default: dist)\n'
  + '  --pack            data-on-kubernetes, security-baseline, or the path of a module exporting PolicyPacks; repeat it for\n'
  + '                    several (default: both built-in packs)\n'
  + '  --fail-on         findings at or above this level fail (default: error)\n'
  + '  --json            print the report as JSON\n'
  + 'Suppress a finding with the annotation `ignore-check.cdk8s-databases.io/<RULE-ID>: <reason>` on the object.\n'
  + 'Exit code: 0 when nothing fails, 1 when a finding fails the check, 2 on bad arguments or unreadable files.';

interface Options {
  readonly packs: string[];
  readonly failOn: RuleLevel;
  readonly json: boolean;
  readonly inputs: string[];
}

/** Reads the arguments; a string is the usage error to print. */
function parseArguments(argv: string[]): Options | string {
  const packs: string[] = [];
  const inputs: string[] = [];
  let failOn = RuleLevel.ERROR;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') {
      json = true;
    } else if (arg === '--pack' || arg === '--fail-on') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) return `${arg} needs a value`;
      if (arg === '--pack') {
        packs.push(value);
      } else {
        if (!LEVELS.includes(value)) return `--fail-on ${JSON.stringify(value)}: use one of ${LEVELS.join(', ')}`;
        failOn = value as RuleLevel;
      }
    } else if (arg.startsWith('--')) {
      return `unknown argument ${JSON.stringify(arg)}`;
    } else {
      inputs.push(arg);
    }
  }
  return { packs, failOn, json, inputs: inputs.length ? inputs : ['dist'] };
}

function describe(f: PolicyFinding, file: string | undefined): string[] {
  const status = f.status === FindingStatus.RULE_FAILED ? 'rule failed' : f.level;
  return [`  ${status}  ${f.ruleId}  ${f.objectRef}${file ? `  (${file})` : ''}`, `    ${f.detail}`, `    fix: ${f.explanation}`];
}

/**
 * The `cdk8s-databases-policy-check` command: checks YAML manifests (of any tool) against the policy packs and prints
 * the findings, failing ones first.
 * @returns the exit code: 1 when a finding fails the check, 2 on bad arguments or unreadable input
 */
export function runPolicyCheck(argv: string[], print: (line: string) => void, cwd: string = process.cwd()): number {
  const options = parseArguments(argv);
  if (typeof options === 'string') {
    print(`${COMMAND}: ${options}`);
    print(USAGE);
    return 2;
  }
  let packs: PolicyPack[];
  let files: string[];
  try {
    packs = loadPacks(options.packs.length ? options.packs : undefined, cwd, `${COMMAND} (--pack)`);
    files = options.inputs.flatMap((input) => {
      const resolved = path.resolve(cwd, input);
      if (!fs.existsSync(resolved)) throw new Error(`${COMMAND}: ${input} does not exist: give YAML files or the folder the synth wrote to`);
      return yamlFilesOf(resolved).map((file) => path.relative(cwd, file));
    });
  } catch (e) {
    print(e instanceof Error ? e.message : String(e));
    return 2;
  }
  if (files.length === 0) {
    print(`${COMMAND}: ${options.inputs.join(', ')} holds no .yaml or .yml file, in it or its subfolders`);
    return 2;
  }
  const { objects, manifestOf, unreadable } = readManifestFiles(files.map((file) => path.resolve(cwd, file)));
  if (unreadable.length) {
    unreadable.forEach((u) => print(`${COMMAND}: cannot read ${u.manifestPath}: ${u.reason}`));
    return 2;
  }
  const report = Policy.check(objects, { packs, failOn: options.failOn });
  // Findings name objects by `Kind namespace/name`: the files of every object of that name (usually one).
  const filesOf = new Map<string, Set<string>>();
  objects.forEach((o) => filesOf.set(objectRef(o), (filesOf.get(objectRef(o)) ?? new Set()).add(path.relative(cwd, manifestOf.get(o)!))));
  const fileOfFinding = (f: PolicyFinding) => [...filesOf.get(f.objectRef) ?? []].join(', ');

  if (options.json) {
    print(JSON.stringify({ files, ...report.toJson() }, undefined, 2));
    return report.passed ? 0 : 1;
  }
  const failures = new Set(report.failures);
  const reported = report.findings.filter((f) => f.status !== FindingStatus.SUPPRESSED && !failures.has(f));
  const suppressed = report.findings.filter((f) => f.status === FindingStatus.SUPPRESSED);
  const sections: [string, PolicyFinding[]][] = [
    [`FAILING (at or above ${report.failOn}, or the rule failed)`, report.failures],
    [`REPORTED (below ${report.failOn})`, reported],
  ];
  for (const [heading, group] of sections) {
    if (group.length === 0) continue;
    print(`${heading}: ${group.length}`);
    group.forEach((f) => describe(f, fileOfFinding(f)).forEach(print));
  }
  if (suppressed.length) {
    print(`SUPPRESSED: ${suppressed.length}`);
    suppressed.forEach((f) => print(`  ${f.ruleId}  ${f.objectRef}: ${f.suppressionReason}`));
  }
  const checked = `${objects.length} object(s) in ${files.length} file(s) against ${packs.map((p) => p.name).join(', ')}`;
  print(report.passed
    ? `Passed: ${checked}; ${reported.length} finding(s) below ${report.failOn}, ${suppressed.length} suppressed.`
    : `Failed: ${checked}; ${report.failures.length} failing finding(s), ${reported.length} below ${report.failOn}, ${suppressed.length} suppressed.`);
  return report.passed ? 0 : 1;
}
