import type { RenderedObject } from '../output/object.js';
import type { Renderer } from '../output/renderer.js';
import { contentDigest, type FolderDigests } from '../output/ownership.js';
import { RenderedTree } from '../output/tree.js';
import type { KustomizeFolder } from '../validate/kustomize.js';
import { renderServiceFolder, serviceFolder } from './render-service.js';
import { environmentInputDigest, serviceInputDigest } from './renderer-identity.js';

/**
 * `dist/<env>/<service>/`: the Kubernetes objects of every enabled service in
 * every environment. A folder the output holds already, rendered from the
 * same resolved service by the same code, is taken from there (ProvenFolders).
 */
export const renderServices: Renderer = async ({ resolved, provenFolders }) => {
  const tree = new RenderedTree();
  const objects: { file: string; object: RenderedObject['object'] }[] = [];
  const kustomizeFolders: KustomizeFolder[] = [];
  const folderDigests = new Map<string, FolderDigests>();
  const provenFiles: string[] = [];
  let remembered = 0;
  // Each environment digested once, not once per service (a large part of every service's input).
  const environmentDigests = new Map<object, string>();
  for (const env of resolved.environments) {
    for (const svc of resolved.services.get(env.name) ?? []) {
      const folder = serviceFolder(svc);
      let environment = environmentDigests.get(svc.environment);
      if (environment === undefined) {
        environment = environmentInputDigest(svc.environment);
        environmentDigests.set(svc.environment, environment);
      }
      const input = serviceInputDigest(svc, environment);
      const proven = provenFolders?.take(folder, input);
      if (proven) {
        for (const [name, content] of proven.files) {
          tree.add(`${folder}/${name}`, content);
          provenFiles.push(`${folder}/${name}`);
        }
        kustomizeFolders.push({ folder, objects: proven.objects, files: proven.files });
        folderDigests.set(folder, { input, content: proven.content });
        remembered += proven.objects;
        continue;
      }
      // cdk8s and the constructs are loaded only when a folder is rendered: not at all when every folder is proven.
      const { synthesizeService } = await import('./synthesize-service.js');
      const rendered = synthesizeService(svc);
      const folderTree = renderServiceFolder(svc, rendered);
      tree.merge(folderTree);
      for (const r of rendered) objects.push({ file: `${folder}/${r.file}`, object: r.object });
      const files = folderTree.entries().map(([path, content]) => [path.slice(folder.length + 1), content] as const);
      kustomizeFolders.push({ folder, objects: rendered.length, files });
      folderDigests.set(folder, { input, content: contentDigest(files) });
    }
  }
  return {
    tree,
    objects,
    kustomizeFolders,
    remembered,
    folderDigests,
    provenFiles,
  };
};
