import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { copyExample, runCli, snapshotTree, tempDir } from './helpers.js';

describe('gitops-synth --help', () => {
  it('lists the synth and validate commands and the --project option', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /gitops-synth synth\s+Render apps\/ × environments\/ into dist\/ \(dist\/<env>\/<service>\//,
    );
    expect(r.stdout).toMatch(/gitops-synth validate\s+Check the specs and everything synth would write/);
    expect(r.stdout).toMatch(/--project\s+Project folder holding apps\/, environments\/ and dist\//);
  });

  it('synth --help describes the atomic write and lists --out and --project', () => {
    const r = runCli(['synth', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('swap the result in atomically');
    expect(r.stdout).toMatch(/--out\s+Output folder.*\[default: <project>\/dist\]/);
    expect(r.stdout).toMatch(/--project\s+/);
  });

  it('validate --help says it writes nothing and lists --project', () => {
    const r = runCli(['validate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('without writing anything');
    expect(r.stdout).toMatch(/--project\s+/);
    expect(r.stdout).not.toContain('--out');
  });

  it('fails with a usage message for no command, an unknown command or an unknown option', () => {
    for (const args of [[], ['synthesize'], ['synth', '--outdir', 'x']]) {
      const r = runCli(args, { cwd: tempDir() });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain('Run gitops-synth --help for usage.');
    }
  });
});

describe('gitops-synth synth', () => {
  it('reports folders, environments, objects and files that match what it wrote', () => {
    const project = copyExample();
    const r = runCli(['synth'], { cwd: project });
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

  it('writes to --out, relative to the current folder, and nothing into the project', () => {
    const project = copyExample();
    const elsewhere = tempDir();
    const r = runCli(['synth', '--project', project, '--out', 'rendered'], { cwd: elsewhere });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('written to rendered');
    expect(readdirSync(project).sort()).toEqual(['apps', 'environments']);
    expect(readdirSync(join(elsewhere, 'rendered'))).toEqual(expect.arrayContaining(['prod', 'stage']));
    expect(existsSync(join(elsewhere, 'rendered', 'prod', 'api', 'kustomization.yaml'))).toBe(true);
  });
});

describe('gitops-synth validate', () => {
  it('checks everything and writes nothing, neither to the project nor to the temporary folder', () => {
    const project = copyExample();
    synthOk(project);
    const api = join(project, 'apps', 'api.yaml');
    writeFileSync(api, readFileSync(api, 'utf8').replace('tag: 3f9c2a1', 'tag: 0a1b2c3'));
    const before = snapshotTree(project);
    const tmp = tempDir();
    const r = runCli(['validate', '--project', project], { env: { TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^gitops-synth: valid: 12 service folders, \d+ objects$/m);
    expect(snapshotTree(project)).toEqual(before);
    expect(readdirSync(project).sort()).toEqual(['apps', 'dist', 'environments']);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('fails on a bad spec, naming the file, and on a kustomize failure', () => {
    const project = copyExample();
    writeFileSync(
      join(project, 'apps', 'typo.yaml'),
      'image: {repository: ghcr.io/acme/typo, tag: 1.0.0}\nportz: 80\n',
    );
    const bad = runCli(['validate', '--project', project]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/apps\/typo\.yaml:2:1.*portz/);

    const fine = copyExample();
    const kubectl = join(tempDir(), 'kubectl');
    // A kubectl that works but fails this build: the failure is the folders', exit 1 (a broken kubectl is exit 2).
    writeFileSync(
      kubectl,
      '#!/bin/sh\n[ "$1" = version ] && { echo "Client Version: v1.28.3"; exit 0; }\necho "error: broken on purpose" >&2\nexit 1\n',
    );
    chmodSync(kubectl, 0o755);
    const broken = runCli(['validate', '--project', fine], { env: { GITOPS_SYNTH_KUBECTL: kubectl } });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('broken on purpose');
    expect(readdirSync(fine).sort()).toEqual(['apps', 'environments']);
  });
});

/** Runs the real CLI's synth of `project` and fails with its error output unless it succeeds. */
function synthOk(project: string): void {
  const r = runCli(['synth', '--project', project]);
  expect(r.code, r.stderr).toBe(0);
}
