import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Resvg } from '@resvg/resvg-js';
import { DatabaseDiagram, diagramDot } from '../src/report/diagram/database-diagram';
import { renderSvg, renderSvgSync } from '../src/report/diagram/render-svg';
import { scheduleInWords } from '../src/report/schedule-words';

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/** A 3-zone Patroni database with a budget for the primary and one for the replicas, two backups and a DR link. */
const PATRONI: DatabaseDiagram = {
  title: 'orders (PostgreSQL 16, Patroni)',
  zones: ZONES,
  members: [
    { name: 'orders-0', zone: 'eu-west-1a', role: 'primary', budget: 'orders-primary' },
    { name: 'orders-1', zone: 'eu-west-1b', role: 'replica', budget: 'orders-replicas' },
    { name: 'orders-2', zone: 'eu-west-1c', role: 'replica', budget: 'orders-replicas' },
  ],
  budgets: [
    { name: 'orders-primary', selects: 'primary', allows: 'no eviction' },
    { name: 'orders-replicas', selects: 'replicas', allows: 'evicts 1 at a time' },
  ],
  backups: [
    { method: 'volume snapshots', schedule: scheduleInWords('0 2 * * *', 'Europe/Berlin'), rpo: '24 h', verified: true },
    { method: 'continuous archiving', schedule: 'each WAL segment, at least every 60 s', rpo: '1 min', verified: false },
  ],
  links: [{ peer: 'site-b (orders-site-b)', strategy: 'Patroni standby cluster', rpo: '≤ 1 min', rto: '15 min', direction: 'to' }],
  summary: '3 replicas over 3 zones; survives loss of 1 zone or 1 node; drains evict 1 pod at a time; quorum 2',
};

