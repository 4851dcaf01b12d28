import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { synth } from '../src/pipeline/pipeline.js';
import { kustomizeBuild } from '../src/validate/kustomize.js';
import { argoCdBuild } from './argocd-source.js';
import { copyExample, tempDir } from './helpers.js';

type Obj = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any };

async function renderExample(): Promise<string> {
  const out = join(tempDir(), 'dist');
  await synth({ projectDir: copyExample(), outDir: out });
  return out;
}

/** The objects Argo CD deploys from a service folder after Image Updater wrote `images` back (argocd-source.ts). */
function applyWriteBack(folder: string, images: string[]): Obj[] {
  const work = join(tempDir(), 'app');
  cpSync(folder, work, { recursive: true });
  const app = `${basename(folder)}-${basename(dirname(folder))}`;
  writeFileSync(join(work, `.argocd-source-${app}.yaml`), stringify({ kustomize: { images } }));
  return argoCdBuild(work, app) as Obj[];
}

describe('a tag moved by Image Updater', () => {
  it('moves the image and the version label of what runs it (workload, migration Job, their pods) together, and nothing else', async () => {
    const dist = await renderExample();
    const before = parseAllDocuments(kustomizeBuild(join(dist, 'stage', 'api'))).map((d) => d.toJS() as Obj);
    const objects = applyWriteBack(join(dist, 'stage', 'api'), ['ghcr.io/acme-shop/api:abcdef1']);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.template.spec.containers[0].image).toBe('ghcr.io/acme-shop/api:abcdef1');
    const runsImage = (o: Obj) => ['Deployment', 'Job'].includes(o.kind);
    for (const o of objects)
      expect(o.metadata.labels?.['app.kubernetes.io/version'], `${o.kind} ${o.metadata.name}`).toBe(
        runsImage(o) ? 'abcdef1' : undefined,
      );
    for (const o of objects.filter((x) => x.spec?.template)) {
      expect(o.spec.template.metadata.labels['app.kubernetes.io/version'], `${o.kind} pods`).toBe('abcdef1');
    }
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(job.spec.template.spec.containers[0].image).toBe('ghcr.io/acme-shop/api:abcdef1');
    // A tag bump changes exactly the objects that run the image.
    const changed = objects.filter((o, i) => JSON.stringify(o) !== JSON.stringify(before[i]));
    expect(changed.map((o) => `${o.kind} ${o.metadata.name}`).sort()).toEqual(['Deployment api', 'Job api-migrate']);
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

  it('leaves pinned services without a rewrite: their workload carries the pinned tag as its version', async () => {
    const dist = await renderExample();
    const k = parse(readFileSync(join(dist, 'stage', 'postgres', 'kustomization.yaml'), 'utf8'));
    expect(k.replacements).toBeUndefined();
    const objects = parseAllDocuments(kustomizeBuild(join(dist, 'stage', 'postgres'))).map((d) => d.toJS() as Obj);
    for (const o of objects)
      expect(o.metadata.labels?.['app.kubernetes.io/version'], o.kind).toBe(
        o.kind === 'StatefulSet' ? '18.1' : undefined,
      );
  });
});
