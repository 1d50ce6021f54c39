import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { ChartReport, chartReports, entryMarkdown, entrySections } from './chart-report';
import { DiagramLink } from './diagram/database-diagram';
import { renderSvgSync } from './diagram/render-svg';
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
  /** Paths of the charts this entry belongs to, besides the one its path is in (a DR pair's site charts). */
  readonly charts?: string[];
  /** DR links drawn in the pictures, by database instance name. */
  readonly links?: Record<string, DiagramLink[]>;
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
/** App context that turns the report's pictures off (`app.node.setContext(PICTURES_CONTEXT, false)`). */
export const PICTURES_CONTEXT = 'cdk8s-databases/report-pictures';

/**
 * The synth-time report: when the app synthesizes, it writes `report.json` and `report.md` (the whole app) into
 * `<outdir>/cdk8s-databases-report/`, and a folder per chart with its own `report.json`, `report.md` and a picture of
 * each database (`<database>.svg`). It hooks the App's validation pass, the last step before the YAML is written.
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
    const json = { ...entrySections(entries), policy: this.policy?.toJson() };
    const dir = path.join(this.app.outdir, REPORT_DIR);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${REPORT_FILE}.json`), JSON.stringify(json, null, 2) + '\n');
    const md = ['# cdk8s-databases report', '', ...entries.flatMap(entryMarkdown)];
    fs.writeFileSync(path.join(dir, `${REPORT_FILE}.md`), md.join('\n'));
    // The pictures cost a few milliseconds per database (Graphviz in a child process): an app of thousands can skip
    // them with the context `cdk8s-databases/report-pictures: false`; the report then says so.
    const picturesSetting = this.app.node.tryGetContext(PICTURES_CONTEXT);
    const pictures = picturesSetting !== false && picturesSetting !== 'false';
    writeChartReports(dir, chartReports(this.app.charts, entries, this.policy), pictures);
    return [];
  }
}

/** Each chart's folder: report.json, report.md and the pictures, all rendered in one Graphviz run. */
function writeChartReports(dir: string, reports: ChartReport[], drawPictures: boolean): void {
  const pictures = drawPictures ? reports.flatMap((r) => [...r.pictures].map(([file, dot]) => ({ folder: r.folder, file, dot }))) : [];
  const svgs = pictures.length ? renderSvgSync(pictures.map((p) => p.dot)) : [];
  for (const r of reports) {
    const folder = path.join(dir, r.folder);
    fs.mkdirSync(folder, { recursive: true });
    const json = drawPictures ? r.json : { ...r.json, pictures: [], picturesSkipped: `the app's context sets ${PICTURES_CONTEXT} to false` };
    fs.writeFileSync(path.join(folder, `${REPORT_FILE}.json`), JSON.stringify(json, null, 2) + '\n');
    fs.writeFileSync(path.join(folder, `${REPORT_FILE}.md`), drawPictures ? r.markdown : r.markdown.replace(/^!\[.*\]\(.*\.svg\)\n\n/gm, ''));
  }
  pictures.forEach((p, i) => fs.writeFileSync(path.join(dir, p.folder, p.file), svgs[i]));
}

/** Hands the policy check's outcome to the app's report. */
export function recordPolicy(app: App, report: PolicyReport): void {
  SynthReport.of(app).policy = report;
}