/** The text Graphviz wrote into the SVG, entities decoded. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, '\'').replace(/&#45;/g, '-').replace(/&amp;/g, '&'));
}

/** The x position of a text's first occurrence (its left edge or its centre, as Graphviz anchors it). */
function xOf(svg: string, text: string): number {
  const match = [...svg.matchAll(/<text[^>]* x="([-0-9.]+)"[^>]*>([^<]*)<\/text>/g)].find((m) => m[2].replace(/&#45;/g, '-') === text);
  if (!match) throw new Error(`no text "${text}" in the SVG`);
  return Number(match[1]);
}

/** Left and right edge of the cluster (zone column) labelled `label`. */
function columnOf(svg: string, label: string): [number, number] {
  const cluster = svg.split('<g id="clust').slice(1).map((g) => g.slice(0, g.indexOf('</g>')))
    .find((g) => g.includes(`>${label.replace(/-/g, '&#45;')}</text>`));
  if (!cluster) throw new Error(`no column "${label}" in the SVG`);
  const xs = [...cluster.match(/ d="([^"]*)"/)![1].matchAll(/(-?[0-9.]+),-?[0-9.]+/g)].map((m) => Number(m[1]));
  return [Math.min(...xs), Math.max(...xs)];
}

/** The column a text is drawn in. */
function columnHolding(svg: string, text: string, columns: string[]): string | undefined {
  const x = xOf(svg, text);
  return columns.find((c) => { const [left, right] = columnOf(svg, c); return x > left && x < right; });
}

function writePng(name: string, svg: string): Buffer {
  const png = Buffer.from(new Resvg(svg, { fitTo: { mode: 'width', value: 1200 }, font: { loadSystemFonts: true } }).render().asPng());
  fs.mkdirSync('test-reports', { recursive: true });
  fs.writeFileSync(path.join('test-reports', `diagram-${name}.png`), png);
  return png;
}

describe('database diagram', () => {
  const dot = diagramDot(PATRONI);
  const [svg] = renderSvgSync([dot]);

  test('the SVG shows each member with its role, the zones as column labels, the budgets, backups and DR link', () => {
    const words = texts(svg);
    for (const expected of ['orders-0', 'orders-1', 'orders-2', 'primary', 'replica', ...ZONES, 'orders (PostgreSQL 16, Patroni)',
      'Disruption budgets', 'orders-primary', 'orders-replicas', 'no eviction', 'evicts 1 at a time',
      'Backups', 'volume snapshots', 'every day at 02:00 Europe/Berlin', '24 h', 'restore tested', 'continuous archiving', 'restore not tested',
      'site-b (orders-site-b)', 'Patroni standby cluster', 'RPO ≤ 1 min · RTO 15 min', PATRONI.summary!]) {
      expect(words).toContain(expected);
    }
  });

  test('zones are columns side by side, in the declared order, each member in its zone\'s column', () => {
    const columns = ZONES.map((zone) => columnOf(svg, zone));
    columns.slice(1).forEach(([left], i) => expect(left).toBeGreaterThan(columns[i][1]));
    for (const m of PATRONI.members) expect(columnHolding(svg, m.name, ZONES)).toBe(m.zone);
  });

  test('two members of one zone are stacked in its column; members without a zone go in a column of their own', () => {
    const d: DatabaseDiagram = {
      ...PATRONI,
      zones: [...ZONES, 'eu-west-1d'],
      members: [...PATRONI.members, { name: 'orders-3', zone: 'eu-west-1a', role: 'replica' }, { name: 'orders-9', role: 'arbiter' }],
    };
    const [stacked] = renderSvgSync([diagramDot(d)]);
    writePng('stacked', stacked);
    const columns = [...d.zones, 'no zone'];
    expect(xOf(stacked, 'orders-3')).toBeCloseTo(xOf(stacked, 'orders-0'), 0);
    expect(columnHolding(stacked, 'orders-3', columns)).toBe('eu-west-1a');
    expect(columnHolding(stacked, 'orders-9', columns)).toBe('no zone');
    // a declared zone the database does not use is still a column, marked empty
    expect(columnHolding(stacked, 'no members', columns)).toBe('eu-west-1d');
    columns.slice(1).forEach((c, i) => expect(columnOf(stacked, c)[0]).toBeGreaterThan(columnOf(stacked, columns[i])[1]));
    const [undeclared] = renderSvgSync([diagramDot({ ...PATRONI, zones: [], members: PATRONI.members.map((m) => ({ ...m, zone: undefined })) })]);
    for (const m of PATRONI.members) expect(columnHolding(undeclared, m.name, ['zone not declared'])).toBe('zone not declared');
  });

  test('the primary is drawn apart from the replicas: filled and with a heavy border', () => {
    expect(dot).toMatch(/member0 \[label=<<B>orders-0<\/B>.*fillcolor="#dbeafe" penwidth=2.5/);
    expect(dot).toMatch(/member1 \[label=<<B>orders-1<\/B>.*fillcolor="white" group=zone1\];/);
  });

  test('a link from the peer points at the database', () => {
    const following = diagramDot({ ...PATRONI, links: [{ ...PATRONI.links[0], direction: 'from' }] });
    expect(following).toMatch(/member0 -> peer0 \[.* dir=back\]/);
    expect(dot).not.toMatch(/dir=back/);
  });

  test('the DOT is the same for the same input', () => {
    expect(diagramDot(PATRONI)).toBe(dot);
    expect(renderSvgSync([dot])[0]).toBe(svg);
  });

  test('hostile names are escaped: the graph still renders and shows them verbatim', () => {
    // DOT and HTML-label syntax, Graphviz's \\N \\G \\E name escapes (expanded even in HTML-like labels), a line break.
    const hostile = 'evil"] -> x [label="<b>\\N \\G \\E \\\\ &amp;</b> & \'q\'\nline two}';
    const d: DatabaseDiagram = {
      ...PATRONI,
      title: hostile,
      zones: [hostile],
      members: [{ name: hostile, zone: hostile, role: '<primary>', budget: hostile }],
      budgets: [{ name: hostile, selects: '"all"', allows: '\\' }],
      backups: [{ method: '<script>', schedule: 'a & b', rpo: '>1 h' }],
      links: [{ peer: '}', strategy: '{', rpo: '"', rto: '\'', direction: 'to' }],
    };
    const [rendered] = renderSvgSync([diagramDot(d)]);
    writePng('hostile', rendered);
    const words = texts(rendered);
    const [firstLine, secondLine] = hostile.split('\n');
    // title, zone, member, the member's budget, the budget table
    expect(words.filter((w) => w === firstLine)).toHaveLength(4);
    expect(words).toContain(`budget: ${firstLine}`);
    expect(words.filter((w) => w === secondLine)).toHaveLength(5);
    for (const expected of ['<primary>', '"all"', '\\', '<script>', 'a & b', '>1 h', '}', '{', 'RPO " · RTO \'']) {
      expect(words).toContain(expected);
    }
    expect(rendered).not.toContain('<script>');
    expect(rendered).not.toContain('<b>');
  });

  test('a DOT syntax error fails with a message naming Graphviz', () => {
    expect(() => renderSvgSync(['digraph { a -> }'])).toThrow(/Synth report diagrams: rendering 1 graph\(s\) with Graphviz \(@viz-js\/viz\) failed: .*syntax error/);
  });

  test('the async renderer gives the same SVGs as the sync one', async () => {
    const other = diagramDot({ ...PATRONI, zones: [], members: PATRONI.members.map((m) => ({ ...m, zone: undefined })), links: [], backups: [] });
    expect(await renderSvg([dot, other])).toEqual(renderSvgSync([dot, other]));
  });

  test('renders to a PNG of sane size', () => {
    const png = writePng('patroni', svg);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width).toBe(1200);
    expect(height).toBeGreaterThan(200);
    expect(height).toBeLessThan(1200);
    expect(png.length).toBeGreaterThan(20_000);
  });

  test('the font the boxes are measured with is on this machine, so the PNG has text', () => {
    // Graphviz sizes labels with DejaVu Sans metrics; resvg draws with the installed fonts.
    const fonts = execFileSync('fc-list', [':', 'family'], { encoding: 'utf8' });
    expect(fonts).toMatch(/DejaVu Sans/);
  });
});
