import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OWNERSHIP_FILE, parseOwnershipRecord } from '../src/output/ownership.js';
import type { Renderer } from '../src/output/renderer.js';
import { RenderedTree } from '../src/output/tree.js';
import { DEFAULT_RENDERERS, synth } from '../src/pipeline/pipeline.js';
import { markerDigest, openProvenFolders } from '../src/pipeline/proven-folders.js';
import { lastOutputState, rememberRun, runInputs } from '../src/pipeline/run-record.js';
import { rendererIdentity } from '../src/synth/renderer-identity.js';
import { CACHE_DIR, CACHE_SWITCH } from '../src/util/caches.js';
import { OwnershipError } from '../src/write/ownership-error.js';
import { copyExample, REPO, runCli, snapshotTree, tempDir } from './helpers.js';

/**
 * After a successful synth the run record keeps the output's state: the
 * lstat signature of every file of each service folder that held its
 * marker's content, unchanged since before the run began. The next synth
 * takes such a folder by comparing signatures and reads its files only if
 * something asks for them, checked against the marker then. Anything that
 * touched a file (a write, a same-size edit with its modification time set
 * back, another run's write) makes the folder read or the run refused.
 */

/** The shipped example with its committed dist/ (a fresh clone). */
function clone(): { project: string; dist: string } {
  const project = copyExample();
  cpSync(join(REPO, 'dist'), join(project, 'dist'), { recursive: true });
  return { project, dist: join(project, 'dist') };
}

/** Replaces `from` with `to` (same length) in `file`, and sets its modification time back to the nanosecond. */
function editKeepingSizeAndTime(file: string, from: string, to: string): void {
  expect(to.length).toBe(from.length);
  const times = join(tempDir(), 'times');
  execFileSync('cp', ['-p', file, times]);
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
  execFileSync('touch', ['-r', times, file]);
  const [before, after] = [statSync(times, { bigint: true }), statSync(file, { bigint: true })];
  expect([after.size, after.mtimeNs]).toEqual([before.size, before.mtimeNs]);
}

/** The input digest the marker of `dist` records for `folder`. */
function recordedInput(dist: string, folder: string): string {
  return parseOwnershipRecord(readFileSync(join(dist, OWNERSHIP_FILE), 'utf8'))!.folders.get(folder)!.input;
}

