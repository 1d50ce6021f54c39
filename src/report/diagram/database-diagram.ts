/** One member of a database (a pod of its StatefulSets). */
export interface DiagramMember {
  readonly name: string;
  /** The zone the member is pinned to or spread into; undefined when zones are not declared. */
  readonly zone?: string;
  /** 'primary', 'replica', 'standby leader', 'arbiter', ... */
  readonly role?: string;
  /** The PodDisruptionBudget selecting this member (its name), for the member's colour. */
  readonly budget?: string;
}

/** A PodDisruptionBudget of the database. */
export interface DiagramBudget {
  readonly name: string;
  /** e.g. 'replicas', 'primary', 'all members'. */
  readonly selects: string;
  /** e.g. 'evicts 1 at a time', 'no eviction'. */
  readonly allows: string;
}

/** A backup method and how often it runs. */
export interface DiagramBackup {
  /** 'volume snapshots', 'logical dumps', 'continuous archiving'. */
  readonly method: string;
  /** In words (see scheduleInWords). */
  readonly schedule: string;
  readonly rpo: string;
  /** Whether a restore of it is tested on a schedule. */
  readonly verified?: boolean;
}

/** A disaster-recovery link to or from a peer site. */
export interface DiagramLink {
  /** e.g. 'site-b (orders-site-b)'. */
  readonly peer: string;
  readonly strategy: string;
  readonly rpo: string;
  readonly rto: string;
  /** 'to': this database ships to the peer; 'from': it follows the peer. */
  readonly direction: 'to' | 'from';
}

/** What the synth report draws for one database. */
export interface DatabaseDiagram {
  /** The database's name and engine version. */
  readonly title: string;
  /** Declared zones, in order; may be empty. */
  readonly zones: string[];
  readonly members: DiagramMember[];
  readonly budgets: DiagramBudget[];
  readonly backups: DiagramBackup[];
  readonly links: DiagramLink[];
  /** The tolerance line. */
  readonly summary?: string;
}

/**
 * Graphviz sizes boxes with its own metrics of this font (one family only: a list falls back to Times metrics, too
 * narrow); render-svg adds fallbacks of the same width to the SVG.
 */
export const DIAGRAM_FONT = 'DejaVu Sans';
/** Budget colours, by order of the budgets: text colour on the members a budget selects and in its legend line. */
const BUDGET_COLOURS = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490'];
const ROLE_FILL: Record<string, string> = {
  'primary': '#dbeafe',
  'standby leader': '#fde68a',
  'arbiter': '#e5e7eb',
};
/** The column of members without a zone. */
const UNPLACED = { noZonesDeclared: 'zone not declared', memberWithoutZone: 'no zone' };

/**
 * Graphviz DOT for a database: one column (cluster) per zone with its members stacked; below them one box with the
 * disruption budgets over the backups, and each DR peer, linked to the primary, on the primary's side. Labels are HTML-like labels, every text escaped; ids are positional so
 * that the output is the same for the same input.
 */
