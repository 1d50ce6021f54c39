import { ApiObject, Chart } from 'cdk8s';
import { DatabaseDiagram, DiagramLink, diagramDot } from './diagram/database-diagram';
import { diagramsOf } from './diagram-model';
import { scheduleInWords } from './schedule-words';
import { ReportEntry } from './synth-report';
import { FindingStatus, PolicyFinding } from '../policy/policy-finding';
import { PolicyReport } from '../policy/policy-report';

/** One chart's part of the report: its databases, backups, DR pairs, schedules, policy findings and pictures. */
export interface ChartReport {
  /** The folder name under the report folder: the chart's id. */
  readonly folder: string;
  readonly json: any;
  readonly markdown: string;
  /** DOT source of each database's picture, by file name (`<database>.svg`). */
  readonly pictures: Map<string, string>;
}

/** The kinds a chart's report reads: database controllers, their budgets, backup and verification CronJobs. */
const REPORTED_KINDS = new Set(['StatefulSet', 'PodDisruptionBudget', 'CronJob']);

/** The report of each chart that has something to say. */
export function chartReports(charts: Chart[], entries: ReportEntry[], policy: PolicyReport | undefined): ChartReport[] {
  const used = new Set<string>();
  const reports: ChartReport[] = [];
  for (const chart of charts) {
    const chartPath = chart.node.path;
    const own = entries.filter((e) => (e.charts ?? []).includes(chartPath) || e.path === chartPath || e.path.startsWith(`${chartPath}/`));
    // Only the kinds the pictures and schedules read are rendered: rendering is most of a synth's cost.
    const objects = chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && REPORTED_KINDS.has(c.kind)).map((o) => o.toJson());
    const links = new Map<string, DiagramLink[]>();
    for (const e of own) for (const [db, l] of Object.entries(e.links ?? {})) links.set(db, [...links.get(db) ?? [], ...l]);
    const summaries = new Map(own.filter((e) => e.kind === 'database').map((e) => [e.name, e.summary]));
    const diagrams = diagramsOf(objects, links, summaries);
    const files = pictureFiles(diagrams);
    const findings = policy?.forPath(chartPath) ?? [];
    if (own.length === 0 && diagrams.length === 0 && findings.length === 0 && !policy) continue;
    // The chart's id as a folder name, never `.` or `..` (which would write into the report's or the YAML's folder).
    let folder = (chart.node.id || 'app').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^\.+$/, (dots) => '-'.repeat(dots.length));
    while (used.has(folder)) folder += '-';
    used.add(folder);
    const schedules = objects.filter((o) => o.kind === 'CronJob').map((c) => ({
      cronJob: c.metadata?.name, schedule: c.spec?.schedule, timeZone: c.spec?.timeZone, inWords: scheduleInWords(c.spec?.schedule, c.spec?.timeZone),
    }));
    const json = {
      chart: chartPath,
      namespace: chart.namespace,
      ...entrySections(own),
      schedules,
      pictures: files,
      policy: policy ? policySection(policy, findings) : undefined,
    };
    reports.push({
      folder,
      json,
      markdown: markdownOf(chartPath, own, diagrams, files, schedules, policy ? json.policy : undefined),
      pictures: new Map(diagrams.map((d, i) => [files[i], diagramDot(d)])),
    });
  }
  return reports;
}

/** `<database>.svg` for each picture; a name two databases share (in two namespaces) gets a number. */
function pictureFiles(diagrams: DatabaseDiagram[]): string[] {
  const used = new Set<string>();
  return diagrams.map((d) => {
    const base = d.title.split(' ')[0].replace(/[^A-Za-z0-9._-]/g, '-').replace(/^\./, '-');
    let file = `${base}.svg`;
    for (let n = 2; used.has(file); n++) file = `${base}-${n}.svg`;
    used.add(file);
    return file;
  });
}

/** The entries by section, as both the app's and each chart's report.json list them. */
export function entrySections(entries: ReportEntry[]): Record<'databases' | 'backups' | 'disasterRecovery', Record<string, unknown>[]> {
  return {
    databases: entries.filter((e) => e.kind === 'database').map(flatten),
    backups: entries.filter((e) => e.kind === 'backup').map(flatten),
    disasterRecovery: entries.filter((e) => e.kind === 'dr').map(flatten),
  };
}

/** One entry in Markdown: a heading, its path and summary, its details as bullets, its notes last. */
export function entryMarkdown(e: ReportEntry): string[] {
  const md = [`## ${e.name}${typeof e.details.engine === 'string' ? ` (${e.details.engine})` : ''}${e.kind === 'backup' ? ' backups' : ''}`, '',
    `\`${e.path}\``, '', `**${e.summary}**`, ''];
  for (const [k, v] of Object.entries(e.details)) {
    if (v === undefined) continue;
    md.push(Array.isArray(v) ? `- ${k}:${v.map((x) => `\n  - ${x}`).join('')}` : `- ${k}: ${v}`);
  }
  for (const n of e.notes) md.push(`- note: ${n}`);
  md.push('');
  return md;
}

function flatten(e: ReportEntry): Record<string, unknown> {
  return { path: e.path, name: e.name, summary: e.summary, ...e.details, notes: e.notes };
}

function policySection(policy: PolicyReport, findings: PolicyFinding[]): any {
  const count = (status: FindingStatus, level?: string) => findings.filter((f) => f.status === status && (!level || f.level === level)).length;
  const failing = new Set(policy.failures);
  return {
    passed: !findings.some((f) => failing.has(f)),
    failOn: policy.failOn,
    packs: [...new Set(policy.tallies.map((t) => t.pack))],
    summary: {
      errors: count(FindingStatus.NON_COMPLIANT, 'error'),
      warnings: count(FindingStatus.NON_COMPLIANT, 'warning'),
      info: count(FindingStatus.NON_COMPLIANT, 'info'),
      suppressed: count(FindingStatus.SUPPRESSED),
      ruleFailures: count(FindingStatus.RULE_FAILED),
    },
    findings,
  };
}

function markdownOf(chartPath: string, entries: ReportEntry[], diagrams: DatabaseDiagram[], files: string[], schedules: any[], policy: any): string {
  const md = [`# ${chartPath}`, ''];
  if (policy) {
    const s = policy.summary;
    md.push('## Policy', '', `**${policy.passed ? 'passed' : 'FAILED'}** (${policy.packs.join(', ')}; fails on ${policy.failOn}): `
      + `${s.errors} errors, ${s.warnings} warnings, ${s.info} info, ${s.suppressed} suppressed, ${s.ruleFailures} rule failures`, '');
    if (policy.findings.length) {
      md.push('| rule | level | object | finding | status |', '| --- | --- | --- | --- | --- |');
      for (const f of policy.findings as PolicyFinding[]) {
        const status = f.status === FindingStatus.SUPPRESSED ? `suppressed: ${f.suppressionReason}` : f.status;
        md.push(`| ${f.ruleId} | ${f.level} | ${f.objectRef} | ${cell(f.detail)} | ${cell(status)} |`);
      }
      md.push('');
    }
  }
  diagrams.forEach((d, i) => md.push(`![${d.title}](${files[i]})`, ''));
  for (const e of entries) md.push(...entryMarkdown(e));
  if (schedules.length) {
    md.push('## Schedules', '');
    for (const s of schedules) md.push(`- ${s.cronJob}: ${s.inWords} (\`${s.schedule}\`)`);
    md.push('');
  }
  return md.join('\n');
}

function cell(text: string): string {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
