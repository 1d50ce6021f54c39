import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { Tolerance } from './tolerance';

/** Anything that can say what it tolerates. */
export interface ReportedDatabase {
  readonly node: { readonly path: string };
  readonly name: string;
  readonly _engineLabel: string;
  tolerance(): Tolerance;
  _reportExtras(): Record<string, string>;
}

const REPORT_ID = 'cdk8s-databases-report';
export const REPORT_FILE = 'cdk8s-databases.report';

/**
 * The synth-time report: when the app synthesizes, it writes `cdk8s-databases.report.json` and
 * `.md` beside the YAML, with what each database tolerates, computed from the synthesized objects.
 * It hooks the App's validation pass, the last step before the YAML is written.
 */
export class SynthReport extends Construct {
  public static register(scope: IConstruct, database: ReportedDatabase): void {
    const app = scope.node.root;
    if (!(app instanceof App)) return;
    const existing = app.node.tryFindChild(REPORT_ID) as SynthReport | undefined;
    (existing ?? new SynthReport(app)).databases.push(database);
  }

  private readonly databases: ReportedDatabase[] = [];

  private constructor(private readonly app: App) {
    super(app, REPORT_ID);
    this.node.addValidation({ validate: () => this.write() });
  }

  private write(): string[] {
    const entries = this.databases.map((d) => ({ path: d.node.path, name: d.name, engine: d._engineLabel, ...d.tolerance(), ...d._reportExtras() }));
    fs.mkdirSync(this.app.outdir, { recursive: true });
    fs.writeFileSync(path.join(this.app.outdir, `${REPORT_FILE}.json`), JSON.stringify({ databases: entries }, null, 2) + '\n');
    const md = ['# cdk8s-databases report', ''];
    for (const e of entries) {
      md.push(`## ${e.name} (${e.engine})`, '', `\`${e.path}\``, '', `**${e.summary}**`, '');
      md.push(`- replicas: ${e.replicas}; zones: ${e.zones ?? 'not declared'}; quorum: ${e.quorum}`);
      md.push(`- zone failures tolerated: ${e.zoneFailuresTolerated}; node failures tolerated: ${e.nodeFailuresTolerated}`);
      md.push(`- members a drain takes down at once: ${e.drainsEvictAtOnce}`);
      for (const [k, v] of Object.entries(extrasOf(e))) md.push(`- ${k}: ${v}`);
      for (const n of e.notes) md.push(`- note: ${n}`);
      md.push('');
    }
    fs.writeFileSync(path.join(this.app.outdir, `${REPORT_FILE}.md`), md.join('\n'));
    return [];
  }
}

const KNOWN = new Set(['path', 'name', 'engine', 'replicas', 'zones', 'quorum', 'maxMembersPerZone', 'zoneFailuresTolerated',
  'nodeFailuresTolerated', 'drainsEvictAtOnce', 'overlappingBudgetMembers', 'summary', 'notes']);
function extrasOf(e: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(e).filter(([k, v]) => !KNOWN.has(k) && typeof v === 'string') as [string, string][]);
}
