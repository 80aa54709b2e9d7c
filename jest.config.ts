import type { Config } from 'jest';

const transform: Config['transform'] = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
// @middy/core and jose ship ESM only; let swc compile them to CommonJS for jest.
const transformIgnorePatterns = ['/node_modules/(?!(@middy|jose)/)'];

const config: Config = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: [
        '<rootDir>/test/unit/**/*.test.ts',
        '<rootDir>/shared/**/*.test.ts',
        '<rootDir>/functions/**/*.test.ts',
      ],
      setupFiles: ['<rootDir>/test/helpers/jest-env.ts'],
    },
    {
      // Real local servers (s3rver, kinesalite, dynalite, the local Firehose) and real SDK clients.
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/helpers/jest-env.ts'],
      // One set of servers for the whole run; each test file creates its own named resources.
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/helpers/integration-timeout.ts'],
    },
  ],
};

export default config;
