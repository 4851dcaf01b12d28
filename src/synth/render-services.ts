import type { RenderedObject } from '../output/object.js';
import type { RememberedFolder, Renderer } from '../output/renderer.js';
import { RenderedTree } from '../output/tree.js';
import type { KustomizeFolder } from '../validate/kustomize.js';
import { renderServiceFolder, serviceFolder } from './render-service.js';

/**
 * `dist/<env>/<service>/`: the Kubernetes objects of every enabled service in
 * every environment. A folder rendered and validated before from the same
 * resolved service by the same code comes from the render cache.
 */
export const renderServices: Renderer = async ({ resolved, renderCache: cache }) => {
  const tree = new RenderedTree();
  const objects: { file: string; object: RenderedObject['object'] }[] = [];
  const kustomizeFolders: KustomizeFolder[] = [];
  const renderedNow: { key: string; folder: RememberedFolder }[] = [];
  let remembered = 0;
  for (const env of resolved.environments) {
    for (const svc of resolved.services.get(env.name) ?? []) {
      const folder = serviceFolder(svc);
      const key = cache?.keyOf(svc);
      const known = key === undefined ? undefined : cache!.lookup(key);
      if (known) {
        for (const [name, content] of known.files) tree.add(`${folder}/${name}`, content);
        kustomizeFolders.push({ folder, objects: known.objects, files: known.files });
        remembered += known.objects;
        continue;
      }
      // cdk8s and the constructs are loaded only when a folder is rendered: not at all when every folder is remembered.
      const { synthesizeService } = await import('./synthesize-service.js');
      const rendered = synthesizeService(svc);
      const folderTree = renderServiceFolder(svc, rendered);
      tree.merge(folderTree);
      for (const r of rendered) objects.push({ file: `${folder}/${r.file}`, object: r.object });
      const files = folderTree.entries().map(([path, content]) => [path.slice(folder.length + 1), content] as const);
      kustomizeFolders.push({ folder, objects: rendered.length, files });
      if (key !== undefined) renderedNow.push({ key, folder: { objects: rendered.length, files } });
    }
  }
  return {
    tree,
    objects,
    kustomizeFolders,
    remembered,
    remember: () => renderedNow.forEach(({ key, folder }) => cache!.record(key, folder)),
  };
};
