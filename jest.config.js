// @ts-check
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0', rootDir: '.', isolatedModules: true } }],
  },
  testTimeout: 60000,
  // every core, not jest's default of one fewer: the suites wait on emulators and function workers,
  // not on jest's own process, so on CI's two cores one sat idle while the fuzz suites ran
  maxWorkers: '100%',
};
