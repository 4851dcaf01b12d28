import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JSON_OUTPUT_VERSION } from '../src/cli/json.js';
import { planJson } from '../src/bootstrap/format-plan.js';
import { planProject } from '../src/bootstrap/render.js';
import { reportJson } from '../src/diff/format.js';
import { CommandFailure, ExitWith, reportError, UsageError } from '../src/cli/output.js';
import { nextStage, Progress, progressByDefault } from '../src/cli/progress.js';
import { packageVersion } from '../src/cli/version.js';
import { ArgumentError, LifecycleError } from '../src/lifecycle/errors.js';
import { RenderedTree } from '../src/output/tree.js';
import { SpecError, ValidationError } from '../src/spec/errors.js';
import { OWNERSHIP_FILE, ownershipRecord } from '../src/output/ownership.js';
import { OwnershipError } from '../src/write/ownership-error.js';
import { writeTree } from '../src/write/tree-writer.js';
import { compareTree, treeIsCurrent } from '../src/write/tree-compare.js';
import { REPO, tempDir } from './helpers.js';

/** A stream that records what is written, with a terminal's width. */
function recorder(options: { isTTY?: boolean; columns?: number } = {}) {
  let text = '';
  return {
    isTTY: options.isTTY,
    columns: options.columns,
    write(chunk: string) {
      text += chunk;
      return true;
    },
    get text() {
      return text;
    },
  };
}

/** reportError's exit code, stderr and (with --json) stdout for `err`. */
function report(err: unknown, json = false) {
  const stderr = recorder();
  const stdout = recorder();
  const code = reportError(err, { stderr, json: json ? { command: 'validate', stdout } : undefined });
  return { code, stderr: stderr.text, stdout: stdout.text };
}

