import { spawnSync } from 'child_process';
import { DIAGRAM_FONT } from './database-diagram';

/** The part of @viz-js/viz used here (its types are ESM-only, this library is CommonJS). */
interface VizModule {
  instance(): Promise<{ renderString(dot: string, options: { format: 'svg' }): string }>;
}

/**
 * The child's program: Graphviz (WebAssembly, @viz-js/viz at the path in argv[1]) renders each DOT of the JSON array
 * on stdin; the SVGs go to stdout as a JSON array. Plain JS, so that it runs the same from src/ (ts-jest) and lib/.
 */
const CHILD_SOURCE = `
const viz = require(process.argv[1]);
const dots = JSON.parse(require('fs').readFileSync(0, 'utf8'));
viz.instance()
  .then((v) => process.stdout.write(JSON.stringify(dots.map((dot) => v.renderString(dot, { format: 'svg' })))))
  .catch((e) => { process.stderr.write(String((e && e.message) || e)); process.exitCode = 1; });
`;

/**
 * Renders DOT to SVG synchronously: the synth report is written from a cdk8s validation callback, which cannot
 * wait for a promise, and @viz-js/viz only starts asynchronously. So one child node process renders every graph.
 */
export function renderSvgSync(dots: string[]): string[] {
  if (dots.length === 0) return [];
  const result = spawnSync(process.execPath, ['-e', CHILD_SOURCE, require.resolve('@viz-js/viz')], {
    input: JSON.stringify(dots),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const stderr = (result.stderr ?? '').trim();
  if (result.error) throw new Error(`Synth report diagrams: could not run Graphviz (@viz-js/viz) in a child node process: ${result.error.message}`);
  if (result.status !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with status ${result.status}`;
    throw new Error(`Synth report diagrams: rendering ${dots.length} graph(s) with Graphviz (@viz-js/viz) failed: the child process ${how}: ${stderr}`);
  }
  const svgs: unknown = JSON.parse(result.stdout);
  if (!Array.isArray(svgs) || svgs.length !== dots.length) {
    throw new Error(`Synth report diagrams: Graphviz (@viz-js/viz) returned ${Array.isArray(svgs) ? svgs.length : 'no'} SVGs for ${dots.length} graphs`);
  }
  return (svgs as string[]).map(withFontFallbacks);
}

/** Where DejaVu Sans is missing, Verdana has nearly its widths: the text still fits the boxes Graphviz measured. */
function withFontFallbacks(svg: string): string {
  return svg.split(`font-family="${DIAGRAM_FONT}"`).join(`font-family="${DIAGRAM_FONT},Verdana,sans-serif"`);
}

/** Renders DOT to SVG in this process (for async callers such as a cdk8s validation plugin). */
export async function renderSvg(dots: string[]): Promise<string[]> {
  // require, not import: the package's types are ESM-only, which a CommonJS library cannot import statically.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const viz = await (require('@viz-js/viz') as VizModule).instance();
  return dots.map((dot) => {
    try {
      return withFontFallbacks(viz.renderString(dot, { format: 'svg' }));
    } catch (e) {
      throw new Error(`Synth report diagrams: rendering a graph with Graphviz (@viz-js/viz) failed: ${(e as Error).message}`);
    }
  });
}
