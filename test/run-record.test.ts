import { cpSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { synth as synthInProcess } from '../src/pipeline/pipeline.js';
import { rememberedRun, rememberRun, runInputs, withRunRecord } from '../src/pipeline/run-record.js';
import { CACHE_DIR, CACHE_SWITCH } from '../src/util/caches.js';
import { copyExample, REPO, snapshotTree, spawnCli, tempDir } from './helpers.js';

/**
 * A synth whose inputs (spec files, code, folders, settings) are those of the
 * last successful run, over an output that still looks exactly as that run
 * left it, is answered from the run's record without loading the pipeline;
 * anything else that could change the outcome takes the full run.
 */

/** A project with the shipped example's specs and its committed dist/ (a fresh clone). */
function clone(): string {
  const project = copyExample();
  cpSync(join(REPO, 'dist'), join(project, 'dist'), { recursive: true });
  return project;
}

/** Synth through the real CLI with every cache on; `full`: the pipeline was loaded (resolve loads semver, CommonJS, which Node's module log names). */
function synth(project: string, env: NodeJS.ProcessEnv): { stdout: string; full: boolean } {
  const r = spawnCli(['synth', '--project', project], { env: { ...env, NODE_DEBUG: 'module' } });
  expect(r.code, r.stderr.slice(-2000)).toBe(0);
  return { stdout: r.stdout, full: /node_modules\/semver\//.test(r.stderr) };
}

describe('the record of the last synth', () => {
  it('answers an unchanged synth without the pipeline, and takes the full run on any change', async () => {
    const project = clone();
    const env = { [CACHE_SWITCH]: '1', [CACHE_DIR]: tempDir() };
    const dist = join(project, 'dist');
    const first = synth(project, env);
    expect(first.full).toBe(true);
    expect(first.stdout).toMatch(/dist already held them and was left untouched\n$/);

    // The same inputs, the same output: the same report, and no spec loaded, schema built or folder rendered.
    const second = synth(project, env);
    expect(second).toEqual({ stdout: first.stdout, full: false });

    // A hand edit of the same size in dist/: the full run, which puts the rendered bytes back.
    const service = join(dist, 'prod', 'api', 'service-api.yaml');
    const rendered = readFileSync(service, 'utf8');
    writeFileSync(service, rendered.replace('port: 8000', 'port: 8001'));
    const edited = synth(project, env);
    expect(edited.full).toBe(true);
    expect(edited.stdout).toMatch(/written to \S*dist\n$/);
    expect(readFileSync(service, 'utf8')).toBe(rendered);

    // A file of one's own in dist/: the full run, which lists it every time.
    writeFileSync(join(dist, 'prod', 'notes.txt'), 'mine\n');
    for (const run of [synth(project, env), synth(project, env)])
      expect(run.stdout).toMatch(/kept 1 file gitops-synth did not write, as it is: \S*dist\/prod\/notes\.txt\n$/);

    // A spec changed: the full run renders it.
    const flower = join(project, 'apps', 'flower.yaml');
    writeFileSync(flower, readFileSync(flower, 'utf8').replace('tag: "2.0.1"', 'tag: "2.0.2"'));
    const changed = synth(project, env);
    expect(changed.full).toBe(true);
    expect(snapshotTree(dist)['prod/flower/kustomization.yaml']).toContain('newTag: 2.0.2');
    // ... and is remembered in place of the record before it: the next synth is answered from it.
    expect(synth(project, env).full).toBe(false);
  });

  it('does not remember a synth while a file it wrote or took was edited, so the next one puts the render back', async () => {
    const project = clone();
    const dist = join(project, 'dist');
    const env = { [CACHE_SWITCH]: '1', [CACHE_DIR]: tempDir() };
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const flower = join(project, 'apps', 'flower.yaml');
    writeFileSync(flower, readFileSync(flower, 'utf8').replace('tag: "2.0.1"', 'tag: "2.0.2"'));
    // Edited while the run works, after it wrote (prod/flower) or took as it was (prod/api), keeping size and time.
    const written = join(dist, 'prod', 'flower', 'kustomization.yaml');
    const taken = join(dist, 'prod', 'api', 'service-api.yaml');
    for (const [file, from, to] of [
      [written, 'newTag: 2.0.2', 'newTag: 2.0.9'],
      [taken, 'port: 8000', 'port: 8001'],
    ] as const) {
      const run = await withRunRecord(project, dist, async (witness) => {
        const result = await synthInProcess({ projectDir: project, witness });
        const { atime, mtime } = statSync(file);
        writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));
        utimesSync(file, atime, mtime);
        return result;
      });
      expect(run.fromRecord).toBe(false);
      // Not remembered: the next synth is the full run, which puts the rendered bytes back.
      expect(rememberedRun(runInputs(project, dist, env)!)).toBeUndefined();
      const next = synth(project, env);
      expect(next.full).toBe(true);
      expect(readFileSync(file, 'utf8')).not.toContain(to);
      expect(synth(project, env).full).toBe(false);
      writeFileSync(flower, readFileSync(flower, 'utf8').replace(/tag: "2\.0\.\d"/, `tag: "2.0.${from.length % 7}"`));
    }
    vi.unstubAllEnvs();
  });

  it('is off with the rendered cache, and never remembers over a file changed in the clock tick it was written', () => {
    const project = clone();
    const dist = join(project, 'dist');
    const env = { [CACHE_SWITCH]: 'specs,builds', [CACHE_DIR]: tempDir() };
    expect(runInputs(project, dist, env)).toBeUndefined();

    const on = { [CACHE_SWITCH]: '1', [CACHE_DIR]: tempDir() };
    const inputs = runInputs(project, dist, on)!;
    rememberRun(inputs, { services: 12 });
    expect(rememberedRun(runInputs(project, dist, on)!)?.result).toEqual({ services: 12 });
    // Just written (racy): a change that keeps the size and the modification time is caught by the bytes.
    const file = join(dist, 'stage', 'api', 'service-api.yaml');
    const { atime, mtime } = statSync(file);
    writeFileSync(file, readFileSync(file, 'utf8').replace('port: 8000', 'port: 8001'));
    utimesSync(file, atime, mtime);
    expect(rememberedRun(runInputs(project, dist, on)!)).toBeUndefined();
    // Other inputs: the output folder, the settings of the caches.
    expect(runInputs(project, join(project, 'out'), on)!.digest).not.toBe(inputs.digest);
    expect(runInputs(project, dist, { ...on, GITOPS_SYNTH_KUBECTL: '/bin/true' })!.digest).not.toBe(inputs.digest);
  });
});