describe('exit codes and failures', () => {
  it('spec problems exit 1, one located line each; with --json also a document on stdout with every field', () => {
    const err = new SpecError([
      { file: 'apps/api.yaml', line: 3, column: 7, field: 'port', message: 'expected a port number' },
      { file: 'environments/prod.yaml', field: '', message: 'the file is empty' },
    ]);
    const r = report(err, true);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'gitops-synth: 2 problems in the specs; nothing was written.\n' +
        '  apps/api.yaml:3:7: port: expected a port number\n' +
        '  environments/prod.yaml: the file is empty\n',
    );
    expect(JSON.parse(r.stdout)).toEqual({
      version: JSON_OUTPUT_VERSION,
      command: 'validate',
      error: {
        kind: 'spec',
        message: '2 problems in the specs; nothing was written.',
        problems: [
          { file: 'apps/api.yaml', line: 3, column: 7, field: 'port', message: 'expected a port number' },
          { file: 'environments/prod.yaml', line: null, column: null, field: null, message: 'the file is empty' },
        ],
      },
    });
    expect(report(err).stdout).toBe('');
  });

  it('sorts every other failure into 1 (the project) or 2 (usage, internal), with --json for all but usage', () => {
    const cases: [unknown, number, string | undefined, RegExp][] = [
      [new ValidationError(['prod/api/x.yaml: Deployment api: bad']), 1, 'validation', /failed validation/],
      [new LifecycleError('unknown service "nginx"'), 1, 'refused', /^gitops-synth: unknown service "nginx"\n$/],
      [new CommandFailure('dist is stale'), 1, 'refused', /^gitops-synth: dist is stale\n$/],
      [new ArgumentError('invalid argument: --port "x"'), 2, undefined, /--port "x"/],
      [new UsageError('--attempts: expected a whole number'), 2, undefined, /--attempts/],
      [new TypeError('boom'), 2, 'internal', /^gitops-synth: internal error: TypeError: boom\n {4}at /],
      [new ExitWith(new SpecError([{ file: 'a.yaml', field: '', message: 'm' }]), 2), 2, 'spec', /a\.yaml: m/],
    ];
    for (const [err, code, kind, stderr] of cases) {
      const r = report(err, true);
      expect(r.code, String(err)).toBe(code);
      expect(r.stderr, String(err)).toMatch(stderr);
      if (kind === undefined) expect(r.stdout, String(err)).toBe('');
      else {
        const doc = JSON.parse(r.stdout);
        expect(doc.error.kind, String(err)).toBe(kind);
        expect(doc.error.message, String(err)).not.toContain('    at ');
      }
    }
    // An outcome the command already printed (diff found differences): the code alone.
    expect(report(new CommandFailure('', 1), true)).toEqual({ code: 1, stderr: '', stdout: '' });
  });

  it('diff --json keeps every fact of the report under stable keys, absent ones as null', () => {
    const image = (tag: string, autoUpdate: boolean) =>
      ({ repository: 'ghcr.io/acme/api', tag, autoUpdate, from: 'spec' }) as const;
    const doc = reportJson({
      where: 'file:///devops.git main:clusters',
      units: [
        {
          unit: 'argocd',
          status: 'added',
          files: [
            { path: 'argocd/root.yaml', status: 'added', objects: [{ label: 'Application root', status: 'added' }] },
          ],
        },
      ],
      tags: [{ service: 'api', environment: 'prod', before: image('1.4.7', true), after: image('1.4.1', false) }],
    });
    expect(doc).toEqual({
      where: 'file:///devops.git main:clusters',
      head: null,
      equal: false,
      summary: { folders: 1, objects: { added: 1, removed: 0, changed: 0 } },
      changes: null,
      tags: [{ service: 'api', environment: 'prod', before: image('1.4.7', true), after: image('1.4.1', false) }],
      units: [
        {
          unit: 'argocd',
          environment: null,
          service: null,
          status: 'added',
          files: [
            {
              path: 'argocd/root.yaml',
              status: 'added',
              objects: [{ label: 'Application root', status: 'added' }],
              patch: null,
            },
          ],
        },
      ],
    });
  });

  it('bootstrap --json leaves out no fact of the plan: every key of the plan and its environments is there', () => {
    const plan = planProject(REPO);
    const json = planJson(plan);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(Object.keys(plan)));
    const environments = json.environments as Record<string, unknown>[];
    plan.environments.forEach((e, i) =>
      expect(Object.keys(environments[i]!)).toEqual(expect.arrayContaining(Object.keys(e))),
    );
    expect(JSON.stringify(json)).not.toContain('undefined');
  });

  it('--version is the version of package.json', () => {
    expect(packageVersion()).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
  });
});

