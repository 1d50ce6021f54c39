// The runtime tier (npm run test:runtime): engines started from the synthesized YAML on this machine.
// Needs root and the packages of .ci/install-runtime-deps; runs serially (pods share the machine).
module.exports = {
  rootDir: '..',
  testMatch: ['<rootDir>/test-runtime/**/*.runtime.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test-runtime/tsconfig.json', isolatedModules: true }] },
  globalSetup: '<rootDir>/test-runtime/global-setup.ts',
  testTimeout: 300000,
  maxWorkers: 1,
  reporters: ['default', ['jest-junit', { outputDirectory: 'test-reports', outputName: 'junit-runtime.xml' }]],
};