const caches = () => ({ [CACHE_SWITCH]: '1', [CACHE_DIR]: tempDir() });

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the output state of the last synth', () => {
  it('lets the next run take a folder without reading it, and refuses the folder if it changed since', () => {
    const { project, dist } = clone();
    const env = caches();
    const marker = markerDigest(readFileSync(join(dist, OWNERSHIP_FILE), 'utf8'));
    // A run that began well after the files were written: every folder is recorded.
    rememberRun(runInputs(project, dist, env)!, { markerDigest: marker }, { startedAt: Date.now() + 10_000 });
    const state = lastOutputState(project, dist, env)!;
    expect(state.marker).toBe(marker);
    expect([...state.folders.keys()]).toContain('stage/api');
    expect(state.folders.size).toBe(12);

    const file = join(dist, 'stage', 'api', 'service-api.yaml');
    const input = recordedInput(dist, 'stage/api');
    const renderer = rendererIdentity();
    const observed = new Map<string, string>();
    const byState = openProvenFolders(dist, renderer, { state, observed })!.take('stage/api', input)!;
    const byReading = openProvenFolders(dist, renderer)!.take('stage/api', input)!;
    expect(byState.names).toEqual(byReading.names);
    expect(byState.digest).toBe(byReading.digest);
    // The signatures taken are handed on to the run record instead of another lstat.
    expect(observed.has('stage/api/service-api.yaml')).toBe(true);

    // Changed after both were taken: the one that read its files has the old bytes, the other was never read...
    const rendered = readFileSync(file, 'utf8');
    editKeepingSizeAndTime(file, 'port: 8000', 'port: 8001');
    expect(byReading.files().find(([name]) => name === 'service-api.yaml')![1]).toBe(rendered);
    // ... and refuses to hand out what the marker does not record.
    expect(() => byState.files()).toThrow(OwnershipError);
    expect(() => byState.files()).toThrow(/stage\/api changed while gitops-synth was using it/);

    // Taken now, the changed status (the status change time cannot be set back) makes it read, and not taken.
    expect(openProvenFolders(dist, renderer, { state })!.take('stage/api', input)).toBeUndefined();
  });

  it('records no folder a file of which changed status after the run began', () => {
    const { project, dist } = clone();
    const env = caches();
    const marker = markerDigest(readFileSync(join(dist, OWNERSHIP_FILE), 'utf8'));
    // Just copied: every file changed within the racy window before this run's start.
    rememberRun(runInputs(project, dist, env)!, { markerDigest: marker }, { startedAt: Date.now() });
    expect(lastOutputState(project, dist, env)!.folders.size).toBe(0);
    // A marker on disk other than the one the run wrote: no state is kept, the one before included.
    rememberRun(runInputs(project, dist, env)!, { markerDigest: 'x'.repeat(64) }, { startedAt: Date.now() + 10_000 });
    expect(lastOutputState(project, dist, env)).toBeUndefined();
  });

  it('through the CLI: finds a same-size edit with its modification time set back, and writes a full render', async () => {
    const { project, dist } = clone();
    const env = caches();
    expect((await runCli(['synth', '--project', project], { env })).code).toBe(0);
    // The files must be older than the racy window when the next run begins.
    await new Promise((done) => setTimeout(done, 2_100));
    const flower = join(project, 'apps', 'flower.yaml');
    writeFileSync(flower, readFileSync(flower, 'utf8').replace('tag: "2.0.1"', 'tag: "2.0.2"'));
    expect((await runCli(['synth', '--project', project], { env })).code).toBe(0);
    const state = lastOutputState(project, dist, env)!;
    // Taken by their lstat next time: every folder but the ones this run wrote.
    expect(state.folders.has('stage/api')).toBe(true);
    expect(state.folders.has('prod/flower')).toBe(false);

    editKeepingSizeAndTime(join(dist, 'stage', 'api', 'service-api.yaml'), 'port: 8000', 'port: 8001');
    writeFileSync(flower, readFileSync(flower, 'utf8').replace('tag: "2.0.2"', 'tag: "2.0.3"'));
    const r = await runCli(['synth', '--project', project], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = join(tempDir(), 'dist');
    expect((await runCli(['synth', '--project', project, '--out', out], { env: { [CACHE_SWITCH]: '0' } })).code).toBe(
      0,
    );
    expect(snapshotTree(dist)).toEqual(snapshotTree(out));
    expect(snapshotTree(dist)['stage/api/service-api.yaml']).toContain('port: 8000');
  });

  it('refuses to write, changing nothing, when another run wrote the output while this one rendered', async () => {
    const { project, dist } = clone();
    for (const [k, v] of Object.entries(caches())) vi.stubEnv(k, v);
    const flower = join(project, 'apps', 'flower.yaml');
    writeFileSync(flower, readFileSync(flower, 'utf8').replace('tag: "2.0.1"', 'tag: "2.0.2"'));
    // Stands for another synth that wrote dist/ after this one took its folders: it left another marker.
    let written: Record<string, string> = {};
    const anotherRun: Renderer = () => {
      const path = join(dist, OWNERSHIP_FILE);
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replace(/=[\w-]+\.[\w-]+ /, `=${'A'.repeat(22)}.${'A'.repeat(22)} `),
      );
      written = snapshotTree(dist);
      return { tree: new RenderedTree(), objects: [] };
    };
    const renderers = [...DEFAULT_RENDERERS, anotherRun];
    const run = synth({ projectDir: project, renderers });
    await expect(run).rejects.toThrow(OwnershipError);
    await expect(run).rejects.toThrow(/written by another run while this synth was rendering/);
    expect(snapshotTree(dist)).toEqual(written);
  });
});