describe('progress line', () => {
  /** A progress whose clock the test moves. */
  function progress(options: { isTTY?: boolean; columns?: number; enabled?: boolean } = {}) {
    const stream = recorder({ isTTY: options.isTTY ?? true, columns: options.columns ?? 80 });
    let now = 0;
    const p = new Progress({ stream, enabled: options.enabled, env: {}, now: () => now, tickMs: 0 });
    return { p, stream, at: (ms: number) => (now = ms) };
  }

  it('shows nothing for two seconds, then the stage in place, and erases it before anything is printed', () => {
    const { p, stream, at } = progress();
    const phase = p.phases();
    at(1900);
    phase('load', 5, { services: 6, environments: 2 });
    expect(stream.text).toBe('');
    at(2100);
    phase('resolve', 5, { services: 6, environments: 2, folders: 12 });
    expect(stream.text).toBe('\rgitops-synth: rendering 12 service folders (2s)\x1b[K');
    p.print('gitops-synth: publishing to x\n');
    expect(
      stream.text.endsWith(
        '\r\x1b[Kgitops-synth: publishing to x\n\rgitops-synth: rendering 12 service folders (2s)\x1b[K',
      ),
    ).toBe(true);
    p.stop();
    expect(stream.text.endsWith('\x1b[K\r\x1b[K')).toBe(true);
    // Stopped: nothing more, whatever is reported after.
    const length = stream.text.length;
    at(9000);
    phase('render', 5, { objects: 65 });
    expect(stream.text).toHaveLength(length);
  });

  it('never fills the terminal line (a full line would wrap and \\r could not clear it)', () => {
    const { p, stream, at } = progress({ columns: 30 });
    at(5000);
    p.stage('building 300 folders with kubectl kustomize');
    const line = stream.text.replace('\r', '').replace('\x1b[K', '');
    expect(line.length).toBeLessThanOrEqual(29);
    expect(line.endsWith('…')).toBe(true);
  });

  it('is off when stderr is no terminal, in CI and on a dumb terminal, unless --progress; --no-progress wins', () => {
    expect(progressByDefault({ write: () => true, isTTY: true }, {})).toBe(true);
    expect(progressByDefault({ write: () => true, isTTY: false }, {})).toBe(false);
    expect(progressByDefault({ write: () => true }, {})).toBe(false);
    expect(progressByDefault({ write: () => true, isTTY: true }, { CI: 'true' })).toBe(false);
    expect(progressByDefault({ write: () => true, isTTY: true }, { CI: 'false' })).toBe(true);
    expect(progressByDefault({ write: () => true, isTTY: true }, { TERM: 'dumb' })).toBe(false);
    const piped = progress({ isTTY: false });
    piped.at(5000);
    piped.p.stage('rendering');
    expect(piped.stream.text).toBe('');
    const forced = progress({ isTTY: false, enabled: true });
    forced.at(5000);
    forced.p.stage('rendering');
    expect(forced.stream.text).toContain('rendering');
    const off = progress({ enabled: false });
    off.at(5000);
    off.p.stage('rendering');
    expect(off.stream.text).toBe('');
  });

  it('names every stage with its count', () => {
    const counts = { services: 1, environments: 2, folders: 2, objects: 65, files: 94 };
    expect(nextStage('load', counts)).toBe('resolving 1 service in 2 environments');
    expect(nextStage('resolve', counts)).toBe('rendering 2 service folders');
    expect(nextStage('render', counts)).toBe('checking 65 objects against their schemas');
    expect(nextStage('schemas', counts)).toBe('writing 94 files');
    expect(nextStage('write', counts)).toBe('building 2 folders with kubectl kustomize');
  });
});

/** Every file and symlink below `dir` with its content (or link target) and executable bit. */
function listing(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = join(e.parentPath, e.name);
    const path = relative(dir, full);
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) out.set(path, 'symlink');
    else if (stat.isFile()) out.set(path, `${stat.mode & 0o100 ? 'x' : '-'}${readFileSync(full, 'utf8')}`);
    else if (readdirSync(full).length === 0) out.set(`${path}/`, 'empty folder');
  }
  return out;
}

