import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { copyExample, REPO, runCli, snapshotTree, tempDir } from './helpers.js';

describe('gitops-synth --help', () => {
  it('--version prints the version of package.json (help.test.ts renders the rest of --help in-process)', async () => {
    const version = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('fails with a usage message for no command, an unknown command or an unknown option', async () => {
    for (const args of [[], ['synthesize'], ['synth', '--outdir', 'x']]) {
      const r = await runCli(args, { cwd: tempDir() });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('Run gitops-synth --help for usage.');
      expect(r.stdout, args.join(' ')).toBe('');
    }
  });
});

describe('gitops-synth synth', () => {
  it('reports folders, environments, objects and files that match what it wrote', async () => {
    const project = copyExample();
    const r = await runCli(['synth'], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    const m =
      /^gitops-synth: rendered (\d+) service folders for (.+): (\d+) objects in (\d+) files, validated, written to (.+)$/m.exec(
        r.stdout,
      );
    expect(m, r.stdout).not.toBeNull();
    const [, services, environments, objects, files, out] = m!;
    expect(out).toBe('dist');
    expect(environments).toBe('prod, stage');
    const tree = snapshotTree(join(project, 'dist'));
    expect(Number(files)).toBe(Object.keys(tree).length);
    expect(Number(services)).toBe(Object.keys(tree).filter((p) => /^[^/]+\/[^/]+\/app\.json$/.test(p)).length);
    expect(Number(services)).toBe(12);
    const documents = Object.entries(tree)
      .filter(([p]) => p.endsWith('.yaml'))
      .flatMap(([, c]) => parseAllDocuments(c).map((d) => d.toJS() as { kind?: string } | null))
      .filter((o) => o && o.kind !== 'Kustomization');
    expect(Number(objects)).toBe(documents.length);
  });

  it('writes to --out, relative to the current folder, and nothing into the project', async () => {
    const project = copyExample();
    const elsewhere = tempDir();
    const r = await runCli(['synth', '--project', project, '--out', 'rendered'], { cwd: elsewhere });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('written to rendered');
    expect(readdirSync(project).sort()).toEqual(['apps', 'environments']);
    expect(readdirSync(join(elsewhere, 'rendered'))).toEqual(expect.arrayContaining(['prod', 'stage']));
    expect(existsSync(join(elsewhere, 'rendered', 'prod', 'api', 'kustomization.yaml'))).toBe(true);
  });
});

describe('gitops-synth validate', () => {
  it('checks everything and writes nothing, neither to the project nor to the temporary folder', async () => {
    const project = copyExample();
    await synthOk(project);
    const api = join(project, 'apps', 'api.yaml');
    writeFileSync(api, readFileSync(api, 'utf8').replace('tag: 3f9c2a1', 'tag: 0a1b2c3'));
    const before = snapshotTree(project);
    const tmp = tempDir();
    const r = await runCli(['validate', '--project', project], { env: { TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^gitops-synth: valid: 12 service folders, \d+ objects$/m);
    // The spec changed since the last synth: said, and not a failure.
    expect(r.stdout).toMatch(
      /^gitops-synth: .*dist is stale \(0 files to add, 0 to remove, \d+ to change\): run gitops-synth synth/m,
    );
    expect(snapshotTree(project)).toEqual(before);
    expect(readdirSync(project).sort()).toEqual(['apps', 'dist', 'environments']);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('fails on a bad spec, naming the file, and on a kustomize failure', async () => {
    const project = copyExample();
    writeFileSync(
      join(project, 'apps', 'typo.yaml'),
      'image: {repository: ghcr.io/acme/typo, tag: 1.0.0}\nportz: 80\n',
    );
    const bad = await runCli(['validate', '--json', '--project', project]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/apps\/typo\.yaml:2:1.*portz/);
    // With --json the problems are on stdout too, located for an editor or a CI annotation.
    const doc = JSON.parse(bad.stdout);
    expect(doc).toMatchObject({ version: 1, command: 'validate', error: { kind: 'spec' } });
    expect(doc.error.problems).toEqual([
      { file: 'apps/typo.yaml', line: 2, column: 1, field: 'portz', message: expect.stringContaining('"portz"') },
    ]);

    const fine = copyExample();
    const kubectl = join(tempDir(), 'kubectl');
    // A kubectl that works but fails this build: the failure is the folders', exit 1 (a broken kubectl is exit 2).
    writeFileSync(
      kubectl,
      '#!/bin/sh\n[ "$1" = version ] && { echo "Client Version: v1.28.3"; exit 0; }\n' +
        'echo "error: broken on purpose" >&2\nexit 1\n',
    );
    chmodSync(kubectl, 0o755);
    const broken = await runCli(['validate', '--project', fine], { env: { GITOPS_SYNTH_KUBECTL: kubectl } });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('broken on purpose');
    expect(readdirSync(fine).sort()).toEqual(['apps', 'environments']);
  });
});

describe('synth --check, validate on a stale dist/, and --json', () => {
  it('--check fails on a missing or stale dist/ listing each file and writes nothing; validate only says so', async () => {
    const project = copyExample();
    const missing = await runCli(['synth', '--check', '--json', '--project', project]);
    expect(missing.code, missing.stderr).toBe(1);
    const none = JSON.parse(missing.stdout);
    expect(none).toMatchObject({
      version: 1,
      command: 'synth',
      check: true,
      output: { exists: false, current: false },
    });
    expect(none.output.differences.added).toHaveLength(none.files);
    expect(readdirSync(project).sort()).toEqual(['apps', 'environments']);

    const written = await runCli(['synth', '--json', '--project', project]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stderr).toBe('');
    const summary = JSON.parse(written.stdout);
    const tree = snapshotTree(join(project, 'dist'));
    expect(summary).toEqual({
      version: 1,
      command: 'synth',
      check: false,
      environments: ['prod', 'stage'],
      services: 12,
      objects: expect.any(Number),
      files: Object.keys(tree).length,
      output: { dir: join(project, 'dist'), written: true, preserved: [], overriding: [], foreign: [] },
      notes: [],
    });
    expect(none.output.differences.added).toEqual(Object.keys(tree).sort());

    // A spec change, a file of someone else's and an Image Updater write-back (no difference: synth keeps both).
    const api = join(project, 'apps', 'api.yaml');
    writeFileSync(api, readFileSync(api, 'utf8').replace('tag: 3f9c2a1', 'tag: 0a1b2c3'));
    writeFileSync(join(project, 'dist', 'prod', 'api', 'notes.txt'), 'mine\n');
    writeFileSync(join(project, 'dist', 'stage', 'api', '.argocd-source-api-stage.yaml'), 'kustomize: {}\n');
    const before = snapshotTree(project);
    const stale = await runCli(['synth', '--check', '--project', project], { cwd: project });
    expect(stale.code, stale.stderr).toBe(1);
    const lines = stale.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^gitops-synth: dist is stale: 0 files to add, 0 to remove, \d+ to change; run gitops-synth synth/,
    );
    expect(stale.stdout).not.toContain('notes.txt');
    expect(lines).toContain('  ~ stage/api/deployment-api.yaml');
    expect(stale.stdout).not.toContain('.argocd-source');
    // The ownership marker records the folder's digests, so it changes with it.
    expect(
      lines
        .filter((l) => l.startsWith('  ~ '))
        .every((l) => l.startsWith('  ~ stage/api/') || l === '  ~ .gitops-synth-owned'),
    ).toBe(true);

    const validated = await runCli(['validate', '--json', '--project', project]);
    expect(validated.code, validated.stderr).toBe(0);
    const report = JSON.parse(validated.stdout);
    expect(report).toMatchObject({
      version: 1,
      command: 'validate',
      services: 12,
      output: { exists: true, current: false },
    });
    expect(report.output.differences.removed).toEqual([]);
    expect(report.output.differences.changed.map((f: string) => `  ~ ${f}`)).toEqual(
      lines.filter((l) => l.startsWith('  ~ ')),
    );
    expect(snapshotTree(project)).toEqual(before);
  });
});

/** Runs the real CLI's synth of `project` and fails with its error output unless it succeeds. */
async function synthOk(project: string): Promise<void> {
  const r = await runCli(['synth', '--project', project]);
  expect(r.code, r.stderr).toBe(0);
}
