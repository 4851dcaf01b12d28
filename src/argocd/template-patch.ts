import { patchLiteral } from './go-template.js';
import { writeBack } from './image-policy.js';
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
export function templatePatch(ctx: ArgoCdContext): string {
  const lines: string[] = [];
  if (ctx.settings.imageUpdater.mode === 'annotations') {
    lines.push(
      '{{- if .image.autoUpdate }}',
      'metadata:',
      '  labels:',
      `    ${IMAGE_UPDATER_LABEL}: ${patchLiteral(ANNOTATIONS_MODE)}`,
      '  annotations:',
      ...legacyAnnotationLines(ctx).map((l) => `    ${l}`),
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
 * Image Updater v0.x annotations for an auto-updated service, as `key: value`
 * YAML lines. App-wide keys (no per-alias keys), since every Application has
 * exactly one image; the kustomize image name defaults to the image-list
 * entry, which is the kustomization's `images[].name`. The policy is the
 * service's own (app.json `image.policy`: the environment's with the
 * service's image.policy over it), strategy and allowTags always written,
 * so nothing falls back to Image Updater's default (semver).
 */
function legacyAnnotationLines(ctx: ArgoCdContext): string[] {
  const target = writeBack(ctx);
  const imageList =
    '{{ if .image.policy.constraint }}' +
    '{{ printf "%s=%s:%s" .service .image.repository .image.policy.constraint | toJson }}' +
    '{{ else }}{{ printf "%s=%s" .service .image.repository | toJson }}{{ end }}';
  const a = (key: string, value: string): string => `${IMAGE_UPDATER_ANNOTATION}${key}: ${value}`;
  return [
    a('image-list', imageList),
    a('update-strategy', '{{ toJson .image.policy.strategy }}'),
    a('allow-tags', '{{ toJson .image.policy.allowTags }}'),
    a('write-back-method', patchLiteral(target.method)),
    a('git-repository', patchLiteral(target.repository)),
    a('git-branch', patchLiteral(target.branch)),
  ];
}
