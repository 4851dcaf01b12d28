import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWNERSHIP_FILE } from '../src/output/ownership.js';
import { rendererIdentity } from '../src/synth/renderer-identity.js';
import { CACHE_DIR, CACHE_SWITCH } from '../src/util/caches.js';
import { copyExample, REPO, runCli, snapshotTree, spawnCli, tempDir } from './helpers.js';

/**
 * A service folder of dist/ rendered from the same resolved service by the
 * same code is taken as it is (the ownership marker records both as
 * digests), so a fresh clone with an up-to-date dist/ renders nothing; any
 * other folder is rendered, and what synth writes is always what a full
 * render writes.
 */

/** The environment of a synth that may take folders from dist/ (the suite turns that off). */
const taking = () => ({ [CACHE_SWITCH]: 'rendered', [CACHE_DIR]: tempDir(), NODE_DEBUG: 'module' });

/** Synth through the real CLI; returns whether cdk8s was loaded (Node's module log names every module it loads). */
function synth(project: string, env: NodeJS.ProcessEnv): { loadedCdk8s: boolean } {
  const r = spawnCli(['synth', '--project', project], { env });
  expect(r.code, r.stderr.slice(-2000)).toBe(0);
  return { loadedCdk8s: /node_modules\/cdk8s\//.test(r.stderr) };
}

/** What a synth that renders every folder writes for `project`. */
async function fullRender(project: string): Promise<Record<string, string>> {
  const out = join(tempDir(), 'dist');
  const r = await runCli(['synth', '--project', project, '--out', out], { env: { [CACHE_SWITCH]: '0' } });
  expect(r.code, r.stderr).toBe(0);
  return snapshotTree(out);
}

describe('service folders taken from dist/', () => {
  it('on a fresh clone with an up-to-date dist/, nothing is rendered and nothing written', async () => {
    const project = copyExample();
    // A clone: the committed dist/ of the shipped example, files made anew.
    cpSync(join(REPO, 'dist'), join(project, 'dist'), { recursive: true });
    const before = snapshotTree(join(project, 'dist'));
    expect(synth(project, taking()).loadedCdk8s).toBe(false);
    expect(snapshotTree(join(project, 'dist'))).toEqual(before);
    expect(before).toEqual(await fullRender(project));
  });

  it('renders the folders whose service changed or whose files differ, and writes what a full render writes', async () => {
    const project = copyExample();
    cpSync(join(REPO, 'dist'), join(project, 'dist'), { recursive: true });
    const dist = join(project, 'dist');
    const worker = join(dist, 'stage', 'worker', 'deployment-worker.yaml');
    writeFileSync(worker, readFileSync(worker, 'utf8').replace('replicas: 1', 'replicas: 3'));
    const flower = join(project, 'apps', 'flower.yaml');
    writeFileSync(flower, readFileSync(flower, 'utf8').replace('tag: "2.0.1"', 'tag: "2.0.2"'));
    expect(synth(project, taking()).loadedCdk8s).toBe(true);
    const after = snapshotTree(dist);
    expect(after).toEqual(await fullRender(project));
    expect(after['stage/worker/deployment-worker.yaml']).toContain('replicas: 1');
    expect(after['prod/flower/kustomization.yaml']).toContain('newTag: 2.0.2');
  });

  it('renders every folder when the code that rendered dist/ differs, or with the caches off', async () => {
    const project = copyExample();
    cpSync(join(REPO, 'dist'), join(project, 'dist'), { recursive: true });
    const marker = join(project, 'dist', OWNERSHIP_FILE);
    const text = readFileSync(marker, 'utf8');
    expect(text).toContain(`renderer ${rendererIdentity()}\n`);
    // Rendered by other code: the same bytes come out, but only by rendering them.
    writeFileSync(marker, text.replace(/^renderer .*$/m, 'renderer AAAAAAAAAAAAAAAAAAAAAA'));
    expect(synth(project, taking()).loadedCdk8s).toBe(true);
    expect(readFileSync(marker, 'utf8')).toBe(text);
    expect(synth(project, { ...taking(), [CACHE_SWITCH]: '0' }).loadedCdk8s).toBe(true);
  });
});

describe('the renderer identity', () => {
  it('changes with any module that renders a folder, and not with code that renders none', () => {
    const code = join(tempDir(), 'src');
    cpSync(join(REPO, 'src'), code, { recursive: true });
    const identity = rendererIdentity(code);
    expect(identity).toBe(rendererIdentity());
    const edit = (file: string) => {
      const path = join(code, file);
      writeFileSync(path, `${readFileSync(path, 'utf8')}\n// a changed byte\n`);
    };
    edit('publish/publish.ts');
    edit('cli/main.ts');
    expect(rendererIdentity(code)).toBe(identity);
    edit('output/canonical-yaml.ts');
    const changed = rendererIdentity(code);
    expect(changed).not.toBe(identity);
    edit('constructs/pod-template.ts');
    expect(rendererIdentity(code)).not.toBe(changed);
    // Unreadable code: nothing is taken as rendered.
    expect(rendererIdentity(join(tempDir(), 'nothing-here'))).toBeUndefined();
  });
});
