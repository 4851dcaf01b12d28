import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { synth } from '../src/pipeline/pipeline.js';
import { kustomizeBuild } from '../src/validate/kustomize.js';
import { copyExample, tempDir } from './helpers.js';

type Obj = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any };

async function renderExample(): Promise<string> {
  const out = join(tempDir(), 'dist');
  await synth({ projectDir: copyExample(), outDir: out });
  return out;
}

/**
 * What Argo CD does with Image Updater's `.argocd-source-<app>.yaml` in a
 * Kustomize folder: its kustomize.images are set on the kustomization
 * (`kustomize edit set image`) before the build.
 */
function applyWriteBack(folder: string, images: string[]): Obj[] {
  const work = tempDir();
  cpSync(folder, work, { recursive: true });
  const k = parse(readFileSync(join(work, 'kustomization.yaml'), 'utf8'));
  for (const ref of images) {
    const at = ref.lastIndexOf(':');
    const name = ref.slice(0, at);
    k.images = (k.images ?? [])
      .filter((i: { name: string }) => i.name !== name)
      .concat([{ name, newTag: ref.slice(at + 1) }]);
  }
  writeFileSync(join(work, 'kustomization.yaml'), stringify(k));
  return parseAllDocuments(kustomizeBuild(work)).map((d) => d.toJS() as Obj);
}

describe('a tag moved by Image Updater', () => {
  it('moves the image and the version label of every object and pod of the service together', async () => {
    const dist = await renderExample();
    const objects = applyWriteBack(join(dist, 'stage', 'api'), ['ghcr.io/acme-shop/api:abcdef1']);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.template.spec.containers[0].image).toBe('ghcr.io/acme-shop/api:abcdef1');
    for (const o of objects)
      expect(o.metadata.labels?.['app.kubernetes.io/version'], `${o.kind} ${o.metadata.name}`).toBe('abcdef1');
    for (const o of objects.filter((x) => x.spec?.template)) {
      expect(o.spec.template.metadata.labels['app.kubernetes.io/version'], `${o.kind} pods`).toBe('abcdef1');
    }
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(job.spec.template.spec.containers[0].image).toBe('ghcr.io/acme-shop/api:abcdef1');
  });

  it('never changes a selector', async () => {
    const dist = await renderExample();
    const before = parseAllDocuments(kustomizeBuild(join(dist, 'prod', 'api'))).map((d) => d.toJS() as Obj);
    const after = applyWriteBack(join(dist, 'prod', 'api'), ['ghcr.io/acme-shop/api:1.5.0']);
    const selectors = (objs: Obj[]) => objs.filter((o) => o.spec?.selector).map((o) => [o.kind, o.spec.selector]);
    expect(selectors(after)).toEqual(selectors(before));
  });

  it('keeps claim templates of StatefulSets free of the version label (they are immutable)', async () => {
    const dist = await renderExample();
    for (const env of ['stage', 'prod']) {
      const sts = parse(readFileSync(join(dist, env, 'postgres', 'statefulset-postgres.yaml'), 'utf8'));
      for (const t of sts.spec.volumeClaimTemplates)
        expect(t.metadata.labels['app.kubernetes.io/version']).toBeUndefined();
    }
  });

  it('leaves pinned services without a rewrite: their version label is the pinned tag', async () => {
    const dist = await renderExample();
    const k = parse(readFileSync(join(dist, 'stage', 'postgres', 'kustomization.yaml'), 'utf8'));
    expect(k.replacements).toBeUndefined();
    const objects = parseAllDocuments(kustomizeBuild(join(dist, 'stage', 'postgres'))).map((d) => d.toJS() as Obj);
    for (const o of objects) expect(o.metadata.labels?.['app.kubernetes.io/version']).toBe('18.1');
  });
});