export function diagramDot(d: DatabaseDiagram): string {
  const lines: string[] = [];
  const title = `<B>${html(d.title)}</B>${d.summary ? `<BR/><FONT POINT-SIZE="11">${html(d.summary)}</FONT>` : ''}`;
  lines.push('digraph database {');
  lines.push(`  graph [label=<${title}> labelloc=t fontname="${DIAGRAM_FONT}" fontsize=16 newrank=true nodesep=0.3 ranksep=0.35 pad=0.3];`);
  lines.push(`  node [fontname="${DIAGRAM_FONT}" fontsize=11 shape=box style="rounded,filled" fillcolor=white color="#374151" margin="0.15,0.08"];`);
  lines.push(`  edge [fontname="${DIAGRAM_FONT}" fontsize=10 color="#6b7280"];`);

  const budgetColour = new Map(d.budgets.map((b, i) => [b.name, BUDGET_COLOURS[i % BUDGET_COLOURS.length]]));
  const columns = zoneColumns(d);
  const ids = new Map<DiagramMember, string>();
  d.members.forEach((m, i) => ids.set(m, `member${i}`));
  const columnTops: string[] = [];
  const columnBottoms: string[] = [];
  columns.forEach((column, c) => {
    lines.push(`  subgraph cluster_zone${c} {`);
    lines.push(`    label=<<B>${html(column.label)}</B>> labeljust=c style="rounded,dashed" color="#9ca3af" fontsize=12 margin=12;`);
    const nodes = column.members.map((m) => {
      // One group per zone: Graphviz keeps the edges within a group straight, so the column stays a column.
      lines.push(`    ${ids.get(m)} [${memberAttributes(m, budgetColour)} group=zone${c}];`);
      return ids.get(m)!;
    });
    if (nodes.length === 0) {
      nodes.push(`empty${c}`);
      lines.push(`    empty${c} [label="no members" style="rounded,dashed" fontcolor="#6b7280" color="#9ca3af"];`);
    }
    // Stacked: invisible edges keep a zone's members one under the other.
    for (let i = 1; i < nodes.length; i++) lines.push(`    ${nodes[i - 1]} -> ${nodes[i]} [style=invis];`);
    lines.push('  }');
    columnTops.push(nodes[0]);
    columnBottoms.push(nodes[nodes.length - 1]);
  });
  // Side by side, in the order of the zones: the first member of every zone on one rank, chained left to right.
  if (columnTops.length > 1) {
    lines.push(`  { rank=same; ${columnTops.join('; ')}; }`);
    for (let i = 1; i < columnTops.length; i++) lines.push(`  ${columnTops[i - 1]} -> ${columnTops[i]} [style=invis];`);
  }

  // Budgets over backups in one box: aligned, and the picture stays narrow enough to read in a report.
  const tables = [
    ...d.budgets.length > 0 ? [budgetTable(d.budgets, budgetColour)] : [],
    ...d.backups.length > 0 ? [backupTable(d.backups)] : [],
  ];
  const legend = tables.length > 0 ? ['legend'] : [];
  if (tables.length > 0) {
    const rows = tables.map((t) => `<TR><TD ALIGN="LEFT">${t}</TD></TR>`).join('');
    lines.push(`  legend [shape=plain style="" label=<<TABLE BORDER="0" CELLSPACING="6" CELLPADDING="0">${rows}</TABLE>>];`);
  }
  const anchor = d.members.find((m) => m.role === 'primary' || m.role === 'standby leader') ?? d.members[0];
  const peers = d.links.map((link, i) => {
    const peer = `peer${i}`;
    lines.push(`  ${peer} [shape=box3d style=filled fillcolor="#f3f4f6" label=<<B>${html(link.peer)}</B>>];`);
    const label = `<${html(link.strategy)}<BR/>RPO ${html(link.rpo)} · RTO ${html(link.rto)}>`;
    // Drawn downwards either way (a link from the peer points back at this database), and left out of the ranking:
    // as a constraint it pulls the primary's column aside, out of the zones' order.
    const from = anchor ? ids.get(anchor)! : columnBottoms[0];
    const direction = link.direction === 'from' ? ' dir=back' : '';
    lines.push(`  ${from} -> ${peer} [label=${label} penwidth=1.5 color="#dc2626" fontcolor="#991b1b" constraint=false${direction}];`);
    return peer;
  });
  // The peers on the primary's side of the row, for a short link.
  const anchorColumn = columns.findIndex((c) => anchor !== undefined && c.members.includes(anchor));
  const below = anchorColumn < (columns.length - 1) / 2 ? [...peers, ...legend] : [...legend, ...peers];
  if (below.length > 0) {
    lines.push(`  { rank=same; ${below.join('; ')}; }`);
    // Below every column: an invisible edge from each column's last member to the first box of the row.
    for (const bottom of columnBottoms) lines.push(`  ${bottom} -> ${below[0]} [style=invis];`);
    for (let i = 1; i < below.length; i++) lines.push(`  ${below[i - 1]} -> ${below[i]} [style=invis];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

interface Column { label: string; members: DiagramMember[] }

/** Declared zones in order, then zones only members name, then the members with no zone. */
function zoneColumns(d: DatabaseDiagram): Column[] {
  const columns = new Map<string, Column>();
  for (const zone of d.zones) columns.set(zone, { label: zone, members: [] });
  const unplaced: DiagramMember[] = [];
  for (const m of d.members) {
    if (m.zone === undefined) { unplaced.push(m); continue; }
    if (!columns.has(m.zone)) columns.set(m.zone, { label: m.zone, members: [] });
    columns.get(m.zone)!.members.push(m);
  }
  const result = [...columns.values()];
  if (unplaced.length > 0 || result.length === 0) {
    result.push({ label: d.zones.length === 0 ? UNPLACED.noZonesDeclared : UNPLACED.memberWithoutZone, members: unplaced });
  }
  return result;
}

function memberAttributes(m: DiagramMember, budgetColour: Map<string, string>): string {
  const role = m.role ? `<BR/><FONT POINT-SIZE="10">${html(m.role)}</FONT>` : '';
  const colour = m.budget ? budgetColour.get(m.budget) : undefined;
  const budget = m.budget ? `<BR/><FONT POINT-SIZE="9" COLOR="${colour ?? '#374151'}">budget: ${html(m.budget)}</FONT>` : '';
  const label = `<<B>${html(m.name)}</B>${role}${budget}>`;
  const fill = ROLE_FILL[m.role ?? ''] ?? 'white';
  // The primary stands out: filled and a heavy border.
  const pen = m.role === 'primary' ? ' penwidth=2.5 color="#1e3a8a"' : '';
  return `label=${label} fillcolor="${fill}"${pen}`;
}

function budgetTable(budgets: DiagramBudget[], colours: Map<string, string>): string {
  const rows = budgets.map((b) => `<TR><TD ALIGN="LEFT"><FONT COLOR="${colours.get(b.name)}"><B>${html(b.name)}</B></FONT></TD>`
    + `<TD ALIGN="LEFT">${html(b.selects)}</TD><TD ALIGN="LEFT">${html(b.allows)}</TD></TR>`);
  return table('Disruption budgets', ['budget', 'selects', 'allows'], rows);
}

function backupTable(backups: DiagramBackup[]): string {
  const rows = backups.map((b) => {
    const verified = b.verified === undefined ? '' : b.verified ? 'restore tested' : 'restore not tested';
    return `<TR><TD ALIGN="LEFT"><B>${html(b.method)}</B></TD><TD ALIGN="LEFT">${html(b.schedule)}</TD>`
      + `<TD ALIGN="LEFT">${html(b.rpo)}</TD><TD ALIGN="LEFT">${verified}</TD></TR>`;
  });
  return table('Backups', ['method', 'schedule', 'RPO', 'restore'], rows);
}

function table(caption: string, headers: string[], rows: string[]): string {
  const head = `<TR>${headers.map((h) => `<TD ALIGN="LEFT"><FONT COLOR="#6b7280">${h}</FONT></TD>`).join('')}</TR>`;
  return '<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="3" STYLE="ROUNDED" BGCOLOR="#f9fafb" COLOR="#9ca3af">'
    + `<TR><TD COLSPAN="${headers.length}"><B>${caption}</B></TD></TR>${head}${rows.join('')}</TABLE>`;
}

/**
 * Text for an HTML-like label: markup characters as entities, line breaks as <BR/>, and backslashes doubled: Graphviz
 * expands \N, \G, \E (node, graph, edge name) in HTML-like labels too, entity-encoded or not, and reads \\ as one.
 */
function html(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/\r\n|\r|\n/g, '<BR/>')
    // Other control characters are not valid in the XML Graphviz parses labels as.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
