import { defineConfig } from 'vitest/config';

/**
 * In-process tests that need neither build/ (the compiled CLI they would
 * spawn) nor kubectl: they run first, at once. Every other test file is an
 * integration test (the default, so a new test file is never run before what
 * it needs): it waits for test/integration-setup.ts to compile the CLI and
 * unpack kubectl, once per run.
 */
const UNIT = [
  'test/canonical-yaml.test.ts',
  'test/cli-units.test.ts',
  'test/guard.test.ts',
  'test/help.test.ts',
  'test/image-policy.test.ts',
  'test/json-schemas.test.ts',
  'test/network-policies.test.ts',
  'test/pack-store.test.ts',
  'test/publish-units.test.ts',
  'test/spec-cache.test.ts',
  'test/spec.test.ts',
  'test/structure.test.ts',
  'test/traffic.test.ts',
];

export default defineConfig({
  test: {
    // Only the kustomize builds cache (test/global-setup.ts gives it an empty folder): every test parses every
    // spec and renders every folder through cdk8s (spec-cache and proven-folders tests turn the others on).
    env: { GITOPS_SYNTH_CACHE: 'builds' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: more workers only make the git and kubectl tests slower.
    pool: 'forks',
    maxWorkers: 2,
    // A worker runs file after file without starting a new process for each (about 0.7 s each): no test
    // relies on a fresh module state, and each file's hooks are its own (test/each-file-setup.ts).
    isolate: false,
    setupFiles: ['test/each-file-setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          exclude: UNIT,
          // Once per run (cheap: an empty kustomize cache); compiling is test/integration-setup.ts's.
          globalSetup: ['test/global-setup.ts'],
          setupFiles: ['test/each-file-setup.ts', 'test/integration-setup.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
