import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { imageUpdaterFile, writtenBackTag } from '../src/lifecycle/image-updater-file.js';
import { deleteEntry, setScalar } from '../src/lifecycle/yaml-edit.js';
import { renderProject } from '../src/pipeline/pipeline.js';
import { copyExample, runCli } from './helpers.js';

describe('spec edits keep every byte they do not change', () => {
  const spec = [
    '# A comment at the top',
    'image: {repository: redis, tag: "7.4"}   # pinned',
    'ports:',
    '  - {name: redis,   port: 6379}',
    '',
    '# overrides',
    'environments:',
    '    prod:',
    '        replicas: 2      # two in prod',
    '',
  ].join('\n');

  it('adds a top-level key before environments and its comment, and removing it gives the text back', () => {
    const suspended = setScalar(spec, ['suspended'], true, { before: 'environments' });
    expect(suspended).toBe(spec.replace('\n# overrides\n', '\nsuspended: true\n# overrides\n'));
    expect(deleteEntry(suspended, ['suspended'])).toBe(spec);
  });

  it("adds to an existing environment in the file's own indentation, and to a new one, and takes both back exactly", () => {
    const prod = setScalar(spec, ['environments', 'prod', 'suspended'], true);
    expect(prod).toContain('        replicas: 2      # two in prod\n        suspended: true\n');
    expect(deleteEntry(prod, ['environments', 'prod', 'suspended'])).toBe(spec);
    const stage = setScalar(spec, ['environments', 'stage', 'suspended'], true);
    expect(stage.endsWith('    stage:\n        suspended: true\n')).toBe(true);
    expect(deleteEntry(stage, ['environments', 'stage', 'suspended'])).toBe(spec);
  });

  it('creates environments: when there is none, and removes it again', () => {
    const plain = 'image: {repository: redis, tag: "7.4"}\n';
    const out = setScalar(plain, ['environments', 'prod', 'suspended'], true);
    expect(out).toBe(`${plain}environments:\n  prod:\n    suspended: true\n`);
    expect(deleteEntry(out, ['environments', 'prod', 'suspended'])).toBe(plain);
  });

  it('edits flow mappings in place', () => {
    const flow = 'image: {repository: redis, tag: "7.4"}\nenvironments: {prod: {replicas: 2}}\n';
    const prod = setScalar(flow, ['environments', 'prod', 'suspended'], true);
    expect(prod).toBe('image: {repository: redis, tag: "7.4"}\nenvironments: {prod: {replicas: 2, suspended: true}}\n');
    expect(deleteEntry(prod, ['environments', 'prod', 'suspended'])).toBe(flow);
    const stage = setScalar(flow, ['environments', 'stage', 'suspended'], true);
    expect(parse(stage)).toEqual({
      image: { repository: 'redis', tag: '7.4' },
      environments: { prod: { replicas: 2 }, stage: { suspended: true } },
    });
    expect(deleteEntry(stage, ['environments', 'stage', 'suspended'])).toBe(flow);
  });

  it('changes a value in place and leaves a missing entry alone', () => {
    expect(setScalar('a: 1 # one\nsuspended: false  # off\n', ['suspended'], true)).toBe(
      'a: 1 # one\nsuspended: true  # off\n',
    );
    expect(deleteEntry(spec, ['environments', 'stage', 'suspended'])).toBe(spec);
  });
});

describe('Image Updater write-back files', () => {
  it('are named after the Application <service>-<env>, beside the kustomization', () => {
    expect(imageUpdaterFile('api', 'stage')).toBe('stage/api/.argocd-source-api-stage.yaml');
  });

  it("give the tag for the service's image in every spelling kustomize images take", () => {
    const file = (images: string[]) => `kustomize:\n  images:\n${images.map((i) => `  - ${i}\n`).join('')}`;
    expect(writtenBackTag(file(['ghcr.io/acme/api:1a2b3c4']), 'ghcr.io/acme/api')).toBe('1a2b3c4');
    expect(
      writtenBackTag(file(['ghcr.io/acme/other:9', 'ghcr.io/acme/api=ghcr.io/acme/api:1.5.0']), 'ghcr.io/acme/api'),
    ).toBe('1.5.0');
    expect(writtenBackTag(file([`localhost:5000/api@sha256:${'a'.repeat(64)}`]), 'localhost:5000/api')).toBe(
      `@sha256:${'a'.repeat(64)}`,
    );
    expect(writtenBackTag(file(['ghcr.io/acme/other:9']), 'ghcr.io/acme/api')).toBeUndefined();
    expect(writtenBackTag(': not yaml :', 'ghcr.io/acme/api')).toBeUndefined();
  });
});

describe('suspended in the rendered output', () => {
  it('a suspended StatefulSet runs 0 replicas and keeps its claim templates, config and image', async () => {
    const project = copyExample();
    const file = join(project, 'apps', 'postgres.yaml');
    const before = await renderProject(project);
    writeFileSync(file, setScalar(readFileSync(file, 'utf8'), ['suspended'], true, { before: 'environments' }));
    const after = await renderProject(project);
    const sts = (r: typeof before) =>
      parse(r.tree.get('prod/postgres/statefulset-postgres.yaml')!) as {
        metadata: { annotations: Record<string, string> };
        spec: Record<string, unknown> & { template: unknown; volumeClaimTemplates: unknown };
      };
    expect(sts(after).spec.replicas).toBe(0);
    expect(sts(after).metadata.annotations['gitops-synth.io/suspended']).toBe('true');
    expect(sts(after).spec.volumeClaimTemplates).toEqual(sts(before).spec.volumeClaimTemplates);
    expect(sts(after).spec.template).toEqual(sts(before).spec.template);
  });
});

describe('--help of the app commands', () => {
  const expected: Record<string, string[]> = {
    add: ['<name>', '--image', '--port', '--expose', '--replicas', '--env', '--secret-env', '--volume', 'Examples:'],
    list: ['--env', '--json', '--cache-dir', 'Examples:'],
    suspend: ['<name>', '--env', 'Examples:'],
    resume: ['<name>', '--env', 'Examples:'],
    remove: ['<name>', '--purge-volumes', '--yes', 'Examples:'],
  };

  it('lists every subcommand, and each one documents all its arguments', async () => {
    const app = await runCli(['app', '--help']);
    expect(app.code).toBe(0);
    for (const sub of Object.keys(expected)) expect(app.stdout).toContain(`gitops-synth app ${sub}`);
    expect((await runCli(['--help'])).stdout).toContain('gitops-synth app');
    for (const [sub, words] of Object.entries(expected)) {
      const r = await runCli(['app', sub, '--help']);
      expect(r.code, sub).toBe(0);
      for (const w of words) expect(r.stdout, `${sub} --help mentions ${w}`).toContain(w);
    }
  });

  it('an app command without a subcommand says what to name', async () => {
    const r = await runCli(['app']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('add, list, suspend, resume, pin, unpin or remove');
  });
});
