import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files (each more than about 8 s), longest first: two workers
 * finish together only when these start early. Vitest orders files by the
 * durations of the last run, which a fresh clone (CI) does not have; there it
 * once started the publish race (then 35 s) last, and the suite took 140 s
 * instead of 120 s.
 */
const LONGEST = [
  'docs',
  'publish',
  'atomic-write',
  'publish-race',
  'diff',
  'bad-input',
  'publish-credentials',
  'kustomize-runs',
  'kustomize-cache',
];

/** Vitest's order (the last run's durations, then file size), with LONGEST first. */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST.indexOf(basename(f.moduleId, '.test.ts'));
      return i < 0 ? LONGEST.length : i;
    };
    // Array.prototype.sort is stable: within a rank, vitest's order stays.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

/**
 * In-process tests that need neither build/ (the compiled CLI they would
 * spawn) nor kubectl: `npx vitest run --project unit` runs them at once.
 * Every other test file is an integration test (the default, so a new test
 * file never runs without what it needs): its worker runs
 * test/integration-setup.ts first, which compiles the CLI and unpacks kubectl
 * when they are not there yet. In `npm test` both run in one group, longest
 * first (LongestFirst), so the unit files fill the end of the run.
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
    sequence: { sequencer: LongestFirst },
    pool: 'forks',
    maxWorkers: 2,
    // A worker runs file after file without starting a new process for each (about 0.7 s each): no test
    // relies on a fresh module state, and each file's hooks are its own (test/each-file-setup.ts).
    isolate: false,
    setupFiles: ['test/each-file-setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT },
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
        },
      },
    ],
  },
});
