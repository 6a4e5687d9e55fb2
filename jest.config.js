// Jest in ESM mode (run through `node --experimental-vm-modules`): ts-jest compiles each file
// on its own (isolatedModules); `npm test` type-checks the whole tree with tsc first.
const tsJest = ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: {
    '^#domain/persistence$': '<rootDir>/libs/domain/src/persistence/index.ts',
    '^#messaging/testing$': '<rootDir>/libs/messaging/src/testing/index.ts',
    '^#(config|domain|auth|messaging)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};
// Only the e2e project brings up PostgreSQL and Kafka (a project's globalSetup runs only when
// one of its tests runs), so `npm run test:unit` starts no services.
export default {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
