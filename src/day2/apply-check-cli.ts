import { ApplyFinding, ApplyVerdict } from './apply-finding';
import { ApplySafety } from './apply-safety';

const USAGE = 'usage: cdk8s-databases-apply-check --previous <dir> [--current <dir>] [--json]\n'
  + '  --previous <dir>  folder of the manifests applied last (e.g. a copy of dist/ from the last release)\n'
  + '  --current <dir>   folder of the manifests about to be applied (default: dist)\n'
  + '  --json            print the findings as a JSON array\n'
  + 'Exit code: 0 when the change applies, 1 when the API server refuses it, the engine will not start or data is lost, 2 on bad arguments.';

/** Order in which verdicts are printed: what blocks the apply first. */
const VERDICT_ORDER = [ApplyVerdict.REJECTED, ApplyVerdict.ENGINE_REFUSES, ApplyVerdict.DATA_LOSS, ApplyVerdict.RESTARTS_ALL, ApplyVerdict.NO_EFFECT];

const HEADINGS: Record<ApplyVerdict, string> = {
  [ApplyVerdict.REJECTED]: 'REJECTED: the API server refuses the update',
  [ApplyVerdict.ENGINE_REFUSES]: 'ENGINE_REFUSES: applied, but the engine will not start or upgrade',
  [ApplyVerdict.DATA_LOSS]: 'DATA_LOSS: data is lost or left behind',
  [ApplyVerdict.RESTARTS_ALL]: 'RESTARTS_ALL: every member restarts at once',
  [ApplyVerdict.NO_EFFECT]: 'NO_EFFECT: applied, but nothing running changes',
};

interface Options {
  readonly previous: string;
  readonly current: string;
  readonly json: boolean;
}

/** Reads the arguments; a string is the usage error to print. */
function parseArguments(argv: string[]): Options | string {
  let previous: string | undefined;
  let current = 'dist';
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') {
      json = true;
    } else if (arg === '--previous' || arg === '--current') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) return `${arg} needs a directory`;
      if (arg === '--previous') previous = value;
      else current = value;
    } else {
      return `unknown argument ${JSON.stringify(arg)}`;
    }
  }
  return previous === undefined ? '--previous <dir> is required' : { previous, current, json };
}

function describe(f: ApplyFinding): string[] {
  const where = f.namespaceName ? `${f.namespaceName}/${f.name}` : f.name;
  return [`  ${f.kind} ${where} ${f.field}`, `    ${f.finding}`, `    fix: ${f.fix}`];
}

/**
 * The `cdk8s-databases-apply-check` command: compares the manifests of `--current` (default `dist`) with those of
 * `--previous` and prints the findings grouped by verdict.
 * @returns the exit code: 1 when any finding blocks the apply (REJECTED, ENGINE_REFUSES, DATA_LOSS), 2 on bad arguments
 */
export function runApplyCheck(argv: string[], print: (line: string) => void): number {
  const options = parseArguments(argv);
  if (typeof options === 'string') {
    print(`cdk8s-databases-apply-check: ${options}`);
    print(USAGE);
    return 2;
  }
  let findings: ApplyFinding[];
  try {
    findings = ApplySafety.checkDirectories(options.previous, options.current);
  } catch (e) {
    print(`cdk8s-databases-apply-check: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const blocking = findings.filter((f) => ApplySafety.isBlocking(f)).length;
  if (options.json) {
    print(JSON.stringify(findings, undefined, 2));
  } else {
    for (const verdict of VERDICT_ORDER) {
      const group = findings.filter((f) => f.verdict === verdict);
      if (group.length === 0) continue;
      print(`${HEADINGS[verdict]} (${group.length})`);
      group.forEach((f) => describe(f).forEach(print));
    }
    print(findings.length === 0
      ? `No findings: ${options.current} applies cleanly over ${options.previous}.`
      : `${findings.length} finding(s), ${blocking} blocking the apply.`);
  }
  return blocking > 0 ? 1 : 0;
}
