import { stringify } from 'yaml';
import type { ArgoCdBuilder } from './model.js';
import { argoObject } from './names.js';
import { installedConfigMapMetadata } from './argocd-cm.js';

/**
 * `argocd-image-updater-config`: the registries from the settings (ghcr.io
 * by default), each with its credential reference when it has one (never a
 * value). Image Updater reads registries.conf at start: restart it after a change.
 */
export const imageUpdaterConfig: ArgoCdBuilder = {
  describes: 'the argocd-image-updater-config ConfigMap',
  build: (ctx) => {
    const registries = ctx.settings.registries.map((r) => ({
      name: r.name,
      prefix: r.prefix,
      api_url: r.apiUrl,
      credentials: r.credentials,
    }));
    return [
      argoObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: installedConfigMapMetadata(ctx, 'argocd-image-updater-config', 'argocd-image-updater'),
        data: { 'registries.conf': stringify({ registries }, { lineWidth: 0 }) },
      }),
    ];
  },
};
