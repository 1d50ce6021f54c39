import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { typeCheckModules } from './support/typecheck';
import { assertValidManifests } from './support/validate';

/*
 * Every ```ts / ```typescript block of README.md and docs/*.md must compile as printed: each block is its own
 * module, `cdk8s-databases` resolves to this repository's src/, and one TypeScript Program checks all blocks.
 * A block is a complete program (imports, app, chart): readers copy blocks, not the prose around them. Blocks
 * also run, so what only fails at synth (two constructs with one id, a refused prop) fails here too.
 */

const ROOT = path.resolve(__dirname, '..');
/** Virtual folder of the block modules: inside the repository, so `cdk8s` and `cdk8s-plus-28` resolve from its node_modules. */
const BLOCKS_DIR = path.join(ROOT, 'test', '.doc-blocks');

interface DocBlock {
  /** Where the block is printed, e.g. `README.md`. */
  readonly file: string;
  /** Line of the block's first code line in that file (1-based). */
  readonly line: number;
  readonly code: string;
}

/** The TypeScript blocks of a Markdown text, with the line each starts on. */
function tsBlocks(file: string, markdown: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: a \`\`\`ts block is never closed`);
    blocks.push({ file, line: i + 2, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

function docBlocks(): DocBlock[] {
  const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...docs].flatMap((file) => tsBlocks(file, fs.readFileSync(path.join(ROOT, file), 'utf8')));
}

/**
 * Type-checks the blocks in one Program and returns one message per error, `<file>:<line>: <message>`, with the
 * line in the Markdown file. The library's own sources are compiled too but only the blocks' errors are reported.
 */
function compileErrors(blocks: DocBlock[]): string[] {
  // `export {}` makes a block without imports a module too, so blocks never share a scope.
  const sources = new Map(blocks.map((b, i) => [path.join(BLOCKS_DIR, `block-${i}.ts`), { block: b, text: `${b.code}\nexport {};\n` }]));
  const program = typeCheckModules(new Map([...sources].map(([f, v]) => [f, v.text])));
  const errors = [...program.getGlobalDiagnostics(), ...program.getOptionsDiagnostics()].map((d) =>
    `compiler: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  for (const [file, { block }] of sources) {
    const sourceFile = program.getSourceFile(file)!;
    for (const d of [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)]) {
      const { line } = sourceFile.getLineAndCharacterOfPosition(d.start ?? 0);
      errors.push(`${block.file}:${block.line + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return errors;
}

/** Deliberately broken blocks, compiled in the same Program as the docs (one Program keeps the test fast). */
const BROKEN_MARKDOWN = [
  '# A page with one good and one broken block',
  '',
  '```ts',
  "import { Engine, PostgresVersion } from 'cdk8s-databases';",
  'Engine.postgres({ version: PostgresVersion.V16 });',
  '```',
  '',
  '```typescript',
  "import { Engine, PostgresVersion } from 'cdk8s-databases';",
  '',
  'Engine.postgres({ versoin: PostgresVersion.V16 });',
  '```',
  '',
].join('\n');

/**
 * Runs a block as a CommonJS module with `cdk8s-databases` bound to src/, its app writing to a temporary folder,
 * and returns the objects it synthesized. Console output of the block is silenced.
 */
function runBlock(block: DocBlock): any[] {
  const js = ts.transpileModule(block.code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'doc-block-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (id: string) => (id === 'cdk8s-databases' ? require('../src') : require(id));
  const quiet = [jest.spyOn(console, 'log').mockImplementation(() => {}), jest.spyOn(console, 'error').mockImplementation(() => {})];
  process.env.CDK8S_OUTDIR = outdir;
  try {
    const module = { exports: {} };
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function('require', 'exports', 'module', js)(load, module.exports, module);
    return fs.readdirSync(outdir).filter((f) => f.endsWith('.k8s.yaml')).flatMap((file) =>
      parseAllDocuments(fs.readFileSync(path.join(outdir, file), 'utf8')).map((d) => d.toJS()).filter((d) => d));
  } finally {
    delete process.env.CDK8S_OUTDIR;
    quiet.forEach((spy) => spy.mockRestore());
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const docs = docBlocks();
const broken = tsBlocks('broken.md', BROKEN_MARKDOWN);
let errors: string[] | undefined;
/** The errors of all blocks, docs and deliberately broken ones, from one compilation shared by the tests. */
function allErrors(): string[] {
  errors ??= compileErrors([...docs, ...broken]);
  return errors;
}

describe('TypeScript blocks of README.md and docs/', () => {
  test('are found in the README and in docs/', () => {
    expect(docs.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(5);
    expect(new Set(docs.map((b) => b.file)).size).toBeGreaterThan(1);
  });

  test('compile as printed', () => {
    expect(allErrors().filter((e) => !e.startsWith('broken.md:'))).toEqual([]);
  }, 120_000);

  test('a broken block fails, named by its file and line', () => {
    expect(broken.map((b) => b.line)).toEqual([4, 9]);
    expect(allErrors().filter((e) => e.startsWith('broken.md:'))).toEqual([
      expect.stringMatching(/^broken\.md:11: Object literal may only specify known properties, but 'versoin' does not exist in type 'PostgresEngineProps'/),
    ]);
  }, 120_000);

  test.each(docs.map((b) => [`${b.file}:${b.line}`, b] as const))('%s runs, and what it synthesizes is valid', (_, block) => {
    assertValidManifests(runBlock(block));
  });

  test('a block that compiles but fails when run is caught', () => {
    const [twoIds] = tsBlocks('ids.md', [
      '```ts',
      "import { App, Chart } from 'cdk8s';",
      "import { DatabasePriorityClass, Engine, PostgresVersion, StatefulDatabase } from 'cdk8s-databases';",
      "const chart = new Chart(new App(), 'orders');",
      "new StatefulDatabase(chart, 'db', { engine: Engine.postgres({ version: PostgresVersion.V16 }) });",
      "new DatabasePriorityClass(chart, 'db');",
      '```',
    ].join('\n'));
    expect(() => runBlock(twoIds)).toThrow(/There is already a Construct with name 'db' in Chart \[orders\]/);
  });

  test('an unclosed block is refused with its line', () => {
    expect(() => tsBlocks('open.md', 'text\n```ts\nconst a = 1;\n')).toThrow('open.md:2: a ```ts block is never closed');
  });
});

describe('README examples that are files under examples/', () => {
  test.each(['clickhouse'])('the README shows examples/%s/main.ts exactly as it is', (name) => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const example = fs.readFileSync(path.join(ROOT, 'examples', name, 'main.ts'), 'utf8');
    expect(readme).toContain('```ts\n' + example.replace("from '../../src'", "from 'cdk8s-databases'") + '```');
  });
});
