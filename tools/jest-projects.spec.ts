import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface ProjectConfig {
  displayName: string;
  globalSetup?: string;
  globalTeardown?: string;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('jest projects', () => {
  let config: { globalSetup?: string; globalTeardown?: string; projects: ProjectConfig[] };

  beforeAll(async () => {
    config = ((await import(pathToFileURL(join(repoRoot, 'jest.config.js')).href)) as { default: typeof config }).default;
  });

  const project = (name: string): ProjectConfig => config.projects.find((p) => p.displayName === name)!;

  it('starts services (PostgreSQL, Kafka) only for the e2e project', () => {
    expect(config.globalSetup).toBeUndefined();
    expect(config.globalTeardown).toBeUndefined();
    expect(project('unit').globalSetup).toBeUndefined();
    expect(project('e2e')).toMatchObject({ globalSetup: '<rootDir>/test/global-setup.ts', globalTeardown: '<rootDir>/test/global-teardown.ts' });
  });
});
