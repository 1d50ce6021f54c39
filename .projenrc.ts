import { cdk8s, javascript } from 'projen';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-databases',
  description: 'cdk8s constructs that synthesize production-grade Kubernetes YAML for databases: StatefulSets, QoS, security, disruption budgets and synth-time checks.',
  keywords: ['cdk8s', 'kubernetes', 'database', 'postgresql', 'mysql', 'mongodb', 'redis', 'cassandra', 'statefulset'],
  author: 'cdk8s-databases maintainers',
  authorAddress: 'maintainers@cdk8s-databases.dev',
  repositoryUrl: 'https://github.com/cdk8s-databases/cdk8s-databases.git',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  cdk8sVersion: '2.70.106',
  constructsVersion: '10.8.1',
  peerDeps: ['cdk8s-plus-28@^2.5.6'],
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~6.0.0',
  docgen: true,

  devDeps: [
    '@types/node@^20',
    'cdk8s-cli@2.207.56',
    'kubernetes-models@4.5.1',
    '@kubernetes-models/validate@^4',
    'ajv@^8',
    'yaml@^2',
    // The runtime tier's S3-compatible server on loopback, for the S3 backup targets.
    's3rver@3.7.1',
    // Property-based tests of every construct's props (test/properties).
    'fast-check@4.10.2',
  ],

  // CI is `.ci/run`; no hosted workflows.
  github: false,
  release: false,
  jestOptions: {
    // Snapshots must be able to fail: never rewrite them during `npm test` (TOOLCHAIN trap 3).
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      coverageReporters: ['text-summary'],
    },
  },
  // The runtime tier is test code too: linted, and allowed the dev dependencies.
  eslintOptions: { dirs: ['src'], devdirs: ['test', 'test-runtime'] },
  gitignore: ['examples/*/dist/', 'examples/.build/', 'bench/.build/'],
});

// eslint-import-resolver-typescript@4 pulls unrs-resolver 1.13.0 whose optional
// bindings are missing from the registry here; 1.12.2 is complete (TOOLCHAIN trap 2).
project.package.addPackageResolutions('unrs-resolver@1.12.2');

// Examples are real cdk8s apps: type-check and compile them, then synthesize each into
// examples/<name>/dist with its own cdk8s.yaml (TOOLCHAIN traps 6 and 11).
const synthExamples = project.addTask('synth:examples', {
  description: 'Type-check the examples and synthesize each to examples/<name>/dist/*.k8s.yaml',
});
synthExamples.exec('tsc -p examples/tsconfig.json');
synthExamples.exec('bash examples/synth-all.sh');

// The runtime tier: engines started on this machine from the synthesized YAML (needs root and the
// packages .ci/install-runtime-deps installs). Not part of `npm test`, which stays fast and runs anywhere.
const runtime = project.addTask('test:runtime', {
  description: 'Run the synthesized pods as local processes against real engines (root; see .ci/install-runtime-deps)',
});
runtime.exec('tsc --noEmit -p test-runtime/tsconfig.json');
runtime.exec('jest --config test-runtime/jest.config.js --ci');

// The synth benchmark: compiles the library (for the require timing) and the examples (for the CLI
// timing), then runs bench/synth-bench.ts. Not a test: targets are read from bench/results.md.
const bench = project.addTask('bench', { description: 'Synth benchmark: writes bench/results.md and bench/results.json' });
bench.spawn(project.compileTask);
bench.exec('tsc -p examples/tsconfig.json');
bench.exec('tsc -p bench/tsconfig.json');
bench.exec('node --max-old-space-size=8192 bench/.build/bench/synth-bench.js');

// The property tests with many more generated prop sets than `npm test` runs (FUZZ_RUNS, default 2000 each).
const fuzz = project.addTask('fuzz', {
  description: 'Property tests with a larger number of generated prop sets (FUZZ_RUNS, default 2000)',
});
fuzz.exec('FUZZ_RUNS=${FUZZ_RUNS:-2000} jest test/properties --coverage=false');

project.addPackageIgnore('/examples/');
project.addPackageIgnore('/bench/');
project.addPackageIgnore('/.ci/');

project.synth();
