import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, SpecError } from '../src/spec/errors.js';
import { loadProject, loadProjectPartially } from '../src/spec/load.js';
import { resolvePartialProject } from '../src/resolve/resolve.js';
import { BASE_DIR } from './bad-specs/corpus.js';
import { runCli, snapshotTree, specProblems, tempDir } from './helpers.js';

/**
 * A file with a problem of its own does not hide the problems between the
 * files that did load: one run reports both (load.ts loadProjectPartially,
 * resolve.ts resolvePartialProject), and the broken file causes no report
 * of its own beyond its problems.
 */

/** cache.yaml does not parse; web.yaml names the cache service everywhere a service can be named. */
const BROKEN_CACHE = 'image: {repository: redis, tag: "8.2"\nports: [{name: redis, port: 6379}]\n';
const FIXED_CACHE =
  'image: {repository: redis, tag: "8.2"}\nports: [{name: redis, port: 6379}]\n' +
  'securityContext: {runAsUser: 999, runAsGroup: 999}\nvolumes:\n' +
  '  - {name: sessions, mountPath: /data, size: 1Gi, accessMode: ReadWriteMany}\n';
const WEB = [
  'image: {repository: ghcr.io/acme/web, tag: 1a2b3c4}',
  'port: 8080',
  'env:',
  '  CACHE_HOST: ${service:cache}',
  'files:',
  '  /etc/web/cache.conf: |',
  '    cache ${service:cache}:6379',
  'volumes:',
  '  - {name: sessions, mountPath: /srv/sessions, from: cache}',
  '  - {name: media, mountPath: /srv/media, from: storage}',
  'dependsOn: [cache]',
  '',
].join('\n');

/** The problems of single files and between files that this project has, as the CLI prints them. */
const OWN =
  'apps/cache.yaml:1:8: YAML syntax error: this { is not closed; expected a closing } (a flow collection ' +
  'that goes on over several lines must be indented more than its key)';
const CYCLE =
  'apps/api.yaml:24:13: dependsOn[0]: dependency cycle api -> db -> api; ' +
  'expected no cycles: remove one of these dependsOn entries';
const UNKNOWN_FROM =
  'apps/web.yaml:10:48: volumes[1].from: unknown service "storage"; expected one of: api, db, worker';

/**
 * The corpus base (api, worker, db × stage, prod) with a broken
 * cache.yaml, a web service naming it, and a cycle api -> db -> api.
 */
function brokenProject(): string {
  const dir = tempDir('gitops-synth-partial-');
  cpSync(BASE_DIR, dir, { recursive: true });
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('apps/cache.yaml', BROKEN_CACHE);
  write('apps/web.yaml', WEB);
  write('apps/db.yaml', `${readFileSync(join(BASE_DIR, 'apps', 'db.yaml'), 'utf8')}dependsOn: [api]\n`);
  return dir;
}

/** A dist/ that synth would replace as a whole if it wrote anything, with a file Image Updater owns. */
function existingDist(project: string): string {
  const dist = join(project, 'dist');
  mkdirSync(join(dist, 'stage', 'api'), { recursive: true });
  writeFileSync(join(dist, 'stage', 'api', 'deployment.yaml'), 'kind: Deployment # rendered earlier\n');
  writeFileSync(join(dist, 'stage', 'api', '.argocd-source-api-stage.yaml'), 'kustomize: {}\n');
  return dist;
}

/** The problem lines a CLI run printed under its header. */
function problemLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.slice(2));
}

function partialProblems(project: string): string[] {
  return specProblems(() => resolvePartialProject(loadProjectPartially(project)));
}

describe('a broken file and problems between the other files in one run', () => {
  it('synth through the real CLI reports both, sorted by file and line, exits 1 and leaves dist/ as it was', async () => {
    const project = brokenProject();
    const dist = existingDist(project);
    const before = snapshotTree(dist);

    const r = await runCli(['synth', '--project', project]);

    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe('gitops-synth: 3 problems in the specs; nothing was written.');
    expect(problemLines(r.stderr)).toEqual([CYCLE, OWN, UNKNOWN_FROM]);
    expect(snapshotTree(dist)).toEqual(before);
  });

  it("reports no reference to the broken file's service: not in env, files, from or dependsOn", () => {
    const reported = partialProblems(brokenProject());
    expect(reported.filter((p) => p.includes('"cache"'))).toEqual([]);
    expect(reported.filter((p) => p.startsWith('apps/web.yaml:'))).toEqual([UNKNOWN_FROM]);
  });

  it('reports between the other files only what is still reported once the broken file is fixed', () => {
    const project = brokenProject();
    const partial = partialProblems(project);
    writeFileSync(join(project, 'apps', 'cache.yaml'), FIXED_CACHE);
    const fixed = partialProblems(project);
    // The same problems; only the list of services to choose from has grown by the fixed one.
    expect(fixed).toEqual([CYCLE, UNKNOWN_FROM.replace('api, db', 'api, cache, db')]);
    const withoutChoices = (p: string): string => p.replace(/; expected one of: .*$/, '');
    expect(partial.filter((p) => p !== OWN).map(withoutChoices)).toEqual(fixed.map(withoutChoices));
  });

  it('app list and bootstrap, which load and resolve too, report the same problems', async () => {
    const project = brokenProject();
    for (const command of [
      ['app', 'list'],
      ['bootstrap', '--print'],
    ]) {
      const r = await runCli([...command, '--project', project]);
      expect(r.code, `${command.join(' ')}: ${r.stderr}`).toBe(1);
      expect(problemLines(r.stderr), command.join(' ')).toEqual([CYCLE, OWN, UNKNOWN_FROM]);
    }
  });
});

describe('loading a project with a broken file', () => {
  it("loadProject still throws with only the files' own problems, for callers that need every file", () => {
    let thrown: unknown;
    try {
      loadProject(brokenProject());
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SpecError);
    expect((thrown as SpecError).problems.map(formatProblem)).toEqual([OWN]);
  });

  it('loadProjectPartially gives the files that loaded, the problems, and the name of the service that did not load', () => {
    const { project, problems, unloaded } = loadProjectPartially(brokenProject());
    expect(project.services.map((s) => s.name)).toEqual(['api', 'db', 'web', 'worker']);
    expect(project.environments.map((e) => e.name)).toEqual(['prod', 'stage']);
    expect(problems.map(formatProblem)).toEqual([OWN]);
    expect([...unloaded.services]).toEqual(['cache']);
    expect([...unloaded.environments]).toEqual([]);
    expect(unloaded.settings).toBe(false);
  });

  it('a file that parses but fails its schema is left out under its file name and under the name it writes', () => {
    const dir = brokenProject();
    writeFileSync(join(dir, 'apps', 'cache.yaml'), 'name: redis\nimage: {repository: redis, tag: "8.2"}\nport: six\n');
    writeFileSync(join(dir, 'apps', 'web.yaml'), WEB.replace('${service:cache}', '${service:redis}'));
    const { project, unloaded } = loadProjectPartially(dir);
    expect(project.services.map((s) => s.name)).toEqual(['api', 'db', 'web', 'worker']);
    expect([...unloaded.services].sort()).toEqual(['cache', 'redis']);
    expect(partialProblems(dir).filter((p) => p.includes('"redis"') || p.includes('"cache"'))).toEqual([]);
  });
});
