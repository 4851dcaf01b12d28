import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject, type LoadedProject } from '../src/spec/load.js';
import { SpecCache } from '../src/spec/spec-cache.js';
import { resolveProject } from '../src/resolve/resolve.js';
import { copyExample, specProblems, tempDir } from './helpers.js';

/**
 * The specs' checked data remembered by text (spec-cache.ts): a load from
 * the cache must be indistinguishable from a load that parses every file,
 * errors and their positions included.
 */

const CODE = 'code-under-test';

function packOf(dir: string): string {
  return join(dir, 'specs');
}

function load(project: string, pack: string | undefined, code = CODE): LoadedProject {
  return loadProject(project, { cache: pack === undefined ? undefined : SpecCache.open(pack, code) });
}

/** What a load yields, without the parse trees: names, files and checked data. */
function dataOf(p: LoadedProject): unknown {
  const strip = <T extends { source: { file: string } }>(x: T) => ({ ...x, source: x.source.file });
  return {
    settings: p.settings.source ? strip(p.settings as { source: { file: string } }) : p.settings,
    environments: p.environments.map(strip),
    services: p.services.map(strip),
  };
}

describe('the spec cache', () => {
  it('gives back exactly the data a full parse gives, and the same resolved project', () => {
    const project = copyExample();
    const pack = packOf(tempDir());
    const parsed = load(project, undefined);
    const first = load(project, pack);
    const second = load(project, pack);
    expect(dataOf(first)).toEqual(dataOf(parsed));
    expect(dataOf(second)).toEqual(dataOf(parsed));
    expect(JSON.stringify(resolveProject(second), (_k, v: unknown) => (v instanceof Map ? [...v] : v))).toBe(
      JSON.stringify(resolveProject(parsed), (_k, v: unknown) => (v instanceof Map ? [...v] : v)),
    );
  });

  it('takes a file whose text is unchanged from the pack instead of parsing it', () => {
    const project = copyExample();
    const pack = packOf(tempDir());
    load(project, pack);
    // Record different data for api.yaml's exact text: a load that shows it took the entry.
    const text = readFileSync(join(project, 'apps', 'api.yaml'), 'utf8');
    const cache = SpecCache.open(pack, CODE);
    const real = cache.lookup('service', text) as { value: Record<string, unknown>; derived: unknown };
    expect(real).toBeDefined();
    cache.record('service', text, { ...real, value: { ...real.value, description: 'remembered' } });
    cache.save();
    expect(load(project, pack).services.find((s) => s.name === 'api')!.spec.description).toBe('remembered');
    // A pack of other code is not used.
    expect(load(project, pack, 'other-code').services.find((s) => s.name === 'api')!.spec.description).not.toBe(
      'remembered',
    );
  });

  it('parses a changed file again and keeps in the pack only the files of the last load', () => {
    const project = copyExample();
    const pack = packOf(tempDir());
    load(project, pack);
    const api = join(project, 'apps', 'api.yaml');
    const flower = join(project, 'apps', 'flower.yaml');
    const before = { api: readFileSync(api, 'utf8'), flower: readFileSync(flower, 'utf8') };
    writeFileSync(api, before.api.replace(/^description: .*$/m, 'description: changed'));
    rmSync(flower);
    expect(load(project, pack).services.find((s) => s.name === 'api')!.spec.description).toBe('changed');
    const cache = SpecCache.open(pack, CODE);
    const texts = readdirSync(join(project, 'apps')).map((f) => readFileSync(join(project, 'apps', f), 'utf8'));
    expect(texts.every((t) => cache.lookup('service', t) !== undefined)).toBe(true);
    expect(cache.lookup('service', before.api)).toBeUndefined();
    expect(cache.lookup('service', before.flower)).toBeUndefined();
  });

  it('reports errors at the same lines and columns for files taken from the pack', () => {
    const project = copyExample();
    const pack = packOf(tempDir());
    load(project, pack);
    // worker.yaml is unchanged (taken from the pack); the problem
    // is across files: worker mounts a volume api no longer has.
    const api = join(project, 'apps', 'api.yaml');
    writeFileSync(api, readFileSync(api, 'utf8').replace(/name: uploads/, 'name: media'));
    const withPack = specProblems(() => resolveProject(load(project, pack)));
    const without = specProblems(() => resolveProject(load(project, undefined)));
    expect(withPack.length).toBeGreaterThan(0);
    expect(withPack.some((p) => p.startsWith('apps/worker.yaml:'))).toBe(true);
    expect(withPack).toEqual(without);
  });

  it('points at a bad reference inside a block of a file taken from the pack, where a full parse points', () => {
    const project = copyExample();
    const pack = packOf(tempDir());
    // The reference is a problem across files only: the file itself is valid, so the pack keeps it.
    const web = join(project, 'apps', 'web.yaml');
    const text = [
      'image: {repository: ghcr.io/acme/web, tag: 1a2b3c4}',
      'port: 8080',
      'files:',
      '  /etc/nginx/conf.d/default.conf: |',
      '    server {',
      '      location /api/ { proxy_pass http://${service:backend}:8000; }',
      '    }',
      '',
    ].join('\n');
    writeFileSync(web, text);
    const first = specProblems(() => resolveProject(load(project, pack)));
    expect(SpecCache.open(pack, CODE).lookup('service', text)).toBeDefined();
    const withPack = specProblems(() => resolveProject(load(project, pack)));
    const without = specProblems(() => resolveProject(load(project, undefined)));
    const expected =
      'apps/web.yaml:6:42: files["/etc/nginx/conf.d/default.conf"]: unknown service "backend" in ' +
      '${service:backend}; expected one of: ';
    expect(withPack).toHaveLength(1);
    expect(withPack[0]!.startsWith(expected), withPack[0]).toBe(true);
    expect(withPack).toEqual(without);
    expect(first).toEqual(without);
  });

  it('remembers no file with a problem of its own: the problem is reported on every load', () => {
    const project = copyExample();
    const pack = packOf(tempDir());
    const api = join(project, 'apps', 'api.yaml');
    writeFileSync(api, readFileSync(api, 'utf8').replace(/^ports:/m, 'prots:'));
    const first = specProblems(() => load(project, pack));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(/^apps\/api\.yaml:10:1: prots: unknown key "prots" \(did you mean "ports"\?\)/);
    expect(specProblems(() => load(project, pack))).toEqual(first);
    expect(SpecCache.open(pack, CODE).lookup('service', readFileSync(api, 'utf8'))).toBeUndefined();
  });

  it('parses every file when the pack is damaged, and writes a good pack again', () => {
    const project = copyExample();
    const pack = packOf(tempDir());
    load(project, pack);
    const shards = readdirSync(pack).map((f) => join(pack, f));
    const good = shards.map((f) => readFileSync(f));
    shards.forEach((f, i) => writeFileSync(f, good[i]!.subarray(0, good[i]!.length >> 1)));
    expect(dataOf(load(project, pack))).toEqual(dataOf(load(project, undefined)));
    expect(shards.map((f) => readFileSync(f))).toEqual(good);
  });
});
