import * as path from 'path';
import * as ts from 'typescript';

/**
 * One TypeScript Program over in-memory modules that import the library as `cdk8s-databases` (mapped to src/), as a
 * user's strict app would: ts-jest transpiles tests without checking their types, so snippets and docs are checked here.
 * @param sources module text by file path (the files need not exist)
 */
export function typeCheckModules(sources: Map<string, string>): ts.Program {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    paths: { 'cdk8s-databases': [path.resolve(__dirname, '..', '..', 'src', 'index.ts')] },
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => sources.has(f) || fileExists(f);
  host.readFile = (f) => sources.get(f) ?? readFile(f);
  host.getSourceFile = (f, language, onError) => {
    const text = sources.get(f);
    return text !== undefined ? ts.createSourceFile(f, text, language) : getSourceFile(f, language, onError);
  };
  return ts.createProgram([...sources.keys()], options, host);
}
