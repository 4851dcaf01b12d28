import type { ResolvedEnvironment } from '../resolve/model.js';
import { goString, patchLiteral } from './go-template.js';
import { imageUpdatePolicy } from './image-policy.js';
import type { ArgoCdContext } from './model.js';
import { IMAGE_UPDATER_LABEL } from './names.js';

/** Prefix of Image Updater's legacy (v0.x) annotations. */
export const IMAGE_UPDATER_ANNOTATION = 'argocd-image-updater.argoproj.io/';
/** Value of IMAGE_UPDATER_LABEL on Applications that carry the legacy annotations. */
export const ANNOTATIONS_MODE = 'annotations';

/**
 * The ApplicationSet's `templatePatch`: what varies per service beyond
 * strings, read from the service's `app.json`.
 *
 * - The sync policy (`sync` in app.json): booleans and the presence of
 *   `automated` cannot be templated in the plain template. The patch always
 *   says the service's whole policy, so its `spec.syncPolicy` is never empty
 *   (an empty map in a patch clears fields) and no key is optional
 *   (`missingkey=error`). `automated: null` deletes the template's block.
 * - In annotations mode, the legacy Image Updater annotations, only on
 *   services with `image.autoUpdate`.
 *
 * Argo CD renders the patch as a Go template and parses the result as YAML,
 * so every value is written as JSON: app.json values through `toJson`,
 * literals from the specs as JSON text (`patchLiteral`).
 */
export function templatePatch(ctx: ArgoCdContext, env: ResolvedEnvironment): string {
  const lines: string[] = [];
  if (ctx.settings.imageUpdater.mode === 'annotations') {
    lines.push(
      '{{- if .image.autoUpdate }}',
      'metadata:',
      '  labels:',
      `    ${IMAGE_UPDATER_LABEL}: ${patchLiteral(ANNOTATIONS_MODE)}`,
      '  annotations:',
      ...legacyAnnotationLines(ctx, env).map((l) => `    ${l}`),
      '{{- end }}',
    );
  }
  lines.push(
    'spec:',
    '  syncPolicy:',
    '{{- if .sync.automated }}',
    '    automated:',
    '      prune: {{ toJson .sync.prune }}',
    '      selfHeal: {{ toJson .sync.selfHeal }}',
    '{{- else }}',
    '    automated: null',
    '{{- end }}',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Image Updater v0.x annotations for an auto-updated service of `env`, as
 * `key: value` YAML lines. App-wide keys (no per-alias keys), since every
 * Application has exactly one image; the kustomize image name defaults to the
 * image-list entry, which is the kustomization's `images[].name`.
 */
function legacyAnnotationLines(ctx: ArgoCdContext, env: ResolvedEnvironment): string[] {
  const policy = imageUpdatePolicy(ctx, env);
  const imageList = policy.constraint
    ? `{{ printf "%s=%s:%s" .service .image.repository ${goString(policy.constraint)} | toJson }}`
    : '{{ printf "%s=%s" .service .image.repository | toJson }}';
  const a = (key: string, value: string): string => `${IMAGE_UPDATER_ANNOTATION}${key}: ${value}`;
  return [
    a('image-list', imageList),
    a('update-strategy', patchLiteral(policy.updateStrategy)),
    a('allow-tags', patchLiteral(policy.allowTags)),
    a('write-back-method', patchLiteral(policy.writeBack.method)),
    a('git-repository', patchLiteral(policy.writeBack.repository)),
    a('git-branch', patchLiteral(policy.writeBack.branch)),
  ];
}