describe('compareTree (synth --check, the stale line of validate)', () => {
  it('lists exactly what writing the tree then changes: added, removed, changed; Image Updater files and files of others kept', async () => {
    const tree = new RenderedTree();
    tree.add('prod/api/deployment.yaml', 'kind: Deployment\n');
    tree.add('prod/api/kustomization.yaml', 'resources: []\n');
    tree.add('prod/web/service.yaml', 'kind: Service\n');
    tree.add('bootstrap/bootstrap.sh', '#!/bin/bash\n', { executable: true });
    tree.add('argocd/root.yaml', 'kind: Application\n');
    tree.add('prod/new/deployment.yaml', 'kind: Deployment\n');
    tree.add('prod/pinned/app.json', '{"image": {"autoUpdate": false}}\n');
    tree.add('prod/moving/app.json', '{"image": {"autoUpdate": true}}\n');
    tree.add(OWNERSHIP_FILE, ownershipRecord(tree.paths()));
    const out = join(tempDir(), 'dist');
    // What the marker records as gitops-synth's.
    const owned = new Set([
      'prod/api/deployment.yaml',
      'prod/api/kustomization.yaml',
      'prod/gone/deployment.yaml',
      'bootstrap/bootstrap.sh',
      'prod/pinned/app.json',
      'prod/moving/app.json',
      'prod/web/service.yaml',
    ]);
    const files: Record<string, string> = {
      'prod/api/deployment.yaml': 'kind: Deployment\n', // the same
      'prod/api/kustomization.yaml': 'resources: [old]\n', // changed
      'prod/api/.argocd-source-api-prod.yaml': 'kept\n', // a folder still rendered: carried over
      '.argocd-source-top.yaml': 'kept\n', // the top folder: carried over too
      'prod/gone/.argocd-source-gone-prod.yaml': 'x\n', // a folder no longer rendered: goes with it
      'prod/gone/deployment.yaml': 'x\n',
      'bootstrap/bootstrap.sh': '#!/bin/bash\n', // same bytes, not executable: changed
      'prod/pinned/app.json': '{"image": {"autoUpdate": false}}\n',
      'prod/pinned/.argocd-source-pinned-prod.yaml': 'x\n', // beside a pinned tag it would override it: goes
      'prod/moving/app.json': '{"image": {"autoUpdate": true}}\n',
      'prod/moving/.argocd-source-moving-prod.yaml': 'x\n', // Image Updater moves this tag: kept
      'notes.txt': 'x\n', // not in the marker: someone else's, kept
      [OWNERSHIP_FILE]: ownershipRecord([...owned]),
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(out, path)), { recursive: true });
      writeFileSync(join(out, path), content);
    }
    mkdirSync(join(out, 'prod', 'web', 'service.yaml'), { recursive: true }); // a folder where a file goes
    symlinkSync('/etc/hostname', join(out, 'argocd-link')); // not the generator's: kept

    const found = compareTree(out, tree, owned);
    expect(found).toEqual({
      added: ['argocd/root.yaml', 'prod/new/deployment.yaml'],
      removed: [
        'prod/gone/.argocd-source-gone-prod.yaml',
        'prod/gone/deployment.yaml',
        'prod/pinned/.argocd-source-pinned-prod.yaml',
      ],
      changed: [OWNERSHIP_FILE, 'bootstrap/bootstrap.sh', 'prod/api/kustomization.yaml', 'prod/web/service.yaml'],
    });
    expect(treeIsCurrent(found)).toBe(false);

    // The property: what the write really changes is what compareTree listed.
    const before = listing(out);
    await writeTree(out, tree, { projectDir: tempDir() });
    const after = listing(out);
    const sorted = (list: string[]) => list.sort();
    expect(found).toEqual({
      added: sorted([...after.keys()].filter((p) => !before.has(p) && !before.has(`${p}/`))),
      removed: sorted([...before.keys()].filter((p) => !after.has(p) && !after.has(p.replace(/\/$/, '')))),
      changed: sorted(
        [...after.keys()].filter((p) => (before.has(p) && before.get(p) !== after.get(p)) || before.has(`${p}/`)),
      ),
    });
    expect(compareTree(out, tree, owned)).toEqual({ added: [], removed: [], changed: [] });

    // A symbolic link where a file of the tree goes differs, and the write refuses it rather than write through it.
    symlinkSync(join(out, 'notes.txt'), join(out, 'prod', 'new', 'service.yaml'));
    tree.add('prod/new/service.yaml', 'kind: Service\n');
    expect(compareTree(out, tree, owned).changed).toContain('prod/new/service.yaml');
    await expect(writeTree(out, tree, { projectDir: tempDir() })).rejects.toThrow(OwnershipError);
  });

  it('lists every file as added when the output folder does not exist, or is a file', () => {
    const tree = new RenderedTree();
    tree.add('b/x.yaml', 'x\n');
    tree.add('a.json', '{}\n');
    const dir = tempDir();
    expect(compareTree(join(dir, 'dist'), tree)).toEqual({ added: ['a.json', 'b/x.yaml'], removed: [], changed: [] });
    writeFileSync(join(dir, 'file'), 'x');
    chmodSync(join(dir, 'file'), 0o644);
    expect(compareTree(join(dir, 'file'), tree).added).toEqual(['a.json', 'b/x.yaml']);
  });
});
