import type { RenderedObject } from '../output/object.js';
import type { Renderer } from '../output/renderer.js';
import type { FolderDigests } from '../output/ownership.js';
import { contentDigest } from '../util/content-digest.js';
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
        // Read only if something asks for the content: a run that writes other folders never does.
        const contentOf = (name: string) => ({ load: () => proven.files().find(([n]) => n === name)![1] });
        for (const name of proven.names) {
          tree.addDeferred(`${folder}/${name}`, contentOf(name));
          provenFiles.push(`${folder}/${name}`);
        }
        kustomizeFolders.push({
          folder,
          objects: proven.objects,
          digest: proven.digest,
          get files() {
            return proven.files();
          },
        });
        folderDigests.set(folder, { input, content: proven.digest });
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
      const digest = contentDigest(files);
      kustomizeFolders.push({ folder, objects: rendered.length, files, digest });
      folderDigests.set(folder, { input, content: digest });
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
