import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { PolicyReport } from '../policy/policy-report';

/** One section of the report: a database's tolerance, a backup schedule's RPO and restore paths, or a DR pair's figures and runbook. */
export interface ReportEntry {
  readonly kind: string;
  readonly path: string;
  readonly name: string;
  readonly summary: string;
  /** Scalars and lists shown as bullet points; notes are listed last. */
  readonly details: Record<string, string | number | string[] | undefined>;
  readonly notes: string[];
}

/** Anything that writes a section into the report. */
export interface Reported {
  _reportEntry(): ReportEntry;
}

const REPORT_ID = 'cdk8s-databases-report';
/**
 * The report's folder inside the app's outdir: a folder, so that `kubectl apply -f dist/` (which reads every
 * .json/.yaml/.yml directly in the folder, and stops at a file that is not a Kubernetes object) sees only YAML.
 */
export const REPORT_DIR = 'cdk8s-databases-report';
export const REPORT_FILE = 'report';

/**
 * The synth-time report: when the app synthesizes, it writes `report.json` and `report.md` into
 * `<outdir>/cdk8s-databases-report/`. It hooks the App's validation pass, the last step before the YAML is written.
 */
export class SynthReport extends Construct {
  public static register(scope: IConstruct, entry: Reported): void {
    const app = scope.node.root;
    if (!(app instanceof App)) return;
    SynthReport.of(app).entries.push(entry);
  }

  /** The app's report, created on first use. */
  public static of(app: App): SynthReport {
    return (app.node.tryFindChild(REPORT_ID) as SynthReport | undefined) ?? new SynthReport(app);
  }

  /** The policy check's outcome, set by `Policy.enforce`/`Policy.report` before this report is written. */
  public policy?: PolicyReport;
  private readonly entries: Reported[] = [];

  private constructor(private readonly app: App) {
    super(app, REPORT_ID);
    this.node.addValidation({ validate: () => this.write() });
  }

  private write(): string[] {
    const entries = this.entries.map((e) => e._reportEntry());
    const json = {
      databases: entries.filter((e) => e.kind === 'database').map(flatten),
      backups: entries.filter((e) => e.kind === 'backup').map(flatten),
      disasterRecovery: entries.filter((e) => e.kind === 'dr').map(flatten),
    };
    const dir = path.join(this.app.outdir, REPORT_DIR);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${REPORT_FILE}.json`), JSON.stringify(json, null, 2) + '\n');
    const md = ['# cdk8s-databases report', ''];
    for (const e of entries) {
      md.push(`## ${e.name}${typeof e.details.engine === 'string' ? ` (${e.details.engine})` : ''}${e.kind === 'backup' ? ' backups' : ''}`, '', `\`${e.path}\``, '', `**${e.summary}**`, '');
      for (const [k, v] of Object.entries(e.details)) {
        if (v === undefined) continue;
        md.push(Array.isArray(v) ? `- ${k}:${v.map((x) => `\n  - ${x}`).join('')}` : `- ${k}: ${v}`);
      }
      for (const n of e.notes) md.push(`- note: ${n}`);
      md.push('');
    }
    fs.writeFileSync(path.join(dir, `${REPORT_FILE}.md`), md.join('\n'));
    return [];
  }
}

function flatten(e: ReportEntry): Record<string, unknown> {
  return { path: e.path, name: e.name, summary: e.summary, ...e.details, notes: e.notes };
}

/** Hands the policy check's outcome to the app's report. */
export function recordPolicy(app: App, report: PolicyReport): void {
  SynthReport.of(app).policy = report;
}
